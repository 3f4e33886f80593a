import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'anychat_session';
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * A session: its expiry time and a random id, signed with the API key. Every server sharing the key
 * accepts it, a restart keeps people logged in, and changing the key logs everyone out. Logout
 * revokes the id on the server that answers it (`RevokedSessions`): the token alone would
 * otherwise stay valid for its 7 days.
 */
export function createSessionToken(apiKey: string, now = Date.now()): string {
  const expiresAt = now + SESSION_MAX_AGE_SECONDS * 1000;
  const sessionId = randomBytes(16).toString('base64url');
  return `${expiresAt}.${sessionId}.${sign(apiKey, expiresAt, sessionId)}`;
}

export interface SessionToken {
  sessionId: string;
  expiresAt: number;
}

/** The token's session when its signature holds and it has not expired; null otherwise. */
export function readSessionToken(apiKey: string, token: string | undefined, now = Date.now()): SessionToken | null {
  if (!token) return null;
  const [expiresText, sessionId, signature, extra] = token.split('.');
  const expiresAt = Number(expiresText);
  if (!sessionId || !signature || extra !== undefined || !Number.isSafeInteger(expiresAt) || expiresAt <= now) return null;
  return safeEqual(signature, sign(apiKey, expiresAt, sessionId)) ? { sessionId, expiresAt } : null;
}

export function isValidSessionToken(apiKey: string, token: string | undefined, now = Date.now()): boolean {
  return readSessionToken(apiKey, token, now) !== null;
}

/** A key for this process only: comparisons hash both sides with it, so no length or prefix leaks. */
const comparisonKey = randomBytes(32);

/**
 * Compares secrets in constant time. Both sides are HMACed first: their digests have one length
 * whatever the inputs, so neither the timing nor an early return reveals the secret's length.
 */
export function safeEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHmac('sha256', comparisonKey).update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function sign(apiKey: string, expiresAt: number, sessionId: string): string {
  return createHmac('sha256', apiKey).update(`anychat-session:${expiresAt}:${sessionId}`).digest('base64url');
}

/**
 * Sessions ended by logout, kept until they would have expired anyway. In memory: with several
 * servers behind one balancer, a logout revokes the session on the server that answered it only
 * (README, "Several servers"); changing the API key logs out everywhere.
 */
export class RevokedSessions {
  private readonly revoked = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  revoke(session: SessionToken): void {
    this.prune();
    this.revoked.set(session.sessionId, session.expiresAt);
  }

  has(session: SessionToken): boolean {
    return this.revoked.has(session.sessionId);
  }

  private prune(): void {
    const now = this.now();
    for (const [sessionId, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(sessionId);
  }
}
