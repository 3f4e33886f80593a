/**
 * The Host and Origin checks over real HTTP (node:http, which lets a test set the Host header a
 * rebinding page's requests would carry): refused requests get 403 in each API's error shape,
 * saying what to set; loopback names, the listen address, --allowed-hosts, same-origin pages and
 * clients without Origin (curl, SDKs) keep working. The counts go to ROBUSTNESS.md ("Origins").
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { recordRobustnessFigures } from '../../../test/robustness/robustness-figures.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(baseUrl: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: unknown }): Promise<Answer> {
  const url = new URL(options.path, baseUrl);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers } },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const tally = { refusedHosts: 0, refusedOrigins: 0, allowedRequests: 0, crossOriginWritesAccepted: 0 };
after(() =>
  recordRobustnessFigures({
    suite: 'origins',
    title: 'Origins',
    runBy: 'npm test (src/server/origins/host-and-origin-check.test.ts)',
    figures: [
      { label: 'requests refused for their Host (DNS rebinding)', value: tally.refusedHosts },
      { label: 'state-changing requests refused for their Origin', value: tally.refusedOrigins },
      { label: 'requests from this server’s names, its own page and clients without Origin, accepted', value: tally.allowedRequests },
      { label: 'cross-origin writes accepted', value: tally.crossOriginWritesAccepted, mustBeZero: true },
    ],
    notes: [
      'fixed: no Host check, so DNS rebinding gave any website the API; now only loopback names, IP literals, --host and --allowed-hosts are answered',
      'fixed: a page on another localhost port (same-site, so the SameSite=Strict cookie is sent) could create conversations; state-changing requests with an Origin must now be same-origin or in --cors-origin',
    ],
  }),
);

describe('Host and Origin checks', () => {
  const apiKey = 'origin-test-key-4d81';
  const refusedHost = (answer: Answer) => {
    assert.equal(answer.status, 403, answer.body);
    tally.refusedHosts++;
  };
  const refusedOrigin = (answer: Answer) => {
    if (answer.status !== 403) tally.crossOriginWritesAccepted++;
    assert.equal(answer.status, 403, answer.body);
    tally.refusedOrigins++;
  };
  const allowed = (answer: Answer, status = 200) => {
    assert.equal(answer.status, status, answer.body);
    tally.allowedRequests++;
  };

  describe('with the defaults, no key', () => {
    const { app, store } = createTestApp({ listenHost: '127.0.0.1' });
    let baseUrl: string;
    let port: string;
    before(async () => {
      baseUrl = await listenOnFreePort(app);
      port = new URL(baseUrl).port;
    });
    after(() => app.close());

    it('refuses a rebinding Host on every API, in its own error shape, saying what to set', async () => {
      const headers = { host: `evil.example:${port}` };
      const appApi = await send(baseUrl, { method: 'POST', path: '/api/conversations', headers, body: {} });
      refusedHost(appApi);
      assert.equal(JSON.parse(appApi.body).error.code, 'forbidden');
      assert.match(JSON.parse(appApi.body).error.message, /does not answer to the name "evil\.example".*--allowed-hosts evil\.example \(or ANYCHAT_ALLOWED_HOSTS\)/);
      const tgi = await send(baseUrl, { path: '/info', headers });
      refusedHost(tgi);
      assert.equal(JSON.parse(tgi.body).error_type, 'authentication');
      const openai = await send(baseUrl, { path: '/v1/models', headers });
      refusedHost(openai);
      assert.equal(JSON.parse(openai.body).error.code, 'forbidden');
      refusedHost(await send(baseUrl, { path: '/api/conversations', headers: { host: 'localhost.evil.example' } }));
      refusedHost(await send(baseUrl, { path: '/', headers: { host: 'EVIL.example.' } }));
      assert.equal((await store.listConversations()).length, 0, 'nothing was created');
    });

    it('answers loopback names with any port, IP addresses and the listen address', async () => {
      for (const host of [`localhost:${port}`, 'LOCALHOST', `127.0.0.1:${port}`, `[::1]:${port}`, 'app.localhost:7860', `192.168.1.20:${port}`, `[fe80::1]:${port}`]) {
        allowed(await send(baseUrl, { path: '/api/conversations', headers: { host } }));
      }
    });

    it('refuses a write from a page on another localhost port, accepts its own page and clients without Origin', async () => {
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: `localhost:${port}`, origin: 'http://localhost:7877' }, body: {} }));
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/generate', headers: { origin: 'http://localhost:7877' }, body: { inputs: 'hi' } }));
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/v1/chat/completions', headers: { origin: 'https://evil.example' }, body: { messages: [{ role: 'user', content: 'hi' }] } }));
      refusedOrigin(await send(baseUrl, { method: 'DELETE', path: '/api/conversations/00000000-0000-0000-0000-000000000000', headers: { origin: 'null' } }));
      assert.equal((await store.listConversations()).length, 0);

      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { origin: baseUrl }, body: {} }), 201);
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: `localhost:${port}`, origin: `http://localhost:${port}` }, body: {} }), 201);
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', body: {} }), 201);
      // A cross-origin read is not refused here: without CORS headers the page cannot read it.
      allowed(await send(baseUrl, { path: '/api/conversations', headers: { origin: 'http://localhost:7877' } }));
      assert.equal((await store.listConversations()).length, 3);
    });
  });

  describe('with a key: the session cookie does not carry a write from another port', () => {
    const { app, store } = createTestApp({ apiKey });
    let baseUrl: string;
    before(async () => {
      baseUrl = await listenOnFreePort(app);
    });
    after(() => app.close());

    it('refuses the write although the SameSite=Strict cookie is sent', async () => {
      const login = await send(baseUrl, { method: 'POST', path: '/api/login', body: { apiKey } });
      allowed(login, 204);
      const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
      const port = new URL(baseUrl).port;
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: `localhost:${port}`, cookie, origin: 'http://localhost:7877' }, body: {} }));
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: `localhost:${port}`, cookie, origin: `http://localhost:${port}` }, body: {} }), 201);
      assert.equal((await store.listConversations()).length, 1);
    });
  });

  describe('with --allowed-hosts and --cors-origin', () => {
    const { app } = createTestApp({ allowedHosts: ['chat.example.com'], corsOrigin: ['https://tools.example.com'] });
    let baseUrl: string;
    before(async () => {
      baseUrl = await listenOnFreePort(app);
    });
    after(() => app.close());

    it('answers the allowed name and accepts writes from the listed origin, with every method in the preflight', async () => {
      allowed(await send(baseUrl, { path: '/api/conversations', headers: { host: 'chat.example.com' } }));
      refusedHost(await send(baseUrl, { path: '/api/conversations', headers: { host: 'other.example.com' } }));
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: 'chat.example.com', origin: 'https://tools.example.com' }, body: {} }), 201);
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { host: 'chat.example.com', origin: 'https://other.example.com' }, body: {} }));
      const preflight = await send(baseUrl, {
        method: 'OPTIONS',
        path: '/api/conversations/x',
        headers: { origin: 'https://tools.example.com', 'access-control-request-method': 'DELETE' },
      });
      assert.equal(preflight.status, 204);
      assert.match(String(preflight.headers['access-control-allow-methods']), /PATCH.*DELETE|DELETE.*PATCH/);
      assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
    });
  });

  describe('behind a trusted proxy that rewrites Host', () => {
    const { app } = createTestApp({ trustProxy: true, allowedHosts: ['chat.example.com'] });
    let baseUrl: string;
    before(async () => {
      baseUrl = await listenOnFreePort(app);
    });
    after(() => app.close());

    it('judges the name and origin the client used (X-Forwarded-Host and -Proto)', async () => {
      const forwarded = { host: '127.0.0.1:7860', 'x-forwarded-host': 'chat.example.com', 'x-forwarded-proto': 'https' };
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { ...forwarded, origin: 'https://chat.example.com' }, body: {} }), 201);
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { ...forwarded, origin: 'http://chat.example.com' }, body: {} }));
      refusedHost(await send(baseUrl, { path: '/api/conversations', headers: { ...forwarded, 'x-forwarded-host': 'evil.example' } }));
    });
  });

  describe("with --cors-origin '*'", () => {
    const { app } = createTestApp({ corsOrigin: ['*'] });
    let baseUrl: string;
    before(async () => {
      baseUrl = await listenOnFreePort(app);
    });
    after(() => app.close());

    it('never allows credentials, and never lets a cookie ride on a cross-origin write', async () => {
      const preflight = await send(baseUrl, { method: 'OPTIONS', path: '/api/conversations', headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.headers['access-control-allow-origin'], '*');
      assert.equal(preflight.headers['access-control-allow-credentials'], undefined);
      allowed(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { origin: 'https://any.example' }, body: {} }), 201);
      refusedOrigin(await send(baseUrl, { method: 'POST', path: '/api/conversations', headers: { origin: 'https://any.example', cookie: 'anychat_session=x' }, body: {} }));
    });
  });
});
