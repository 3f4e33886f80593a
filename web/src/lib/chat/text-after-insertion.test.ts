import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textAfterInsertion } from './text-after-insertion.ts';

const field = (value: string, selectionStart: number, selectionEnd = selectionStart) => ({ value, selectionStart, selectionEnd });

test('typed or pasted text lands at the caret, in place of the selection', () => {
  assert.equal(textAfterInsertion(field('Hello world', 5), { data: ',', dataTransfer: null }), 'Hello, world');
  assert.equal(textAfterInsertion(field('Hello world', 6, 11), { data: 'there', dataTransfer: null }), 'Hello there');
  assert.equal(textAfterInsertion(field('', 0), { data: 'A'.repeat(50_000), dataTransfer: null }), 'A'.repeat(50_000));
});

test('a drop carries its text in a data transfer', () => {
  const dataTransfer = { getData: (format: string) => (format === 'text/plain' ? 'dropped' : '') } as DataTransfer;
  assert.equal(textAfterInsertion(field('a  b', 2), { data: null, dataTransfer }), 'a dropped b');
});

test('input that inserts no text is left to the input event', () => {
  assert.equal(textAfterInsertion(field('Hello', 5), { data: null, dataTransfer: null }), null);
  assert.equal(textAfterInsertion(field('Hello', 5), { data: '', dataTransfer: null }), null);
});
