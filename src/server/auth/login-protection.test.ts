/**
 * What protects the API key: a per-address rate limit on wrong keys (with an injected clock),
 * revocable sessions, keys of any length kept out of logs and responses, and `--trust-proxy`
 * for the Secure flag and the client's own address behind a TLS proxy.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { createTestApp } from '../../../test/support/test-app.ts';
import { safeEqual } from './session-cookie.ts';

const apiKey = 'login-protection-key-93e1';

describe('login rate limit', () => {
  let clock = 1_000_000;
  const { app } = createTestApp({ apiKey, now: () => clock, limits: { failedLoginBurst: 3, failedLoginRefillMs: 6000 } });
  after(() => app.close());
  const login = (key: string, remoteAddress = '203.0.113.7') => app.inject({ method: 'POST', url: '/api/login', payload: { apiKey: key }, remoteAddress });

  it('answers 429 with Retry-After once an address has used up its wrong keys, even for the right key', async () => {
    for (let attempt = 0; attempt < 3; attempt++) assert.equal((await login('wrong')).statusCode, 401);
    const limited = await login('wrong');
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['retry-after'], '6');
    assert.equal(limited.json().error.code, 'rate-limited');
    assert.match(limited.json().error.message, /too many wrong API keys from this address: try again in 6 s/);
    assert.equal((await login(apiKey)).statusCode, 429, 'guessing right while limited does not help');
    // Bearer keys on the API count against the same address.
    const tgi = await app.inject({ method: 'POST', url: '/generate', headers: { authorization: 'Bearer wrong' }, payload: { inputs: 'hi' }, remoteAddress: '203.0.113.7' });
    assert.equal(tgi.statusCode, 429);
    assert.equal(tgi.json().error_type, 'overloaded');
  });

  it('leaves other addresses alone, and lets the address try again once its time has passed', async () => {
    assert.equal((await login(apiKey, '198.51.100.1')).statusCode, 204);
    clock += 6000;
    assert.equal((await login(apiKey)).statusCode, 204);
  });

  it('counts Bearer guesses too', async () => {
    const guess = () => app.inject({ method: 'GET', url: '/info', headers: { authorization: 'Bearer nope' }, remoteAddress: '192.0.2.9' });
    const statuses = [];
    for (let attempt = 0; attempt < 5; attempt++) statuses.push((await guess()).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
  });
});

describe('sessions', () => {
  const { app } = createTestApp({ apiKey });
  after(() => app.close());

  it('logout revokes the session: the same cookie, replayed, is refused', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey } });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    assert.equal((await app.inject({ method: 'GET', url: '/api/conversations', headers: { cookie } })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie } })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/conversations', headers: { cookie } })).statusCode, 401);
  });

  it('other sessions stay logged in', async () => {
    const first = String((await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey } })).headers['set-cookie']).split(';')[0] ?? '';
    const second = String((await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey } })).headers['set-cookie']).split(';')[0] ?? '';
    await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: first } });
    assert.equal((await app.inject({ method: 'GET', url: '/api/conversations', headers: { cookie: second } })).statusCode, 200);
  });
});

describe('--trust-proxy', () => {
  it('sets Secure behind a TLS proxy only when the proxy is trusted', async () => {
    const trusting = createTestApp({ apiKey, trustProxy: true }).app;
    const plain = createTestApp({ apiKey }).app;
    const behindTls = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.23' };
    const trusted = await trusting.inject({ method: 'POST', url: '/api/login', headers: behindTls, payload: { apiKey } });
    assert.match(String(trusted.headers['set-cookie']), /; Secure/);
    const untrusted = await plain.inject({ method: 'POST', url: '/api/login', headers: behindTls, payload: { apiKey } });
    assert.doesNotMatch(String(untrusted.headers['set-cookie']), /Secure/);
    await Promise.all([trusting.close(), plain.close()]);
  });

  it('rate-limits each client behind the proxy by its own address', async () => {
    const { app } = createTestApp({ apiKey, trustProxy: true, limits: { failedLoginBurst: 1, failedLoginRefillMs: 60_000 } });
    const login = (client: string, key: string) =>
      app.inject({ method: 'POST', url: '/api/login', headers: { 'x-forwarded-for': client }, payload: { apiKey: key }, remoteAddress: '127.0.0.1' });
    assert.equal((await login('198.51.100.1', 'wrong')).statusCode, 401);
    assert.equal((await login('198.51.100.1', 'wrong')).statusCode, 429);
    assert.equal((await login('198.51.100.2', apiKey)).statusCode, 204, 'another client behind the same proxy is not limited');
    await app.close();
  });
});

describe('short keys', () => {
  const shortKey = 'k3y';
  const upstreamKey = 'up9';
  const echo = createEchoBackend({ backend: 'echo' });
  const { app, logs } = createTestApp({
    apiKey: shortKey,
    secrets: [shortKey, upstreamKey],
    backend: {
      ...echo,
      async *generate() {
        yield { type: 'error', code: 'unauthorized', message: `upstream refused key ${upstreamKey}` };
      },
    },
  });
  after(() => app.close());

  it('are scrubbed from logs and responses however short', async () => {
    const failed = await app.inject({ method: 'POST', url: '/generate', headers: { authorization: `Bearer ${shortKey}` }, payload: { inputs: 'hi' } });
    assert.doesNotMatch(failed.body, /up9/);
    app.log.info(`a careless line with ${shortKey} and ${upstreamKey}`);
    assert.doesNotMatch(logs.text, /k3y|up9/);
  });

  it('are compared without regard to length', () => {
    assert.equal(safeEqual(shortKey, shortKey), true);
    assert.equal(safeEqual('k3', shortKey), false);
    assert.equal(safeEqual(`${shortKey}-and-much-longer`, shortKey), false);
    assert.equal(safeEqual('', shortKey), false);
  });
});
