import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { prepareGeneration } from '../prepare-generation.ts';

const qwen3Template = readFileSync(new URL('../../backends/llamacpp/__fixtures__/qwen3-0.6b.jinja', import.meta.url), 'utf8');
const backend = createEchoBackend({ backend: 'echo' });
// As the embedded engine sees it: a raw-text backend with the model's own template.
const info = { ...(await backend.info()), input: 'prompt' as const, chatTemplate: qwen3Template, specialTokens: { bos: null, eos: '<|im_end|>' } };
const messages = [{ role: 'user' as const, content: 'Hi' }];

describe("Qwen3's enable_thinking switch", () => {
  it('is off in the prompt when the request turns it off, or with --reasoning off', async () => {
    for (const prepared of [
      await prepareGeneration({ backend, info, messages, settings: { template: 'model' }, extras: { enableThinking: false } }),
      await prepareGeneration({ backend, info: { ...info, reasoning: 'off' }, messages, settings: { template: 'model' } }),
    ]) {
      assert.ok(prepared.request.prompt?.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), prepared.request.prompt);
      assert.deepEqual(prepared.request.reasoning, { open: '<think>', close: '</think>', startsInside: false });
    }
  });

  it("is left to the template's default (thinking) otherwise, and the answer's <think> block is split off", async () => {
    const prepared = await prepareGeneration({ backend, info, messages, settings: { template: 'model' } });
    assert.ok(prepared.request.prompt?.endsWith('<|im_start|>assistant\n'), prepared.request.prompt);
    assert.equal(prepared.request.reasoning?.open, '<think>');
    const raw = await prepareGeneration({ backend, info: { ...info, reasoning: 'raw' }, messages, settings: { template: 'model' } });
    assert.equal(raw.request.reasoning, undefined);
  });

  it('drops past thinking from assistant turns, as the template itself does', async () => {
    const prepared = await prepareGeneration({
      backend,
      info,
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: '<think>\nsecret musing\n</think>\n\nHello!' }, { role: 'user', content: 'Again' }],
      settings: { template: 'model' },
    });
    assert.doesNotMatch(prepared.request.prompt ?? '', /secret musing/);
    assert.match(prepared.request.prompt ?? '', /Hello!/);
  });
});
