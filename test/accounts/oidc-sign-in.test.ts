/**
 * Sign-in with OpenID Connect against a real provider (oidc-provider) on loopback, through real
 * HTTP on both ends: first sign-in creates the account, the next one finds it; a refused email
 * domain and a missing claim get 403 and no session; logout ends the session; a tampered state, a
 * tampered nonce, a forged flow cookie and a replayed callback are all refused.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { OIDC_FLOW_COOKIE, openFlow, sealFlow } from '../../src/server/auth/oidc/oidc-flow-cookie.ts';
import { oidcSettingsSchema, type OidcSettingsInput } from '../../src/server/auth/oidc/oidc-settings.ts';
import { OIDC_CALLBACK_PATH } from '../../src/server/routes/oidc-routes.ts';
import { SESSION_COOKIE } from '../../src/server/auth/session-cookie.ts';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { CookieJar, request, signInAtProvider, startOidcTestProvider, type OidcTestProvider } from '../fakes/oidc-test-provider.ts';
import { createTestApp } from '../support/test-app.ts';

const users = {
  ada: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', groups: ['anychat'] },
  mallory: { email: 'mallory@elsewhere.test', email_verified: true, name: 'Mallory', groups: ['anychat'] },
  unverified: { email: 'eve@example.com', email_verified: false, name: 'Eve' },
  outsider: { email: 'otto@example.com', email_verified: true, name: 'Otto', groups: ['other'] },
};

describe('OpenID Connect sign-in against a real provider', () => {
  let provider: OidcTestProvider;
  let store: ConversationStore;
  let app: FastifyInstance;
  let base: URL;

  async function startApp(settings: Partial<OidcSettingsInput>) {
    const { app: built } = createTestApp({
      store,
      authMode: 'accounts',
      oidc: oidcSettingsSchema.parse({ issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, name: 'Test ID', ...settings }),
    });
    await built.listen({ host: '127.0.0.1', port: 0 });
    return built;
  }

  before(async () => {
    provider = await startOidcTestProvider(users);
    store = await openFreshPgliteStore();
    app = await startApp({ allowedEmailDomains: ['example.com'], requiredClaim: undefined });
    base = new URL(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
    provider.allowRedirect(new URL(OIDC_CALLBACK_PATH, base).href);
  });
  after(async () => {
    await app?.close();
    await store?.close();
    await provider?.close();
  });

  const loginUrl = () => new URL('api/auth/oidc/login', base);
  const whoAmI = async (jar: CookieJar) => (await (await request(jar, new URL('api/status', base))).json()) as { account: { username: string } | null };

  it('tells the page which provider to offer', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/auth/oidc' });
    assert.deepEqual(response.json(), { provider: { name: 'Test ID', loginPath: 'api/auth/oidc/login' } });
  });

  it('signs in, creating the account on first sign-in and finding it the next time; logout ends the session', async () => {
    const jar = new CookieJar();
    const start = await request(jar, loginUrl());
    assert.equal(start.status, 302);
    const authorization = new URL(start.headers.get('location')!);
    assert.equal(authorization.origin, provider.issuer);
    for (const parameter of ['state', 'nonce', 'code_challenge']) assert.ok(authorization.searchParams.get(parameter), parameter);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');

    const callback = await signInAtProvider(jar, loginUrl(), 'ada', OIDC_CALLBACK_PATH);
    const finished = await request(jar, callback);
    assert.equal(finished.status, 302, await finished.clone().text());
    assert.equal(new URL(finished.headers.get('location')!, callback).href, base.href, 'back to the chat page');
    assert.ok(jar.get(base.origin, SESSION_COOKIE), 'a session cookie');
    assert.equal(jar.get(base.origin, OIDC_FLOW_COOKIE), undefined, 'the flow cookie is spent');

    const status = await whoAmI(jar);
    assert.ok(status.account, 'signed in');
    const created = (await store.accounts!.listAccounts()).find((candidate) => candidate.email === 'ada@example.com');
    assert.ok(created, 'an account for ada');
    assert.equal(created.oidcIssuer, provider.issuer);
    assert.equal(created.email, 'ada@example.com');
    assert.equal(created.isAdmin, false);

    // Signed in, the account's own conversations: none yet, and one it makes.
    const conversations = await request(jar, new URL('api/conversations', base));
    assert.equal(conversations.status, 200);

    // A second sign-in finds the same account.
    const again = new CookieJar();
    await request(again, await signInAtProvider(again, loginUrl(), 'ada', OIDC_CALLBACK_PATH));
    assert.equal((await whoAmI(again)).account?.username, status.account.username);
    assert.equal((await store.accounts!.listAccounts()).filter((candidate) => candidate.email === 'ada@example.com').length, 1);

    const logout = await fetch(new URL('api/logout', base), { method: 'POST', headers: { cookie: jar.header(base) } });
    assert.equal(logout.status, 204);
    const staleCookie = `${SESSION_COOKIE}=${jar.get(base.origin, SESSION_COOKIE)}`;
    const afterLogout = await fetch(new URL('api/conversations', base), { headers: { cookie: staleCookie } });
    assert.equal(afterLogout.status, 401, 'the session is gone, a copied cookie too');
  });

  it('refuses an email outside the allowed domains, and an unverified one, with 403 and no session', async () => {
    for (const [login, reason] of [
      ['mallory', 'mallory@elsewhere.test is not in a domain this server admits (example.com)'],
      ['unverified', 'the provider has not verified eve@example.com'],
    ] as const) {
      const jar = new CookieJar();
      const refused = await request(jar, await signInAtProvider(jar, loginUrl(), login, OIDC_CALLBACK_PATH));
      assert.equal(refused.status, 403, login);
      assert.ok((await refused.text()).includes(reason), login);
      assert.equal(jar.get(base.origin, SESSION_COOKIE), undefined);
      assert.equal((await store.accounts!.listAccounts()).some((account) => account.email === users[login].email), false, 'no account made');
    }
  });

  it('refuses a tampered state, a tampered nonce, a forged flow cookie and a replayed callback', async () => {
    const refusedWith = async (jar: CookieJar, url: URL, pattern: RegExp) => {
      const response = await request(jar, url);
      const text = await response.text();
      assert.equal(response.status, 400, text);
      assert.match(text, pattern);
      assert.equal(jar.get(base.origin, SESSION_COOKIE), undefined, 'no session');
    };

    // State: the callback's state changed on the way back.
    let jar = new CookieJar();
    let callback = await signInAtProvider(jar, loginUrl(), 'ada', OIDC_CALLBACK_PATH);
    callback.searchParams.set('state', 'tampered-state');
    await refusedWith(jar, callback, /state/);

    // Nonce: the flow this browser started expects another nonce than the ID token carries
    // (signed correctly, as a code injected into someone else's flow would be met).
    jar = new CookieJar();
    callback = await signInAtProvider(jar, loginUrl(), 'ada', OIDC_CALLBACK_PATH);
    const flow = openFlow(jar.get(base.origin, OIDC_FLOW_COOKIE), provider.clientSecret, Date.now());
    assert.ok(flow);
    jar.set(base.origin, OIDC_FLOW_COOKIE, sealFlow({ ...flow, nonce: 'tampered-nonce' }, provider.clientSecret));
    await refusedWith(jar, callback, /nonce/);

    // A flow cookie not signed by this server.
    jar = new CookieJar();
    callback = await signInAtProvider(jar, loginUrl(), 'ada', OIDC_CALLBACK_PATH);
    jar.set(base.origin, OIDC_FLOW_COOKIE, sealFlow({ ...flow, state: callback.searchParams.get('state')! }, 'not-the-client-secret'));
    await refusedWith(jar, callback, /not started here/);

    // Replay: the same callback twice; the first signs in, the second finds no flow.
    jar = new CookieJar();
    callback = await signInAtProvider(jar, loginUrl(), 'ada', OIDC_CALLBACK_PATH);
    const cookieBefore = jar.get(base.origin, OIDC_FLOW_COOKIE)!;
    assert.equal((await request(jar, callback)).status, 302);
    const replayJar = new CookieJar();
    replayJar.set(base.origin, OIDC_FLOW_COOKIE, cookieBefore);
    const replay = await request(replayJar, callback);
    assert.equal(replay.status, 400, 'the code was used: the provider refuses it');
    assert.equal(replayJar.get(base.origin, SESSION_COOKIE), undefined);
  });

  it('refuses a provider that lacks the required claim', async () => {
    const strict = await startApp({ requiredClaim: 'groups=anychat' });
    const strictBase = new URL(`http://127.0.0.1:${(strict.server.address() as AddressInfo).port}/`);
    provider.allowRedirect(new URL(OIDC_CALLBACK_PATH, strictBase).href);
    try {
      const jar = new CookieJar();
      const refused = await request(jar, await signInAtProvider(jar, new URL('api/auth/oidc/login', strictBase), 'outsider', OIDC_CALLBACK_PATH));
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /lacks groups=anychat/);
      const admitted = new CookieJar();
      const signedIn = await request(admitted, await signInAtProvider(admitted, new URL('api/auth/oidc/login', strictBase), 'ada', OIDC_CALLBACK_PATH));
      assert.equal(signedIn.status, 302);
    } finally {
      await strict.close();
      provider.allowRedirect(new URL(OIDC_CALLBACK_PATH, base).href);
    }
  });
});
