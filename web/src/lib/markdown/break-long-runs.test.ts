import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cutLongRun, cutLongRuns, LONGEST_UNBROKEN_RUN, wrapsSlowlyInTextField } from './break-long-runs.ts';

test('a long run is cut into short pieces that join back into it', () => {
  const run = 'A'.repeat(50_000);
  const pieces = cutLongRun(run);
  assert.equal(pieces.join(''), run);
  assert.ok(pieces.every((piece) => piece.length > 0 && piece.length <= LONGEST_UNBROKEN_RUN));
  assert.deepEqual(cutLongRun('short'), ['short']);
});

test('no cut falls inside an emoji, before a combining mark or after a zero-width joiner', () => {
  const family = '👩\u200d👩\u200d👧';
  const run = `${'x'.repeat(79)}${family}${'é'.normalize('NFD').repeat(60)}${'😀'.repeat(50)}`;
  const pieces = cutLongRun(run);
  assert.equal(pieces.join(''), run);
  for (const [index, piece] of pieces.entries()) {
    const next = pieces[index + 1];
    if (!next) continue;
    assert.doesNotMatch(next, /^[\p{M}\udc00-\udfff]/u, `piece ${index + 1} starts with a mark or half an emoji`);
    assert.ok(!piece.endsWith('\u200d'), `piece ${index} ends with a joiner`);
  }
});

test('a run of nothing but combining marks is still cut, and nothing is lost', () => {
  const run = `a${'\u0301'.repeat(500)}`;
  const pieces = cutLongRun(run);
  assert.equal(pieces.join(''), run);
  assert.ok(pieces.every((piece) => piece.length <= LONGEST_UNBROKEN_RUN));
});

test('plain text is cut only inside its long runs, and the pieces join back into it', () => {
  const blob = 'QUJD'.repeat(12_500);
  const text = `Here is the file:\n${blob}\n\nand a short line after it.`;
  const pieces = cutLongRuns(text);
  assert.equal(pieces.join(''), text);
  assert.equal(pieces.length, Math.ceil(blob.length / LONGEST_UNBROKEN_RUN));
  // The words around the run stay with its first and last piece: no break point outside the run.
  assert.ok(pieces[0]!.startsWith('Here is the file:\n'));
  assert.ok(pieces.at(-1)!.endsWith('\n\nand a short line after it.'));
  assert.ok(pieces.every((piece) => !/\S{81}/.test(piece)));
});

test('text without a long run comes back whole', () => {
  const ordinary = 'A paragraph of ordinary words.\n\n'.repeat(5000);
  assert.deepEqual(cutLongRuns(ordinary), [ordinary]);
  assert.deepEqual(cutLongRuns(''), ['']);
  assert.deepEqual(cutLongRuns('x'.repeat(LONGEST_UNBROKEN_RUN)), ['x'.repeat(LONGEST_UNBROKEN_RUN)]);
});

test('a text field stops wrapping inside runs once they would take long to wrap, not for a link or two', () => {
  const link = `https://example.com/${'path/'.repeat(60)}`;
  assert.equal(wrapsSlowlyInTextField(`see ${link} and ${link}`), false);
  assert.equal(wrapsSlowlyInTextField('ordinary words '.repeat(20_000)), false);
  assert.equal(wrapsSlowlyInTextField(`a pasted blob: ${'A'.repeat(50_000)}`), true);
  // Many runs just under any one-run limit add up to the same work.
  assert.equal(wrapsSlowlyInTextField(`${'B'.repeat(900)} `.repeat(300)), true);
});
