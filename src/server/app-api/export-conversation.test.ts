import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conversation } from '../../chat/conversation.ts';
import { allConversationsFileName, exportFileName } from './export-conversation.ts';

const titled = (title: string) => ({ title }) as Conversation;
const day = new Date('2026-12-05T21:00:00Z');

test('export file names cut the title at a word boundary and carry the date', () => {
  assert.equal(exportFileName(titled('Has math been invented or discovered?'), 'json', day), 'Has-math-been-invented-or-discovered-2026-12-05.json');
  const long = 'Explain the difference between TCP and UDP in two sentences please and thank you';
  const name = exportFileName(titled(long), 'md', day);
  assert.equal(name, 'Explain-the-difference-between-TCP-and-UDP-in-two-2026-12-05.md');
  assert.equal(exportFileName(titled('   ???  '), 'json', day), 'conversation-2026-12-05.json');
  assert.equal(exportFileName(titled('x'.repeat(80)), 'json', day), `${'x'.repeat(50)}-2026-12-05.json`);
  assert.equal(allConversationsFileName(day), 'anychat-conversations-2026-12-05.json');
});
