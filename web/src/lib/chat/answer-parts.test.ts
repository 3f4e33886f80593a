import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ToolCallRecord } from '../types/api.ts';
import { answerParts } from './answer-parts.ts';

const call = (id: string, step: number, textOffset: number): ToolCallRecord => ({
  id,
  name: 'files__read',
  server: 'files',
  tool: 'read',
  arguments: '{}',
  step,
  textOffset,
  status: 'done',
  result: 'ok',
  startedAt: null,
  durationMs: 1,
});

describe('answerParts', () => {
  it('puts each step\'s calls between the text before and after them', () => {
    const parts = answerParts('Let me look. Found it. Done.', [call('a', 0, 13), call('b', 0, 13), call('c', 1, 23)]);
    assert.deepEqual(
      parts.map((part) => (part.kind === 'text' ? part.text : part.calls.map((each) => each.id).join('+'))),
      ['Let me look. ', 'a+b', 'Found it. ', 'c', 'Done.'],
    );
  });

  it('an answer without calls is its text', () => {
    assert.deepEqual(answerParts('plain', undefined), [{ kind: 'text', text: 'plain' }]);
  });
});
