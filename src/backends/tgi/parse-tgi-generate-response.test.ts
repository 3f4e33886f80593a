import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { partsFromTgiGenerateResponse } from './parse-tgi-generate-response.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

describe('partsFromTgiGenerateResponse', () => {
  it('replays a recorded /generate answer token by token, prompt tokens from prefill', () => {
    const parts = partsFromTgiGenerateResponse(fixture('tgi-generate-length.json'), 'TGI');
    const texts = parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
    assert.equal(texts.length, 10);
    assert.equal(texts.join(''), ' for /api/v1/projects/1');
    // The recording asked for decoder_input_details: its prefill is the prompt's log-probabilities, passed on.
    assert.deepEqual(parts.at(-1), {
      type: 'finish',
      reason: 'length',
      promptTokens: 3,
      completionTokens: 10,
      promptLogprobs: [
        { tokenId: 1, text: '<s>', logprob: null },
        { tokenId: 4321, text: 'Test', logprob: -8.6875 },
        { tokenId: 2009, text: 'request', logprob: -11.546875 },
      ],
    });
  });

  it('falls back to the whole text when the tokens do not add up to it (return_full_text)', () => {
    // This recording was made with return_full_text=True: the prompt precedes the tokens.
    const parts = partsFromTgiGenerateResponse(fixture('tgi-generate-stop-sequence.json'), 'TGI');
    assert.deepEqual(parts[0], { type: 'text', text: 'Test request failed: Error in test', tokenCount: 5 });
    // TGI leaves the stop sequence ("test") in the text; the generation driver cuts it.
    assert.deepEqual(parts.at(-1), { type: 'finish', reason: 'stop', promptTokens: null, completionTokens: 5 });
  });

  it('accepts the list form of the compat route and an answer without details', () => {
    const parts = partsFromTgiGenerateResponse([{ generated_text: 'Seven.' }], 'TGI');
    assert.deepEqual(parts, [
      { type: 'text', text: 'Seven.', tokenCount: 1 },
      { type: 'finish', reason: null, promptTokens: null, completionTokens: null },
    ]);
  });
});
