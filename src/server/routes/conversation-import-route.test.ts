/**
 * POST /api/conversations/import: an export file goes in whole or not at all. A history is larger
 * than the API's usual body limit, so the route has its own; a file that is not a valid export is
 * a 400 naming where it is wrong, and changes nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { exportConversations } from '../../storage/export/export-json.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

describe('app API: import', () => {
  const source = createTestApp();
  const target = createTestApp();
  after(async () => {
    await source.app.close();
    await target.app.close();
  });

  const importFile = (file: unknown) =>
    target.app.inject({ method: 'POST', url: '/api/conversations/import', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(file) });
  const conversationCount = async () => (await target.store.listConversations()).length;

  it('imports an exported history, larger than the usual body limit, under its own ids', async () => {
    const conversation = await source.store.createConversation({ title: 'Long one' });
    const question = await source.store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'x'.repeat(1_500_000) });
    await source.store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'user', content: 'and again' });
    const file = await exportConversations(source.store);

    const response = await importFile(file);
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(response.json(), { imported: [{ sourceId: conversation.id, id: conversation.id, title: 'Long one' }] });
    const stored = await target.store.listMessages(conversation.id);
    assert.deepEqual(stored.map((message) => message.content.length), [1_500_000, 'and again'.length]);
  });

  it('refuses a file that is not a valid export with a 400 naming the problem, and writes nothing', async () => {
    const before = await conversationCount();
    const conversation = await source.store.createConversation({ title: 'Broken' });
    await source.store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'hello' });
    const file = await exportConversations(source.store, [conversation.id]);
    file.conversations[0]!.messages[0]!.parentId = '00000000-0000-4000-8000-000000000000';

    const response = await importFile(file);
    assert.equal(response.statusCode, 400, response.body);
    const { error } = response.json() as { error: { code: string; message: string; field: string } };
    assert.equal(error.code, 'validation');
    assert.equal(error.field, 'conversations[0].messages[0].parentId');
    assert.match(error.message, /^Not imported, nothing changed\./);

    for (const notAnExport of [[], 'text', { format: 'something-else' }]) {
      assert.equal((await importFile(notAnExport)).statusCode, 400, JSON.stringify(notAnExport));
    }
    assert.equal(await conversationCount(), before);
  });
});
