import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParametersError, parseGenerationParameters, resolveGenerationParameters } from './generation-parameters.ts';

function problemsOf(input: unknown): string {
  try {
    parseGenerationParameters(input);
  } catch (error) {
    assert.ok(error instanceof InvalidParametersError);
    return error.message;
  }
  assert.fail('expected the parameters to be refused');
}

describe('generation parameters', () => {
  it('accepts the lesson parameters and fills defaults', () => {
    const resolved = resolveGenerationParameters(parseGenerationParameters({ maxNewTokens: 1024, stop: ['\nUser:', '<|endoftext|>'] }));
    assert.deepEqual(resolved, { maxNewTokens: 1024, stop: ['\nUser:', '<|endoftext|>'], temperature: 0.7 });
  });

  it('treats temperature 0 as valid (greedy)', () => {
    assert.equal(parseGenerationParameters({ temperature: 0 }).temperature, 0);
  });

  it('names the field, the value and the range', () => {
    assert.match(problemsOf({ temperature: -1 }), /temperature must be ≥ 0.*got -1/);
    assert.match(problemsOf({ topP: 0 }), /topP must be > 0 and ≤ 1, got 0/);
    assert.match(problemsOf({ topP: 1.5 }), /topP must be > 0 and ≤ 1, got 1.5/);
    assert.match(problemsOf({ maxNewTokens: 0 }), /maxNewTokens must be ≥ 1, got 0/);
    assert.match(problemsOf({ maxNewTokens: 2.5 }), /maxNewTokens must be a whole number/);
    assert.match(problemsOf({ temperature: 'hot' }), /temperature must be a number.*got "hot"/);
    assert.match(problemsOf({ stop: ['a', 'b', 'c', 'd', 'e'] }), /at most 4 stop sequences are allowed, got 5/);
    assert.match(problemsOf({ stop: [''] }), /stop sequences must not be empty/);
    assert.match(problemsOf({ temprature: 1 }), /unknown parameter\(s\): temprature/);
  });

  it('keeps max new tokens within the window', () => {
    assert.throws(() => resolveGenerationParameters({ maxNewTokens: 5000 }, { contextWindow: 4096 }), /within the model's context window of 4096 tokens, got 5000/);
    assert.equal(resolveGenerationParameters({}, { contextWindow: 256 }).maxNewTokens, 256);
  });
});
