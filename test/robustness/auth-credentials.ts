/**
 * The ways a client may present, or fail to present, the server's API key. Every wrong one must
 * be refused on every protected route; every right one must be let through.
 */
import { createSessionToken, SESSION_COOKIE, SESSION_MAX_AGE_SECONDS } from '../../src/server/auth/session-cookie.ts';

export interface PresentedCredentials {
  readonly name: string;
  readonly headers: Record<string, string>;
  /** Appended to the URL's query string. */
  readonly query?: string;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

export function wrongCredentials(apiKey: string): PresentedCredentials[] {
  const eightDaysAgo = Date.now() - (SESSION_MAX_AGE_SECONDS + 24 * 60 * 60) * 1000;
  return [
    { name: 'no key at all', headers: {} },
    { name: 'a wrong Bearer key', headers: { authorization: 'Bearer wrong-key-0123456789' } },
    { name: 'the key with one character more', headers: { authorization: `Bearer ${apiKey}x` } },
    { name: 'the key less its last character', headers: { authorization: `Bearer ${apiKey.slice(0, -1)}` } },
    { name: 'the key in upper case', headers: { authorization: `Bearer ${apiKey.toUpperCase()}` } },
    { name: 'an empty Bearer', headers: { authorization: 'Bearer ' } },
    { name: 'a wrong Basic user:password', headers: { authorization: `Basic ${base64('user:wrong-key-0123456789')}` } },
    { name: 'the key under a scheme the server does not take', headers: { authorization: `Token ${apiKey}` } },
    // Headers and query parameters other APIs use: anychat must not quietly accept them.
    { name: 'the key in X-Api-Key', headers: { 'x-api-key': apiKey } },
    { name: 'the key in the query string', headers: {}, query: `api_key=${encodeURIComponent(apiKey)}` },
    { name: 'a forged session cookie', headers: { cookie: `${SESSION_COOKIE}=9999999999999.forged-signature` } },
    { name: 'a session cookie signed with another key', headers: { cookie: `${SESSION_COOKIE}=${createSessionToken('another-key-0123456789')}` } },
    { name: 'an expired session cookie', headers: { cookie: `${SESSION_COOKIE}=${createSessionToken(apiKey, eightDaysAgo)}` } },
  ];
}

/** `sessionCookie` is the `name=value` pair a real login set. */
export function rightCredentials(apiKey: string, sessionCookie: string): PresentedCredentials[] {
  return [
    { name: 'Bearer KEY', headers: { authorization: `Bearer ${apiKey}` } },
    // The lesson's text_generation.Client sends the key after "Basic", unencoded.
    { name: 'Basic KEY', headers: { authorization: `Basic ${apiKey}` } },
    { name: 'Basic base64(user:KEY)', headers: { authorization: `Basic ${base64(`user:${apiKey}`)}` } },
    { name: 'the session cookie from POST /api/login', headers: { cookie: sessionCookie } },
  ];
}
