import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from '../../backends/llamacpp/llamacpp-backend.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

function counter(metrics: string, pattern: RegExp): number {
  const match = metrics.match(pattern);
  assert.ok(match, `no ${pattern} in /metrics`);
  return Number(match[1]);
}

describe('/metrics: prompt tokens reused against evaluated', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 512 });
  });
  after(() => backend?.close());

  it('counts a second turn of one conversation as mostly reused', async () => {
    const { app } = createTestApp({ backend, parallel: 1 });
    const ask = (messages: { role: string; content: string }[]) =>
      app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { messages, max_tokens: 4, temperature: 0 } });
    const first = await ask([{ role: 'user', content: 'Tell me about llamas and the mountains where they live.' }]);
    assert.equal(first.statusCode, 200, first.body);
    const answer = (first.json() as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
    const before = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const second = await ask([
      { role: 'user', content: 'Tell me about llamas and the mountains where they live.' },
      { role: 'assistant', content: answer },
      { role: 'user', content: 'And alpacas?' },
    ]);
    assert.equal(second.statusCode, 200, second.body);
    const afterSecond = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const reused = /anychat_engine_prompt_tokens_total\{model="[^"]+",source="reused"\} (\d+)/;
    const evaluated = /anychat_engine_prompt_tokens_total\{model="[^"]+",source="evaluated"\} (\d+)/;
    const reusedOnSecond = counter(afterSecond, reused) - counter(before, reused);
    const evaluatedOnSecond = counter(afterSecond, evaluated) - counter(before, evaluated);
    assert.ok(reusedOnSecond > evaluatedOnSecond, `second turn: ${reusedOnSecond} reused, ${evaluatedOnSecond} evaluated`);
    assert.match(afterSecond, /anychat_engine_prompt_tokens_restored_total\{model="[^"]+"\} 0/);
    assert.match(afterSecond, /anychat_engine_prompt_cache_bytes\{model="[^"]+"\} 0/);
  });
});
