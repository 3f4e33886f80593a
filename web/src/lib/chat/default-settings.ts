/*
 * Copies of src/chat/generation-parameters.ts constants. Importing that module would pull zod into
 * the page's first-load bundle; default-settings.test.ts keeps the copies equal to the originals.
 */
export const DEFAULT_TEMPERATURE = 0.7;
export const DEFAULT_MAX_NEW_TOKENS = 512;
export const MAX_STOP_SEQUENCES = 4;
