/**
 * The two accounts the account tests use. Kept apart from account-apps.ts so a test that only
 * drives the CLI does not load the whole server through tsx (about 2 s of CPU) for two constants.
 */
export const ALICE = { username: 'alice', password: 'alice-password-1' };
export const BOB = { username: 'bob', password: 'bob-password-1' };
