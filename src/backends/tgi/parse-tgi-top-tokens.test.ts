import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTgiParameters } from './build-tgi-parameters.ts';
import { parseTgiStreamEvent } from './parse-tgi-stream.ts';
import { resolveGenerationParameters } from '../../chat/generation-parameters.ts';

describe('TGI log-probabilities, passed through', () => {
  it('reads a token’s logprob and its top_tokens into the part', () => {
    // Hand-written in the shape of TGI's StreamResponse (docs/openapi.json) with top_n_tokens 2.
    const event = JSON.stringify({
      index: 1,
      token: { id: 1247, text: ' world', logprob: -0.25, special: false },
      top_tokens: [
        { id: 1247, text: ' world', logprob: -0.25, special: false },
        { id: 3815, text: ' there', logprob: -1.75, special: false },
      ],
      generated_text: null,
      details: null,
    });
    assert.deepEqual(parseTgiStreamEvent(event, 'TGI'), {
      type: 'text',
      text: ' world',
      tokenCount: 1,
      tokenId: 1247,
      logprobs: [
        { tokenId: 1247, text: ' world', logprob: -0.25, top: [{ tokenId: 1247, text: ' world', logprob: -0.25 }, { tokenId: 3815, text: ' there', logprob: -1.75 }] },
      ],
    });
  });

  it('asks TGI for top_n_tokens when logprobs are wanted, and for a grammar when a format is', () => {
    const parameters = resolveGenerationParameters({ maxNewTokens: 5 });
    assert.equal(buildTgiParameters(parameters, undefined, { top: 0 }).top_n_tokens, 1);
    assert.equal(buildTgiParameters(parameters, undefined, { top: 3 }).top_n_tokens, 3);
    assert.equal('top_n_tokens' in buildTgiParameters(parameters), false);
    assert.deepEqual(buildTgiParameters(parameters, { type: 'regex', pattern: '[0-9]+' }).grammar, { type: 'regex', value: '[0-9]+' });
    assert.deepEqual(buildTgiParameters(parameters, { type: 'json-object' }).grammar, { type: 'json', value: { type: 'object' } });
  });
});
