/**
 * `--auth accounts` on every route read from the router: with no credentials, a forged or ended
 * session cookie, or a forged or revoked token, every route but the deliberately public ones
 * answers 401 in its API family's shape (as test/robustness/auth.test.ts checks for the key).
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE } from '../../src/server/auth/session-cookie.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { seedConversation, type FuzzFixtures } from '../robustness/fuzz-fixtures.ts';
import { describeRoute, listAppRoutes } from '../robustness/list-app-routes.ts';
import { sendWithCredentials } from '../robustness/route-auth-check.ts';
import { createTestApp } from '../support/test-app.ts';
import { ALICE, signIn } from './account-apps.ts';

/** As under --auth key: the health check, the page, the status it asks first, login, logout and CSP reports. */
const deliberatelyPublic = [
  'GET /health', 'HEAD /health', 'GET /*', 'HEAD /*', 'GET /api/status', 'HEAD /api/status', 'POST /api/login', 'POST /api/logout', 'POST /api/csp-report',
  // A shared conversation's link opens its read-only copy to anyone; the page asks which OpenID provider to offer.
  'GET /api/shared/:token', 'HEAD /api/shared/:token', 'GET /share/:token', 'HEAD /share/:token', 'GET /api/auth/oidc', 'HEAD /api/auth/oidc',
];

describe('--auth accounts on every route', () => {
  let store: ConversationStore;
  let app: FastifyInstance;
  let webRoot: string;
  let fixtures: FuzzFixtures;
  const wrong: Array<{ name: string; headers: Record<string, string> }> = [];

  before(async () => {
    webRoot = await mkdtemp(path.join(tmpdir(), 'anychat-accounts-web-'));
    await mkdir(path.join(webRoot, 'assets'));
    await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>anychat</title>');
    store = await openFreshPgliteStore();
    await store.accounts!.createAccount({ ...ALICE, isAdmin: true });
    // Every wrong credential comes from one address: far past the throttle, which has its own test.
    ({ app } = createTestApp({ store, authMode: 'accounts', webRoot, limits: { failedLoginBurst: 1_000_000 } }));
    await app.ready();
    const session = await signIn(app, ALICE);
    fixtures = await seedConversation(app, session);
    const ended = await signIn(app, ALICE);
    await app.inject({ method: 'POST', url: '/api/logout', headers: ended });
    const { token } = await store.accounts!.createToken('alice', 'revoked', Date.now());
    await store.accounts!.revokeToken('alice', 'revoked');
    const forgedSession = session.cookie!.slice(0, -6) + 'AAAAAA';
    wrong.push(
      { name: 'no credentials', headers: {} },
      { name: 'a forged session cookie', headers: { cookie: forgedSession === session.cookie ? `${SESSION_COOKIE}=x` : forgedSession } },
      { name: 'an ended session cookie', headers: ended },
      { name: 'a revoked token', headers: { authorization: `Bearer ${token}` } },
      { name: 'a forged token', headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` } },
      { name: 'the password as a token', headers: { authorization: `Bearer ${ALICE.password}` } },
    );
  });
  after(async () => {
    await app.close();
    await store.close();
    await rm(webRoot, { recursive: true, force: true });
  });

  it('refuses every wrong credential on every route but the public ones, with 401 in its family’s shape', async () => {
    const routes = listAppRoutes(app);
    const answered: string[] = [];
    const holes: string[] = [];
    for (const route of routes) {
      for (const credentials of wrong) {
        const outcome = await sendWithCredentials(app, route, fixtures, credentials);
        if (outcome.refused) continue;
        if (credentials.name === 'no credentials') answered.push(describeRoute(route));
        if (!deliberatelyPublic.includes(describeRoute(route))) holes.push(`${describeRoute(route)} with ${credentials.name}: ${outcome.status} ${outcome.detail}`);
      }
    }
    assert.deepEqual(holes, []);
    assert.deepEqual(answered.sort(), [...deliberatelyPublic].sort());
    assert.ok(routes.length >= 35, `only ${routes.length} routes`);
  });
});
