import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../session-cookie.ts';

/** Holds one sign-in's state, nonce and PKCE verifier between the redirect out and the callback. */
export const OIDC_FLOW_COOKIE = 'anychat_oidc_flow';
/** Long enough to type a password and pass a second factor at the provider. */
export const OIDC_FLOW_MAX_AGE_SECONDS = 10 * 60;

const flowSchema = z.object({ state: z.string().min(1), nonce: z.string().min(1), codeVerifier: z.string().min(1), expiresAt: z.number() });
export type OidcFlow = z.infer<typeof flowSchema>;

/**
 * The flow travels in the browser's own cookie, signed with a key derived from the client secret,
 * rather than in this server's memory: the callback may reach another server behind the same
 * balancer, and every server configured with the same client accepts it. Signed, not encrypted:
 * the values are the browser's own, and what matters is that nobody can swap them.
 */
export function sealFlow(flow: OidcFlow, clientSecret: string): string {
  const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
  return `${payload}.${sign(payload, clientSecret)}`;
}

/** The flow, when the cookie is this server's, untouched and not expired; null otherwise. */
export function openFlow(cookie: string | undefined, clientSecret: string, now: number): OidcFlow | null {
  if (!cookie) return null;
  const [payload, signature, extra] = cookie.split('.');
  if (!payload || !signature || extra !== undefined || !safeEqual(signature, sign(payload, clientSecret))) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const flow = flowSchema.safeParse(json);
  return flow.success && flow.data.expiresAt > now ? flow.data : null;
}

function sign(payload: string, clientSecret: string): string {
  const key = createHmac('sha256', clientSecret).update('anychat-oidc-flow').digest();
  return createHmac('sha256', key).update(payload).digest('base64url');
}
