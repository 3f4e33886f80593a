import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { detectReasoningSyntax, HARMONY_CHANNELS, ReasoningSplitter, THINK_TAGS, type ReasoningSyntax, type SplitPart } from './split-reasoning.ts';

function splitAll(chunks: string[], startsInside = false, syntax: Omit<ReasoningSyntax, 'startsInside'> = THINK_TAGS): { reasoning: string; text: string } {
  const splitter = new ReasoningSplitter({ ...syntax, startsInside });
  const parts: SplitPart[] = [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.flush()];
  return {
    reasoning: parts.filter((part) => part.kind === 'reasoning').map((part) => part.text).join(''),
    text: parts.filter((part) => part.kind === 'text').map((part) => part.text).join(''),
  };
}

describe('ReasoningSplitter', () => {
  it('splits a Qwen3-style block from the answer and drops the blank lines around it', () => {
    assert.deepEqual(splitAll(['<think>\nLet me see.\n</think>\n\nThe answer is 4.']), { reasoning: 'Let me see.', text: 'The answer is 4.' });
  });

  it('reads tags cut across any deltas the same way', () => {
    const whole = '  <think>\nI think, so I am.\n</think>\n\nHello <b>there</b>';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, index) => whole.slice(start, points[index] ?? whole.length));
        assert.deepEqual(splitAll(chunks), { reasoning: 'I think, so I am.', text: 'Hello <b>there</b>' });
      }),
    );
  });

  it('treats everything as thinking when the prompt opened the block, until the model closes it', () => {
    assert.deepEqual(splitAll(['Okay, the user', ' wants 2+2.</th', 'ink>\n\n4'], true), { reasoning: 'Okay, the user wants 2+2.', text: '4' });
    assert.deepEqual(splitAll(['still thinking when the budget ran out'], true), { reasoning: 'still thinking when the budget ran out', text: '' });
  });

  it('leaves a `<think>` that does not open the answer in the text', () => {
    assert.deepEqual(splitAll(['Use <think> tags like <think>this</think>']), { reasoning: '', text: 'Use <think> tags like <think>this</think>' });
    assert.deepEqual(splitAll(['<thi', 'nking>']), { reasoning: '', text: '<thinking>' });
    assert.deepEqual(splitAll(['<thi']), { reasoning: '', text: '<thi' });
  });
});

describe("ReasoningSplitter on gpt-oss's harmony channels", () => {
  const whole = '<|channel|>analysis<|message|>Two and two.<|end|><|start|>assistant<|channel|>final<|message|>It is 4.';
  it('splits the analysis channel off and drops the final channel header, however the text is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 10 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, index) => whole.slice(start, points[index] ?? whole.length));
        assert.deepEqual(splitAll(chunks, false, HARMONY_CHANNELS), { reasoning: 'Two and two.', text: 'It is 4.' });
      }),
    );
  });
  it('drops the final header when the model skips the analysis, and keeps other text', () => {
    assert.deepEqual(splitAll(['<|channel|>final<|message|>Just 4.'], false, HARMONY_CHANNELS), { reasoning: '', text: 'Just 4.' });
    assert.deepEqual(splitAll(['Plain words.'], false, HARMONY_CHANNELS), { reasoning: '', text: 'Plain words.' });
  });
  it('is what a template with channels shows', () => {
    assert.deepEqual(detectReasoningSyntax('{{- "<|start|>assistant<|channel|>analysis<|message|>" + m + "<|end|>" }}', 'x<|start|>assistant'), { ...HARMONY_CHANNELS, startsInside: false });
  });
});

describe('detectReasoningSyntax', () => {
  it('finds think tags in the template and whether the prompt leaves the block open', () => {
    const template = "{{ '<｜Assistant｜><think>\\n' }}";
    assert.deepEqual(detectReasoningSyntax(template, 'question<｜Assistant｜><think>\n'), { ...THINK_TAGS, startsInside: true });
    assert.deepEqual(detectReasoningSyntax(template, '<think>\n\n</think>\n\n'), { ...THINK_TAGS, startsInside: false });
    assert.equal(detectReasoningSyntax('{{ messages }}', '<think>'), null);
  });
});
