import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

const apiKey = 'anychat-test-key-7f3a9c';
const upstreamKey = 'hf_upstream_secret_91b2e4';

describe('API key', () => {
  const echo = createEchoBackend({ backend: 'echo' });
  const { app, logs } = createTestApp({
    apiKey,
    secrets: [apiKey, upstreamKey],
    // An upstream that quotes its key back in an error, as some proxies do.
    backend: {
      ...echo,
      async *generate(request, signal) {
        if (request.prompt?.includes('fail')) {
          yield { type: 'error', code: 'unauthorized', message: `upstream said 401 for key ${upstreamKey}` };
          return;
        }
        yield* echo.generate(request, signal);
      },
    },
  });
  // The test app's logger scrubs both keys, as `anychat serve` configures it.
  after(() => app.close());
  const bearer = { authorization: `Bearer ${apiKey}` };

  it('is required on TGI, OpenAI, app API and metrics routes, with each API’s error body', async () => {
    const tgi = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'hi' } });
    assert.equal(tgi.statusCode, 401);
    assert.equal(tgi.json().error_type, 'authentication');
    assert.equal(tgi.headers['www-authenticate'], 'Bearer realm="anychat"');
    const openai = await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: 'Bearer wrong-key' }, payload: { messages: [] } });
    assert.equal(openai.statusCode, 401);
    assert.equal(openai.json().error.code, 'invalid_api_key');
    const appApi = await app.inject({ method: 'GET', url: '/api/conversations' });
    assert.equal(appApi.statusCode, 401);
    assert.equal(appApi.json().error.code, 'unauthorized');
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/info' })).statusCode, 401);
  });

  it('is accepted as Bearer, and as the lesson’s "Basic KEY" header', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/generate', headers: bearer, payload: { inputs: 'hi' } })).statusCode, 200);
    const lesson = await app.inject({ method: 'POST', url: '/', headers: { authorization: `Basic ${apiKey}` }, payload: { inputs: 'hi', stream: false } });
    assert.equal(lesson.statusCode, 200);
    const curlStyle = Buffer.from(`user:${apiKey}`).toString('base64');
    assert.equal((await app.inject({ method: 'GET', url: '/info', headers: { authorization: `Basic ${curlStyle}` } })).statusCode, 200);
  });

  it('leaves health, status and the page open', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/status' })).json().authRequired, true);
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  });

  it('logs the page in with an HttpOnly, SameSite=Strict session cookie', async () => {
    const wrong = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey: 'nope' } });
    assert.equal(wrong.statusCode, 401);
    const login = await app.inject({ method: 'POST', url: '/api/login', payload: { apiKey } });
    assert.equal(login.statusCode, 204);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    const cookie = setCookie.split(';')[0] ?? '';
    assert.equal((await app.inject({ method: 'GET', url: '/api/conversations', headers: { cookie } })).statusCode, 200);
    const tampered = cookie.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal((await app.inject({ method: 'GET', url: '/api/conversations', headers: { cookie: tampered } })).statusCode, 401);
  });

  it('never lets the keys reach a response or a log line', async () => {
    const failed = await app.inject({ method: 'POST', url: '/generate', headers: bearer, payload: { inputs: 'please fail' } });
    assert.equal(failed.statusCode, 424);
    assert.doesNotMatch(failed.body, new RegExp(upstreamKey));
    assert.match(failed.json().error, /\[redacted\]/);
    app.log.info({ apiKey, headers: { authorization: `Bearer ${apiKey}` } }, `a careless line mentioning ${upstreamKey}`);
    assert.ok(logs.lines.length > 5, 'requests were logged');
    assert.doesNotMatch(logs.text, new RegExp(apiKey));
    assert.doesNotMatch(logs.text, new RegExp(upstreamKey));
  });
});

describe('CORS', () => {
  it('is off unless an origin is configured', async () => {
    const { app: closed } = createTestApp();
    const response = await closed.inject({ method: 'GET', url: '/health', headers: { origin: 'https://elsewhere.example' } });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    await closed.close();
    const { app: open } = createTestApp({ corsOrigin: 'https://chat.example' });
    const allowed = await open.inject({ method: 'GET', url: '/health', headers: { origin: 'https://chat.example' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://chat.example');
    await open.close();
  });
});
