import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { GenerationEvent } from '../backends/backend.ts';
import { printAnswer } from './print-answer.ts';

async function* thinkingThenAnswer(): AsyncGenerator<GenerationEvent> {
  yield { type: 'reasoning-delta', text: 'Hmm, ' };
  yield { type: 'reasoning-delta', text: 'four.' };
  yield { type: 'text-delta', text: '4' };
}

function collected(stream: PassThrough): () => string {
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return () => text;
}

describe('printAnswer with a thinking model', () => {
  it('dims the thinking on a terminal and closes the dim before the answer', async () => {
    const output = new PassThrough();
    const thoughts = new PassThrough();
    const answerText = collected(output);
    const thoughtText = collected(thoughts);
    const printed = await printAnswer(thinkingThenAnswer(), output, { stream: thoughts, dim: true });
    assert.equal(printed.text, '4');
    assert.equal(answerText(), '4');
    assert.equal(thoughtText(), '\x1b[2mHmm, four.\x1b[22m\n');
  });
});
