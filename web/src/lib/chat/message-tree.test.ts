import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredMessage } from '../types/api.ts';
import { activeBranch, buildMessageTree, newestLeafUnder, siblingPosition } from './message-tree.ts';

let clock = 0;
function message(id: string, parentId: string | null, role: StoredMessage['role']): StoredMessage {
  const time = new Date(Date.UTC(2025, 0, 1, 0, 0, clock++)).toISOString();
  return { id, conversationId: 'c', parentId, role, content: id, generation: null, createdAt: time, updatedAt: time };
}

// u1 → a1 → u2 → a2, then u2 edited into u2b → a2b, and a2b regenerated into a2c.
const messages = [
  message('u1', null, 'user'),
  message('a1', 'u1', 'assistant'),
  message('u2', 'a1', 'user'),
  message('a2', 'u2', 'assistant'),
  message('u2b', 'a1', 'user'),
  message('a2b', 'u2b', 'assistant'),
  message('a2c', 'u2b', 'assistant'),
];
const tree = buildMessageTree(messages);

test('the active branch walks from the leaf to the root', () => {
  assert.deepEqual(activeBranch(tree, 'a2').map((m) => m.id), ['u1', 'a1', 'u2', 'a2']);
  assert.deepEqual(activeBranch(tree, 'a2b').map((m) => m.id), ['u1', 'a1', 'u2b', 'a2b']);
});

test('with no leaf set, the newest branch is shown', () => {
  assert.deepEqual(activeBranch(tree, null).map((m) => m.id), ['u1', 'a1', 'u2b', 'a2c']);
  assert.deepEqual(activeBranch(buildMessageTree([]), null), []);
});

test('an edited message knows its position among its siblings', () => {
  const edited = tree.byId.get('u2b')!;
  const position = siblingPosition(tree, edited);
  assert.equal(position.index, 1);
  assert.equal(position.count, 2);
  assert.equal(siblingPosition(tree, tree.byId.get('a2c')!).count, 2);
  assert.equal(siblingPosition(tree, tree.byId.get('u1')!).count, 1);
});

test('switching to a branch lands on its newest continuation', () => {
  assert.equal(newestLeafUnder(tree, 'u2')?.id, 'a2');
  assert.equal(newestLeafUnder(tree, 'u2b')?.id, 'a2c');
  assert.equal(newestLeafUnder(tree, 'missing'), undefined);
});
