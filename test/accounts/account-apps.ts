import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Backend } from '../../src/backends/backend.ts';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import type { ServerTools } from '../../src/server/tools/server-tools.ts';
import { SESSION_COOKIE } from '../../src/server/auth/session-cookie.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { createTestApp } from '../support/test-app.ts';

export { ALICE, BOB } from './test-accounts.ts';

/** A clock tests move by hand (login throttle refills, session expiry). */
export function manualClock(start = Date.parse('2026-12-01T00:00:00Z')) {
  let now = start;
  return { now: () => now, advance: (milliseconds: number) => (now += milliseconds) };
}

/** An app with --auth accounts over `store`, on the echo backend. */
export function createAccountsApp(
  store: ConversationStore,
  options: { now?: () => number; echoDelayMs?: number; adminReadsConversations?: boolean; backend?: Backend; tools?: ServerTools } = {},
) {
  return createTestApp({
    store,
    authMode: 'accounts',
    backend: options.backend ?? createEchoBackend({ backend: 'echo', delayMs: options.echoDelayMs ?? 0 }),
    ...(options.tools ? { tools: options.tools } : {}),
    limits: { failedLoginBurst: 3, failedLoginRefillMs: 6000 },
    ...(options.now ? { now: options.now } : {}),
    ...(options.adminReadsConversations ? { adminReadsConversations: true } : {}),
  }).app;
}

/** Signs in through `POST /api/login`; the session cookie as a request header. */
export async function signIn(app: FastifyInstance, who: { username: string; password: string }): Promise<Record<string, string>> {
  const response = await app.inject({ method: 'POST', url: '/api/login', payload: who });
  if (response.statusCode !== 200) throw new Error(`sign-in of ${who.username} failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie) throw new Error('no session cookie');
  return { cookie: `${SESSION_COOKIE}=${cookie.value}` };
}

export function as(headers: Record<string, string>, options: InjectOptions): InjectOptions {
  return { ...options, headers: { ...headers, ...(options.headers as Record<string, string> | undefined) } };
}
