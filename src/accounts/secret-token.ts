import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Session cookies and personal API tokens share one shape: `PREFIX_ID_SECRET`. The id (public,
 * 12 random bytes) finds the row; the secret (32 random bytes) is stored only as its SHA-256,
 * and the presented one is compared with it in constant time. A database leak then gives no
 * usable credential, and a lookup's timing depends only on the id, never on the secret.
 */
export interface IssuedSecret {
  /** What the client keeps and sends back. */
  token: string;
  id: string;
  secretHash: string;
}

export type SecretPrefix = 'anychat_session' | 'anychat_pat';

export function issueSecret(prefix: SecretPrefix): IssuedSecret {
  const id = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { token: `${prefix}_${id}_${secret}`, id, secretHash: hashSecret(secret) };
}

/** The id and secret of a token of this kind, or null when it is not one. */
export function parseSecret(prefix: SecretPrefix, token: string | undefined): { id: string; secret: string } | null {
  if (!token?.startsWith(`${prefix}_`)) return null;
  const rest = token.slice(prefix.length + 1);
  // base64url has no `_`-free guarantee, so split at fixed lengths: 16 characters of id, then `_`.
  const id = rest.slice(0, 16);
  const secret = rest.slice(17);
  if (rest[16] !== '_' || !/^[\w-]{16}$/.test(id) || !/^[\w-]{43}$/.test(secret)) return null;
  return { id, secret };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Whether `secret` hashes to `storedHash`, in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'base64url');
  const expected = Buffer.from(storedHash, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
