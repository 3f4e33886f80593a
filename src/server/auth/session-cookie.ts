import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'anychat_session';
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * A stateless session: the expiry time signed with the API key. Every server sharing the key
 * accepts it, a restart keeps people logged in, and changing the key logs everyone out.
 */
export function createSessionToken(apiKey: string, now = Date.now()): string {
  const expiresAt = now + SESSION_MAX_AGE_SECONDS * 1000;
  return `${expiresAt}.${sign(apiKey, expiresAt)}`;
}

export function isValidSessionToken(apiKey: string, token: string | undefined, now = Date.now()): boolean {
  if (!token) return false;
  const [expiresText, signature] = token.split('.');
  const expiresAt = Number(expiresText);
  if (!signature || !Number.isSafeInteger(expiresAt) || expiresAt <= now) return false;
  return safeEqual(signature, sign(apiKey, expiresAt));
}

/** Compares secrets in constant time, so response timing does not reveal how much matched. */
export function safeEqual(given: string, expected: string): boolean {
  const givenBytes = Buffer.from(given);
  const expectedBytes = Buffer.from(expected);
  return givenBytes.length === expectedBytes.length && timingSafeEqual(givenBytes, expectedBytes);
}

function sign(apiKey: string, expiresAt: number): string {
  return createHmac('sha256', apiKey).update(`anychat-session:${expiresAt}`).digest('base64url');
}
