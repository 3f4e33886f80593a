import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shortcutFor } from './keyboard-shortcuts.ts';

const press = (key: string, modifiers: Partial<Parameters<typeof shortcutFor>[0]> = {}) =>
  shortcutFor({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, inTextField: false, ...modifiers });

test('new chat, focus prompt and stop', () => {
  assert.equal(press('O', { ctrlKey: true, shiftKey: true }), 'new-chat');
  assert.equal(press('o', { metaKey: true, shiftKey: true }), 'new-chat');
  assert.equal(press('/'), 'focus-prompt');
  assert.equal(press('Escape', { shiftKey: true }), 'focus-prompt');
  assert.equal(press('Escape'), 'stop');
});

test('typing a slash in a text field is just a slash', () => {
  assert.equal(press('/', { inTextField: true }), null);
  assert.equal(press('o', { ctrlKey: true }), null);
});
