import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from '../../backends/llamacpp/llamacpp-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

/**
 * The embedded engine, for real: a client that hangs up mid-stream must give its llama.cpp
 * sequence back within about one token, reported by the backend's own stats().
 */
describe('disconnect frees the llama.cpp sequence', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 1024, parallel: 1 });
  });
  after(() => backend?.close());

  it('on /generate_stream', async () => {
    const { app } = createTestApp({ backend, parallel: 1, maxQueue: 0 });
    const base = await listenOnFreePort(app);
    const controller = new AbortController();
    const response = await fetch(`${base}/generate_stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: 'Once upon a time', parameters: { max_new_tokens: 800, do_sample: true, temperature: 1 } }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    const started = performance.now();
    while (parseSse(text).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    const tokenMs = (performance.now() - started) / 3;
    assert.equal(backend.stats().activeSequences, 1);
    const disconnectedAt = performance.now();
    controller.abort();
    await waitFor(() => backend.stats().activeSequences === 0, { what: 'the sequence to be freed', timeoutMs: 2000 });
    const freedAfterMs = performance.now() - disconnectedAt;
    // Within one token (plus scheduling slack on a shared two-core box).
    assert.ok(freedAfterMs < Math.max(tokenMs * 2, 100), `freed after ${freedAfterMs.toFixed(0)} ms, a token takes ${tokenMs.toFixed(0)} ms`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /anychat_active_sequences\{model="echo"\} 0/);
    await app.close();
  });

  it('deleting a question while its answer streams stops the engine and frees the sequence', async () => {
    const { app } = createTestApp({ backend, parallel: 1, maxQueue: 0 });
    const base = await listenOnFreePort(app);
    const conversation = (await (await fetch(`${base}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
    const response = await fetch(`${base}/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Tell me a long story.', settings: { parameters: { maxNewTokens: 800, temperature: 1 } } }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (parseSse(text).filter((event) => event.event === 'text-delta').length < 3) text += (await reader.read()).value ?? '';
    assert.equal(backend.stats().activeSequences, 1);
    const question = JSON.parse(parseSse(text).find((event) => event.event === 'user-message')!.data) as { message: { id: string } };
    assert.equal((await fetch(`${base}/api/messages/${question.message.id}`, { method: 'DELETE' })).status, 204);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const end = parseSse(text).at(-1)!;
    assert.equal(end.event, 'answer-error', 'a deleted answer never ends as done');
    assert.equal((JSON.parse(end.data) as { code: string }).code, 'deleted');
    assert.equal(backend.stats().activeSequences, 0, 'the sequence is free once the stream has ended');
    assert.ok(parseSse(text).filter((event) => event.event === 'text-delta').length < 800, 'the engine stopped early');
    await app.close();
  });

  it('POST /tokenize returns the model’s own tokens with their offsets', async () => {
    const { app } = createTestApp({ backend, parallel: 1, maxQueue: 0 });
    const response = await app.inject({ method: 'POST', url: '/tokenize', payload: { inputs: '<|im_start|>user\nHello world' } });
    assert.equal(response.statusCode, 200, response.body);
    const tokens = response.json() as Array<{ id: number; text: string; start: number; stop: number }>;
    assert.equal(tokens.length, await backend.countTokens('<|im_start|>user\nHello world'));
    assert.equal(tokens[0]?.text, '<|im_start|>', 'special tokens are parsed, not spelled out');
    assert.equal(tokens.map((token) => token.text).join(''), '<|im_start|>user\nHello world');
    assert.equal(tokens.at(-1)?.stop, '<|im_start|>user\nHello world'.length);
    await app.close();
  });
});
