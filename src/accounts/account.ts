import { z } from 'zod';

/** An account as the rest of anychat sees it: never its password hash. */
export interface Account {
  id: string;
  username: string;
  isAdmin: boolean;
  /** Set for accounts created by an OpenID Connect sign-in. */
  oidcIssuer: string | null;
  email: string | null;
  displayName: string | null;
  createdAt: string;
}

/** What an account has spent (sum over the TGI, OpenAI and app APIs). */
export interface AccountUsage {
  requests: number;
  promptTokens: number;
  generatedTokens: number;
}

/** A personal token as listed (its secret is shown once, when made, and never stored). */
export interface PersonalTokenSummary {
  id: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/**
 * Names people type at a login form and on the command line: letters, digits and `.`, `_`, `-`,
 * `@` (so an email address works), 1 to 64 characters, starting with a letter or digit.
 */
export const usernameSchema = z
  .string()
  .trim()
  .min(1, 'a user name cannot be empty')
  .max(64, 'a user name has at most 64 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}._@-]*$/u, 'a user name has letters, digits and . _ @ - only, and starts with a letter or digit');

/** Long enough to resist guessing through the login throttle; capped so hashing stays cheap. */
export const passwordSchema = z
  .string()
  .min(8, 'a password needs at least 8 characters')
  .max(1024, 'a password has at most 1024 characters');

/** An identity an OpenID Connect provider has verified (id token checked: issuer, audience, nonce). */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
  email?: string | null;
  name?: string | null;
}
