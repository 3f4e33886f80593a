import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Backend } from '../../backends/backend.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

const longInputs = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');

/** Reads a streamed response until `count` SSE events have arrived. */
async function readEvents(response: Response, count: number): Promise<void> {
  const reader = response.body!.getReader();
  let text = '';
  while (parseSse(text).length < count) text += new TextDecoder().decode((await reader.read()).value);
}

describe('scheduling', () => {
  it('past --max-queue, requests get 429 overloaded at once, in each API’s format', async () => {
    const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', delayMs: 20 }), parallel: 1, maxQueue: 1 });
    const base = await listenOnFreePort(app);
    const post = (path: string, body: object, signal?: AbortSignal) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    const controller = new AbortController();
    const running = await post('/generate_stream', { inputs: longInputs }, controller.signal);
    await readEvents(running, 1);
    const queued = post('/generate', { inputs: 'short' }, controller.signal).catch(() => null);
    await waitFor(async () => (await (await fetch(`${base}/metrics`)).text()).includes('anychat_queue_depth{model="echo"} 1'));
    const started = Date.now();
    const refused = await post('/generate', { inputs: 'one more' });
    assert.equal(refused.status, 429);
    assert.ok(Date.now() - started < 500, 'refused at once, not after waiting');
    assert.deepEqual(Object.keys(await refused.json()), ['error', 'error_type']);
    const refusedOpenAi = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] });
    assert.equal(refusedOpenAi.status, 429);
    assert.equal(((await refusedOpenAi.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    controller.abort();
    await queued;
    await app.close();
  });

  it('a client that disconnects aborts its generation: the backend sees the abort and the slot is free again', async () => {
    const echo = createEchoBackend({ backend: 'echo', delayMs: 20 });
    let abortedAt: number | null = null;
    let started = false;
    // Watches the signal the route hands the backend; generation itself is the echo backend's.
    const watched: Backend = {
      ...echo,
      generate(request, signal) {
        started = true;
        signal?.addEventListener('abort', () => (abortedAt = Date.now()));
        return echo.generate(request, signal);
      },
    };
    const { app, logs } = createTestApp({ backend: watched, parallel: 1, maxQueue: 0 });
    const base = await listenOnFreePort(app);
    for (const [path, body] of [
      ['/generate_stream', { inputs: longInputs }],
      ['/generate', { inputs: longInputs }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: longInputs }], stream: true }],
    ] as const) {
      abortedAt = null;
      started = false;
      const controller = new AbortController();
      const response = fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: controller.signal });
      // /generate streams nothing to wait on: wait until the backend is generating.
      if (path === '/generate') await waitFor(() => started, { what: 'the backend to start generating' });
      else await readEvents(await response, 2);
      const disconnectedAt = Date.now();
      controller.abort();
      await response.catch(() => null);
      await waitFor(() => abortedAt !== null);
      assert.ok(abortedAt! - disconnectedAt < 100, `${path}: the abort reached the backend within one token`);
      // With parallel 1 and no queue, a new request is only accepted once the slot is free.
      await waitFor(async () => (await fetch(`${base}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":"x"}' })).status === 200);
    }
    assert.match(logs.text, /"outcome":"aborted"/);
    await app.close();
  });

  it('a request over --timeout ends with a timeout error (424 before streaming, an SSE error event after)', async () => {
    const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', delayMs: 30 }), limits: { requestTimeoutMs: 150 } });
    const generate = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: longInputs } });
    assert.equal(generate.statusCode, 424);
    assert.match(generate.json().error, /longer than 0.15 s/);
    const stream = await app.inject({ method: 'POST', url: '/generate_stream', payload: { inputs: longInputs } });
    const last = JSON.parse(parseSse(stream.body).at(-1)?.data ?? '{}');
    assert.equal(last.error_type, 'generation');
    assert.match(last.error, /longer than/);
    await app.close();
  });
});

describe('while the model loads', () => {
  let finishLoading!: (backend: Backend) => void;
  const loading = new Promise<Backend>((resolve) => (finishLoading = resolve));
  const { app } = createTestApp({ backend: loading });
  after(() => app.close());

  it('/health and the page answer; generation routes say 503 with the reason; then it is ready', async () => {
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 503);
    assert.equal(health.json().status, 'loading');
    assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200);
    const generate = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'hi' } });
    assert.equal(generate.statusCode, 503);
    assert.match(generate.json().error, /still loading/);
    finishLoading(createEchoBackend({ backend: 'echo' }));
    await waitFor(async () => (await app.inject({ method: 'GET', url: '/health' })).statusCode === 200);
    assert.equal((await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'hi' } })).statusCode, 200);
  });

  it('a model that fails to load is reported with its reason', async () => {
    const { app: failed } = createTestApp({ backend: Promise.reject(new Error('model file /models/x.gguf not found')) });
    await waitFor(async () => (await failed.inject({ method: 'GET', url: '/health' })).json().status === 'failed');
    const health = (await failed.inject({ method: 'GET', url: '/health' })).json();
    assert.match(health.reason, /x\.gguf not found/);
    await failed.close();
  });
});

describe('metrics', () => {
  it('exposes requests, queue depth, active sequences, tokens and latency histograms', async () => {
    const { app } = createTestApp();
    await app.inject({ method: 'POST', url: '/generate_stream', payload: { inputs: 'one two three' } });
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of [
      'anychat_http_requests_total{method="POST",route="/generate_stream",status="200"} 1',
      'anychat_queue_depth{model="echo"} 0',
      'anychat_active_sequences{model="echo"} 0',
      'anychat_generated_tokens_total{model="echo"} 3',
      'anychat_time_to_first_token_seconds_count{model="echo"} 1',
      'anychat_inter_token_seconds_count{model="echo"} 2',
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
    await app.close();
  });
});
