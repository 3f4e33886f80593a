import type { Account, AccountUsage, ExternalIdentity, PersonalTokenSummary } from '../accounts/account.ts';

/** A session as `POST /api/login` (or an OpenID Connect sign-in) starts it: the cookie's value and its end. */
export interface StartedSession {
  token: string;
  expiresAt: string;
}

/** A token bucket: `burst` tries at once, then one more every `refillMs`. */
export interface ThrottleLimits {
  burst: number;
  refillMs: number;
}

export interface AccountListing extends Account {
  usage: AccountUsage;
  conversationCount: number;
}

export class AccountStoreError extends Error {
  override readonly name = 'AccountStoreError';
  constructor(
    readonly code: 'username-taken' | 'account-not-found' | 'token-not-found',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Accounts, their sessions and personal tokens, the wrong-password throttle and per-account usage,
 * in the same database as the conversations (PGlite or PostgreSQL), so every server sharing it
 * honours the same sessions and the same throttle. Secrets are stored only as hashes
 * (src/accounts/secret-token.ts, password-hash.ts). `now` is the caller's clock in milliseconds
 * (tests inject one).
 */
export interface AccountStore {
  /** Throws AccountStoreError `username-taken` when the name (in any case) exists. */
  createAccount(input: { username: string; password: string | null; isAdmin: boolean }): Promise<Account>;
  /** Oldest first, with usage and conversation counts (the admin view). */
  listAccounts(): Promise<AccountListing[]>;
  findAccount(username: string): Promise<Account | null>;
  /** Removes the account, its sessions, tokens and conversations. */
  removeAccount(username: string): Promise<boolean>;
  /** Sets a new password and ends every session of the account. */
  setPassword(username: string, password: string): Promise<boolean>;
  /** The account when the password is right; null otherwise, after the same work either way. */
  verifyLogin(username: string, password: string): Promise<Account | null>;

  startSession(accountId: string, now: number): Promise<StartedSession>;
  /** The signed-in account of a live session cookie, or null. */
  accountForSession(token: string | undefined, now: number): Promise<Account | null>;
  /** Revokes the session everywhere (every server reads the same table). */
  endSession(token: string | undefined): Promise<void>;

  /** A new personal token: its secret is in the returned `token` only. */
  createToken(username: string, label: string, now: number): Promise<{ token: string; summary: PersonalTokenSummary }>;
  listTokens(username: string): Promise<PersonalTokenSummary[]>;
  /** Revokes the token with this id or label; throws `token-not-found` when there is none. */
  revokeToken(username: string, idOrLabel: string): Promise<number>;
  accountForToken(token: string, now: number): Promise<Account | null>;

  /** Seconds until a throttled key may try again (the largest over `keys`), 0 when all may. */
  throttleRetryAfterSeconds(keys: string[], limits: ThrottleLimits, now: number): Promise<number>;
  /** Spends one try of each key (a wrong password). */
  throttleSpend(keys: string[], limits: ThrottleLimits, now: number): Promise<void>;

  addUsage(accountId: string, usage: { promptTokens: number; generatedTokens: number }): Promise<void>;

  /**
   * For OpenID Connect: the account of a verified external identity, created on its first
   * sign-in (named after its email or name, made unique), and a new session for it. Whether the
   * identity may get in at all (an allowed domain or claim) is the caller's to check first.
   */
  signInExternal(identity: ExternalIdentity, now: number): Promise<{ account: Account; session: StartedSession; created: boolean }>;

  /**
   * The upgrade path: conversations made before accounts (owner null, under --auth none or key)
   * go to the first admin, the oldest admin account. Returns that admin and how many moved.
   */
  claimUnownedConversations(): Promise<{ admin: Account | null; conversations: number }>;
}
