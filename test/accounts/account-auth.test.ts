/**
 * `--auth accounts` over real HTTP (inject) and real PGlite: sign-in and its cookie, session
 * rotation, logout everywhere, the wrong-password throttle per account and per address, personal
 * tokens on the app, TGI and OpenAI APIs and their revocation, and per-account usage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SESSION_COOKIE } from '../../src/server/auth/session-cookie.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { ALICE, BOB, as, createAccountsApp, manualClock, signIn } from './account-apps.ts';

describe('--auth accounts', () => {
  let store: ConversationStore;
  let app: FastifyInstance;
  const clock = manualClock();

  before(async () => {
    store = await openFreshPgliteStore();
    await store.accounts!.createAccount({ ...ALICE, isAdmin: true });
    await store.accounts!.createAccount({ ...BOB, isAdmin: false });
    app = createAccountsApp(store, { now: clock.now });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  it('asks for sign-in on API routes and says so in /api/status', async () => {
    const refused = await app.inject({ method: 'GET', url: '/api/conversations' });
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json<{ error: { message: string } }>().error.message, /sign in/);
    const status = (await app.inject({ method: 'GET', url: '/api/status' })).json<{ authMode: string; authRequired: boolean; account: unknown }>();
    assert.equal(status.authMode, 'accounts');
    assert.equal(status.authRequired, true);
    assert.equal(status.account, null);
    assert.equal((await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'hi' } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode, 401);
  });

  it('login sets an HttpOnly SameSite=Strict cookie, rotated on every login; logout ends it everywhere', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/login', payload: ALICE });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { username: 'alice', isAdmin: true, displayName: null });
    const cookie = response.cookies.find((candidate) => candidate.name === SESSION_COOKIE)!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    const first = { cookie: `${SESSION_COOKIE}=${cookie.value}` };
    const status = (await app.inject(as(first, { method: 'GET', url: '/api/status' }))).json<{ account: { username: string } }>();
    assert.equal(status.account.username, 'alice');

    // Signing in again from the same browser: a new session, and the old cookie is dead.
    const again = await app.inject(as(first, { method: 'POST', url: '/api/login', payload: ALICE }));
    const second = { cookie: `${SESSION_COOKIE}=${again.cookies.find((candidate) => candidate.name === SESSION_COOKIE)!.value}` };
    assert.notEqual(second.cookie, first.cookie);
    assert.equal((await app.inject(as(first, { method: 'GET', url: '/api/conversations' }))).statusCode, 401);
    assert.equal((await app.inject(as(second, { method: 'GET', url: '/api/conversations' }))).statusCode, 200);

    // A second app on the same database stands for another server: logout on one ends it on both.
    const other = createAccountsApp(store, { now: clock.now });
    try {
      assert.equal((await other.inject(as(second, { method: 'GET', url: '/api/conversations' }))).statusCode, 200);
      const logout = await app.inject(as(second, { method: 'POST', url: '/api/logout' }));
      assert.equal(logout.statusCode, 204);
      assert.equal(logout.cookies.find((candidate) => candidate.name === SESSION_COOKIE)?.value, '');
      assert.equal((await other.inject(as(second, { method: 'GET', url: '/api/conversations' }))).statusCode, 401);
    } finally {
      await other.close();
    }
  });

  it('a wrong password is one message whether or not the name exists', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'alice', password: 'not-her-password' }, remoteAddress: '198.51.100.1' });
    const unknown = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'zed', password: 'not-his-password' }, remoteAddress: '198.51.100.2' });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), unknown.json());
    const missing = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'alice' } });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /password/);
  });

  it('throttles wrong passwords per account (from any address) and per address (for any account), with Retry-After', async () => {
    const attempt = (username: string, password: string, address: string) =>
      app.inject({ method: 'POST', url: '/api/login', payload: { username, password }, remoteAddress: address });
    for (let index = 0; index < 3; index++) assert.equal((await attempt('bob', 'guess-guess', `203.0.113.${index + 1}`)).statusCode, 401);
    const limited = await attempt('bob', BOB.password, '203.0.113.99');
    assert.equal(limited.statusCode, 429, 'the account is throttled, even from a new address with the right password');
    assert.equal(limited.headers['retry-after'], '6');

    for (let index = 0; index < 3; index++) assert.equal((await attempt(`nobody${index}`, 'guess-guess', '192.0.2.50')).statusCode, 401);
    assert.equal((await attempt('alice', ALICE.password, '192.0.2.50')).statusCode, 429, 'the address is throttled, whatever the account');

    // A second app on the same database (another server) sees the same throttle.
    const other = createAccountsApp(store, { now: clock.now });
    try {
      assert.equal((await other.inject({ method: 'POST', url: '/api/login', payload: BOB, remoteAddress: '203.0.113.100' })).statusCode, 429);
    } finally {
      await other.close();
    }
    clock.advance(6000);
    assert.equal((await attempt('bob', BOB.password, '203.0.113.99')).statusCode, 200, 'one try back after 6 s');
  });

  it('personal tokens work as Bearer on the app, TGI and OpenAI APIs (and Basic for the lesson client) until revoked', async () => {
    const { token } = await store.accounts!.createToken('bob', 'scripts', clock.now());
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await app.inject(as(bearer, { method: 'GET', url: '/api/conversations' }))).statusCode, 200);
    const generated = await app.inject(as(bearer, { method: 'POST', url: '/generate', payload: { inputs: 'three little words', parameters: { max_new_tokens: 8 } } }));
    assert.equal(generated.statusCode, 200, generated.body);
    const chat = await app.inject(as(bearer, { method: 'POST', url: '/v1/chat/completions', payload: { model: 'echo', messages: [{ role: 'user', content: 'hello there' }] } }));
    assert.equal(chat.statusCode, 200, chat.body);
    const basic = { authorization: `Basic ${token}` };
    assert.equal((await app.inject(as(basic, { method: 'GET', url: '/info' }))).statusCode, 200);

    await store.accounts!.revokeToken('bob', 'scripts');
    const revoked = await app.inject(as(bearer, { method: 'POST', url: '/generate', payload: { inputs: 'again' } }));
    assert.equal(revoked.statusCode, 401);
    assert.match(revoked.json<{ error: string }>().error, /not valid/);
  });

  it('counts each account’s tokens, in the admin listing and in /metrics with bounded labels', async () => {
    const { token } = await store.accounts!.createToken('bob', 'usage', clock.now());
    const bearer = { authorization: `Bearer ${token}` };
    const before = (await store.accounts!.listAccounts()).find((account) => account.username === 'bob')!.usage;
    const generated = await app.inject(as(bearer, { method: 'POST', url: '/generate', payload: { inputs: 'one two three four', parameters: { max_new_tokens: 16 } } }));
    assert.equal(generated.statusCode, 200);
    const tokens = generated.json<{ details?: { generated_tokens: number } }>();
    const admin = await signIn(app, ALICE);
    let bobUsage = before;
    // Usage is written when the request's connection closes: read until it has landed.
    for (let reads = 0; reads < 50 && bobUsage.requests === before.requests; reads++) {
      const listing = (await app.inject(as(admin, { method: 'GET', url: '/api/admin/users' }))).json<{ users: Array<{ username: string; usage: typeof before }> }>();
      bobUsage = listing.users.find((user) => user.username === 'bob')!.usage;
    }
    assert.equal(bobUsage.requests, before.requests + 1);
    assert.ok(bobUsage.generatedTokens > before.generatedTokens, JSON.stringify({ bobUsage, tokens }));
    assert.ok(bobUsage.promptTokens > before.promptTokens);
    const metrics = (await app.inject(as(admin, { method: 'GET', url: '/metrics' }))).body;
    assert.match(metrics, /anychat_account_tokens_total\{account="bob",direction="generated"\} [1-9]/);

    const bobSession = await signIn(app, BOB);
    assert.equal((await app.inject(as(bobSession, { method: 'GET', url: '/api/admin/users' }))).statusCode, 403, 'only admins list users');
    assert.equal((await app.inject(as(bobSession, { method: 'GET', url: '/metrics' }))).statusCode, 403, "/metrics names every account's usage: admins only");
    const reading = await app.inject(as(admin, { method: 'GET', url: '/api/admin/users/bob/conversations' }));
    assert.equal(reading.statusCode, 403, 'reading others’ conversations needs the operator’s opt-in');
    assert.match(reading.body, /--admin-reads-conversations/);
  });

  it('with --admin-reads-conversations an admin reads, and only reads, another account’s conversation', async () => {
    const reader = createAccountsApp(store, { now: clock.now, adminReadsConversations: true });
    try {
      const bobSession = await signIn(reader, BOB);
      const created = (await reader.inject(as(bobSession, { method: 'POST', url: '/api/conversations', payload: { title: 'bob’s notes' } }))).json<{ id: string }>();
      const admin = await signIn(reader, ALICE);
      const listed = (await reader.inject(as(admin, { method: 'GET', url: '/api/admin/users/bob/conversations' }))).json<{ conversations: Array<{ id: string }> }>();
      assert.ok(listed.conversations.some((conversation) => conversation.id === created.id));
      assert.equal((await reader.inject(as(admin, { method: 'GET', url: `/api/admin/conversations/${created.id}` }))).statusCode, 200);
      assert.equal((await reader.inject(as(admin, { method: 'GET', url: `/api/conversations/${created.id}` }))).statusCode, 404, 'the app API stays the admin’s own');
      assert.equal((await reader.inject(as(admin, { method: 'DELETE', url: `/api/conversations/${created.id}` }))).statusCode, 404);
    } finally {
      await reader.close();
    }
  });
});
