/**
 * Export and import through real databases: a conversation with branches, parameters and stats
 * goes PGlite → JSON → PostgreSQL → JSON → memory and comes out identical, ids and times included.
 * Bad files are refused on both databases with the path and what was expected, changing nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConversationStore } from '../../src/storage/conversation-store.ts';
import { exportConversations } from '../../src/storage/export/export-json.ts';
import { conversationAsMarkdown } from '../../src/storage/export/export-markdown.ts';
import { ImportFileError, importConversationsFromJson } from '../../src/storage/export/import-conversations.ts';
import { createMemoryConversationStore } from './memory-conversation-store.ts';
import { openFreshPgliteStore } from './fresh-pglite.ts';
import { sampleGeneration } from './fixtures.ts';
import { createTestSchema, openPostgresStore } from './test-postgres.ts';

async function fillWithBranches(store: ConversationStore) {
  const conversation = await store.createConversation({
    title: 'Branches & stats',
    settings: { systemMessage: 'Answer in one word.', template: 'model', parameters: { temperature: 0.2, topK: 20 }, modelId: 'tiny' },
  });
  const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Capital of France?' });
  const first = await store.appendMessage({
    conversationId: conversation.id,
    parentId: question.id,
    role: 'assistant',
    content: 'Par',
    generation: sampleGeneration({ status: 'stopped', finishReason: 'aborted', usage: { promptTokens: 12, completionTokens: 1 } }),
  });
  const regenerated = await store.appendMessage({
    conversationId: conversation.id,
    parentId: question.id,
    role: 'assistant',
    content: 'Paris',
    generation: sampleGeneration({ prompt: { kind: 'text', text: 'User: Capital of France?\nAssistant:' }, template: 'plain', droppedTurns: 2 }),
  });
  const edited = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Capital of Spain?' });
  await store.updateConversation(conversation.id, { activeLeafId: regenerated.id });
  const empty = await store.createConversation({ title: 'Empty' });
  return { conversation, question, first, regenerated, edited, empty };
}

describe('export and import', () => {
  let pglite: ConversationStore;
  let postgres: ConversationStore;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;

  before(async () => {
    schema = await createTestSchema();
    [pglite, postgres] = await Promise.all([openFreshPgliteStore(), openPostgresStore(schema)]);
  });
  after(async () => {
    await pglite?.close();
    await postgres?.close();
    await schema?.drop();
  });

  it('round-trips losslessly: PGlite → PostgreSQL → memory, branches, parameters and stats included', async () => {
    await fillWithBranches(pglite);
    const fromPglite = await exportConversations(pglite);
    const imported = await importConversationsFromJson(postgres, JSON.stringify(fromPglite));
    assert.deepEqual(
      imported.map((entry) => entry.id),
      fromPglite.conversations.map((snapshot) => snapshot.conversation.id),
    );
    const fromPostgres = await exportConversations(postgres);
    assert.deepEqual(fromPostgres.conversations, fromPglite.conversations);

    const memory = createMemoryConversationStore();
    await importConversationsFromJson(memory, JSON.stringify(fromPostgres, null, 2));
    assert.deepEqual((await exportConversations(memory)).conversations, fromPglite.conversations);
  });

  it('exports one conversation by id, and Markdown of its active branch with roles and stats', async () => {
    const { conversation } = await fillWithBranches(pglite);
    const file = await exportConversations(pglite, [conversation.id]);
    assert.equal(file.conversations.length, 1);
    assert.equal(file.conversations[0]?.messages.length, 4);

    const markdown = conversationAsMarkdown(file.conversations[0]!);
    assert.match(markdown, /^# Branches & stats\n/);
    // Messages are shown as text, in fenced blocks (issue 12: a crafted message could inject turns).
    assert.match(markdown, /## System\n\n```text\nAnswer in one word\.\n```/);
    assert.match(markdown, /## User\n\n```text\nCapital of France\?\n```\n\n## Assistant\n\n```text\nParis\n```\n\n> echo-1 \(echo\) · 17 prompt \+ 3 completion tokens · 41\.3 tokens\/s/);
    assert.match(markdown, /2 oldest turn\(s\) left out/);
    assert.match(markdown, /2 message\(s\) on other branches/);
    assert.doesNotMatch(markdown, /Par\n/, 'the stopped first attempt is on another branch');
    assert.doesNotMatch(markdown, /Spain/);
  });

  for (const target of ['PGlite', 'PostgreSQL'] as const) {
    describe(`refuses bad files on ${target}, changing nothing`, () => {
      const store = () => (target === 'PGlite' ? pglite : postgres);

      async function assertRefused(text: string, expected: RegExp) {
        const before = await exportConversations(store());
        await assert.rejects(importConversationsFromJson(store(), text), (error: unknown) => {
          assert.ok(error instanceof ImportFileError);
          assert.match(error.message, expected);
          return true;
        });
        assert.deepEqual((await exportConversations(store())).conversations, before.conversations);
      }

      async function goodFile() {
        const source = createMemoryConversationStore();
        const { conversation, empty } = await fillWithBranches(source);
        return exportConversations(source, [conversation.id, empty.id]);
      }

      it('names the path and what was expected for a wrong field', async () => {
        const file = await goodFile();
        const bad = structuredClone(file) as { conversations: Array<{ messages: Array<Record<string, unknown>> }> };
        bad.conversations[0]!.messages[1]!.role = 'robot';
        await assertRefused(JSON.stringify(bad), /\$\.conversations\[0\]\.messages\[1\]\.role: Invalid option: expected one of "system"\|"user"\|"assistant"/);
      });

      it('refuses a whole file when one conversation of many is broken', async () => {
        const file = await goodFile();
        file.conversations[1]!.conversation.activeLeafId = file.conversations[0]!.messages[0]!.id;
        await assertRefused(JSON.stringify(file), /\$\.conversations\[1\]\.conversation\.activeLeafId: expected the id of a message in this conversation/);
      });

      it('refuses broken trees: a missing parent, a cycle', async () => {
        const missingParent = await goodFile();
        missingParent.conversations[0]!.messages[1]!.parentId = '00000000-0000-4000-8000-000000000000';
        await assertRefused(JSON.stringify(missingParent), /messages\[1\]\.parentId: expected the id of a message in this conversation/);

        const cycle = await goodFile();
        const [question, answer] = cycle.conversations[0]!.messages;
        question!.parentId = answer!.id;
        await assertRefused(JSON.stringify(cycle), /parent links form a cycle/);
      });

      it('refuses ids that differ only by case, which the database takes as one id', async () => {
        const messages = await goodFile();
        const [question, answer] = messages.conversations[0]!.messages;
        answer!.id = question!.id.toUpperCase();
        await assertRefused(JSON.stringify(messages), new RegExp(`messages\\[1\\]\\.id: message ${question!.id} appears twice`));

        const conversations = await goodFile();
        const second = conversations.conversations[1]!;
        second.conversation.id = conversations.conversations[0]!.conversation.id.toUpperCase();
        await assertRefused(JSON.stringify(conversations), /conversations\[1\]\.conversation\.id: conversation .* appears twice/);
      });

      it('applies the API’s field limits: a 5 MB title, an oversized system message', async () => {
        const title = await goodFile();
        title.conversations[0]!.conversation.title = 't'.repeat(5 * 1024 * 1024);
        await assertRefused(JSON.stringify(title), /conversations\[0\]\.conversation\.title: a title may have at most 200 characters, as through the API; this one has 5242880/);
        const system = await goodFile();
        system.conversations[0]!.conversation.settings.systemMessage = 's'.repeat(100_001);
        await assertRefused(JSON.stringify(system), /settings\.systemMessage: a system message may have at most 100000 characters/);
      });

      it('imports upper-case ids as the same ids, lower-cased, and a second import under fresh ids', async () => {
        const file = await goodFile();
        const original = file.conversations[0]!.conversation.id;
        const shouting = JSON.stringify(file).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (uuid) => uuid.toUpperCase());
        const first = await importConversationsFromJson(store(), shouting);
        assert.equal(first[0]?.id, original);
        const again = await importConversationsFromJson(store(), shouting);
        assert.notEqual(again[0]?.id, original);
        assert.equal((await store().listMessages(again[0]!.id)).length, file.conversations[0]!.messages.length);
      });

      it('says what is wrong with files that are not exports at all', async () => {
        await assertRefused('{"conversations": [', /^Not imported, nothing changed\. \$: not JSON/);
        await assertRefused('{"format": "chatgpt"}', /\$\.format: expected "anychat-conversations": this is not an anychat export/);
        const future = { ...(await goodFile()), version: 2 };
        await assertRefused(JSON.stringify(future), /\$\.version: version 2 was written by a newer anychat/);
        const typo = await goodFile();
        (typo.conversations[0]!.conversation as Record<string, unknown>).titel = 'oops';
        await assertRefused(JSON.stringify(typo), /\$\.conversations\[0\]\.conversation: Unrecognized key: "titel"/);
      });
    });
  }
});
