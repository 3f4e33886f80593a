import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LlamaModel } from 'node-llama-cpp';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { loadLlama } from './load-llama.ts';
import { TokenTextDecoder } from './token-text-decoder.ts';

describe('TokenTextDecoder with a real byte-level BPE tokenizer', () => {
  let model: LlamaModel;
  before(async () => {
    const llama = await loadLlama();
    model = await llama.loadModel({ modelPath: await ensureTestModel('tiny'), vocabOnly: true });
  });
  after(async () => {
    await model?.dispose();
  });

  it('never streams half a character when one is split across tokens', () => {
    const text = 'Llamas 🦙 say ünïcödé, 日本語 and 👩‍👩‍👧 too.';
    const tokens = model.tokenize(text);
    // The point of the test: some characters really are split over several tokens.
    const splitTokens = tokens.filter((token) => model.detokenize([token]).includes('\uFFFD'));
    assert.ok(splitTokens.length >= 3, 'the tokenizer splits some characters into byte tokens');

    const decoder = new TokenTextDecoder(model);
    const deltas = tokens.map((token) => decoder.push(token));
    deltas.push(decoder.flush());
    for (const delta of deltas) assert.ok(!delta.includes('\uFFFD'), `delta ${JSON.stringify(delta)} holds a broken character`);
    assert.equal(deltas.join(''), text);
  });

  it('renders special tokens as nothing', () => {
    const decoder = new TokenTextDecoder(model);
    const [imEnd] = model.tokenize('<|im_end|>', true);
    assert.ok(imEnd !== undefined);
    assert.equal(decoder.push(imEnd), '');
  });
});
