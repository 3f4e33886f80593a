import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { harmonyEndToken } from './harmony-end-token.ts';
import { loadLlama } from './load-llama.ts';

describe('harmonyEndToken', async () => {
  const llama = await loadLlama();
  const gptOss = await llama.loadModel({ modelPath: await ensureTestModel('tiny-gpt-oss') });
  const qwen3 = await llama.loadModel({ modelPath: await ensureTestModel('tiny-qwen3') });
  after(async () => {
    await gptOss.dispose();
    await qwen3.dispose();
  });

  it("is gpt-oss's <|end|>, which node-llama-cpp counts as an end of generation though the turn goes on", () => {
    const end = harmonyEndToken(gptOss, gptOss.fileInfo.metadata.tokenizer?.chat_template ?? null);
    assert.ok(end !== null);
    assert.equal(gptOss.detokenize([end], true), '<|end|>');
    assert.equal(gptOss.isEogToken(end), true, 'the reason the engine must look past it');
    assert.equal(gptOss.isEogToken(gptOss.tokens.eos!), true, '<|return|> still ends the turn');
  });

  it('is null for models without harmony channels', () => {
    assert.equal(harmonyEndToken(qwen3, qwen3.fileInfo.metadata.tokenizer?.chat_template ?? null), null);
  });
});
