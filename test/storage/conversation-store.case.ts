/**
 * The conformance suite every ConversationStore passes: memory, PGlite and PostgreSQL each call
 * `describeConversationStore` from their own test file (Hono's common.case.test.ts pattern).
 *
 * One store serves the whole suite, because opening PGlite takes seconds; so each test makes its
 * own conversations, and tests that list conversations search for a word only they use.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { StoredMessage } from '../../src/chat/conversation.ts';
import type { AnswerNotification } from '../../src/storage/answer-notifications.ts';
import {
  branchEndingAt,
  ConversationStoreError,
  type ConversationSnapshot,
  type ConversationStore,
} from '../../src/storage/conversation-store.ts';
import { sampleGeneration, sampleReasoning } from './fixtures.ts';
import { waitFor } from '../support/wait-for.ts';

export interface ConversationStoreCaseOptions {
  open(): Promise<ConversationStore>;
  /**
   * Opens a second store on the same database, as a second server would; given for PostgreSQL.
   * Concurrency and notification tests then write through both.
   */
  openAnother?: () => Promise<ConversationStore>;
  /** Runs after both stores are closed (drops the test schema). */
  cleanUp?: () => Promise<void>;
}

export function describeConversationStore(name: string, options: ConversationStoreCaseOptions): void {
  describe(`ConversationStore conformance: ${name}`, () => {
    let store: ConversationStore;
    let other: ConversationStore;

    before(async () => {
      store = await options.open();
      other = options.openAnother ? await options.openAnother() : store;
    });
    after(async () => {
      if (other !== store) await other?.close();
      await store?.close();
      await options.cleanUp?.();
    });

    const uniqueWord = () => `w${randomUUID().replaceAll('-', '').slice(0, 12)}`;

    /** user → assistant → user, returning the conversation and its three messages. */
    async function threeTurns(title = 'Three turns') {
      const conversation = await store.createConversation({ title });
      const question = await store.appendMessage({
        conversationId: conversation.id,
        parentId: null,
        role: 'user',
        content: 'What is 2 + 2?',
      });
      const answer = await store.appendMessage({
        conversationId: conversation.id,
        parentId: question.id,
        role: 'assistant',
        content: '4',
        generation: sampleGeneration(),
      });
      const followUp = await store.appendMessage({
        conversationId: conversation.id,
        parentId: answer.id,
        role: 'user',
        content: 'And 3 + 3?',
      });
      return { conversation, question, answer, followUp };
    }

    describe('conversations', () => {
      it('creates with defaults and reads back what it created', async () => {
        const created = await store.createConversation();
        assert.equal(created.title, 'New chat');
        assert.deepEqual(created.settings, {});
        assert.equal(created.activeLeafId, null);
        assert.equal(created.createdAt, created.updatedAt);
        assert.deepEqual(await store.getConversation(created.id), created);
      });

      it('keeps title and settings, nested parameters included', async () => {
        const settings = { systemMessage: 'You are terse.', template: 'plain' as const, parameters: { temperature: 0, stop: ['###'] }, modelId: 'tiny' };
        const created = await store.createConversation({ title: 'Settings', settings });
        assert.deepEqual((await store.getConversation(created.id))?.settings, settings);
      });

      it('answers null or false for ids that do not exist', async () => {
        const missing = randomUUID();
        assert.equal(await store.getConversation(missing), null);
        assert.equal(await store.updateConversation(missing, { title: 'x' }), null);
        assert.equal(await store.deleteConversation(missing), false);
        assert.equal(await store.getMessage(missing), null);
        assert.equal(await store.updateAnswer(missing, { content: 'x' }), null);
        assert.equal(await store.deleteMessage(missing), false);
        assert.deepEqual(await store.listMessages(missing), []);
      });

      it('updates title, settings and active leaf, and moves updatedAt forward', async () => {
        const { conversation, answer } = await threeTurns();
        const updated = await store.updateConversation(conversation.id, {
          title: 'Renamed',
          settings: { modelId: 'other' },
          activeLeafId: answer.id,
        });
        assert.equal(updated?.title, 'Renamed');
        assert.deepEqual(updated?.settings, { modelId: 'other' });
        assert.equal(updated?.activeLeafId, answer.id);
        assert.ok(updated!.updatedAt > conversation.updatedAt);
        assert.deepEqual(await store.getConversation(conversation.id), updated);
      });

      it('refuses an active leaf from another conversation', async () => {
        const first = await threeTurns();
        const second = await threeTurns();
        await assert.rejects(
          store.updateConversation(first.conversation.id, { activeLeafId: second.answer.id }),
          (error: unknown) => error instanceof ConversationStoreError && error.code === 'message-not-in-conversation',
        );
        assert.equal((await store.getConversation(first.conversation.id))?.activeLeafId, first.followUp.id);
      });

      it('deletes a conversation with all its messages', async () => {
        const { conversation, answer } = await threeTurns();
        assert.equal(await store.deleteConversation(conversation.id), true);
        assert.equal(await store.getConversation(conversation.id), null);
        assert.equal(await store.getMessage(answer.id), null);
        assert.deepEqual(await store.listMessages(conversation.id), []);
      });
    });

    describe('messages as a tree', () => {
      it('appends, moves the active leaf, and lists oldest first', async () => {
        const { conversation, question, answer, followUp } = await threeTurns();
        const messages = await store.listMessages(conversation.id);
        assert.deepEqual(
          messages.map((message) => message.id),
          [question.id, answer.id, followUp.id],
        );
        // Listing leaves every prompt out (a long conversation's prompts are most of its bytes)...
        assert.deepEqual(messages[1], { ...answer, generation: { ...answer.generation!, prompt: null } });
        // ...reading one message, or listing for export, keeps it.
        assert.deepEqual(await store.getMessage(answer.id), answer);
        assert.deepEqual((await store.listMessages(conversation.id, { includePrompts: true }))[1], answer);
        const stored = await store.getConversation(conversation.id);
        assert.equal(stored?.activeLeafId, followUp.id);
        assert.equal(stored?.updatedAt, followUp.createdAt);
      });

      it('keeps every branch: a regenerated answer is a sibling, not a replacement', async () => {
        const { conversation, question, answer } = await threeTurns();
        const regenerated = await store.appendMessage({
          conversationId: conversation.id,
          parentId: question.id,
          role: 'assistant',
          content: 'Four.',
          generation: sampleGeneration({ parameters: { maxNewTokens: 64, temperature: 1.2, stop: [] } }),
        });
        const messages = await store.listMessages(conversation.id);
        assert.equal(messages.length, 4);
        assert.deepEqual(
          messages.filter((message) => message.parentId === question.id).map((message) => message.id),
          [answer.id, regenerated.id],
        );
        const active = await store.getConversation(conversation.id);
        assert.deepEqual(
          branchEndingAt(messages, active!.activeLeafId).map((message) => message.content),
          ['What is 2 + 2?', 'Four.'],
        );
      });

      it('refuses a missing conversation or a parent from another conversation, writing nothing', async () => {
        await assert.rejects(
          store.appendMessage({ conversationId: randomUUID(), parentId: null, role: 'user', content: 'x' }),
          (error: unknown) => error instanceof ConversationStoreError && error.code === 'conversation-not-found',
        );
        const first = await threeTurns();
        const second = await threeTurns();
        await assert.rejects(
          store.appendMessage({ conversationId: first.conversation.id, parentId: second.answer.id, role: 'user', content: 'x' }),
          (error: unknown) => error instanceof ConversationStoreError && error.code === 'message-not-in-conversation',
        );
        assert.equal((await store.listMessages(first.conversation.id)).length, 3);
        assert.equal((await store.getConversation(first.conversation.id))?.activeLeafId, first.followUp.id);
      });

      it('saves a streaming answer and its final generation record exactly', async () => {
        const conversation = await store.createConversation();
        const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Hi' });
        const streaming = sampleGeneration({ status: 'streaming', finishReason: null, usage: null, timings: null });
        const answer = await store.appendMessage({
          conversationId: conversation.id,
          parentId: question.id,
          role: 'assistant',
          content: '',
          generation: streaming,
        });
        const partial = await store.updateAnswer(answer.id, { content: 'Hel' });
        assert.equal(partial?.content, 'Hel');
        // A save reads no prompt back: the generating server already has it.
        assert.deepEqual(partial?.generation, { ...streaming, prompt: null });
        assert.ok(partial!.updatedAt > answer.updatedAt);
        // A record without its prompt (what the server saves while streaming) keeps the stored one.
        await store.updateAnswer(answer.id, { content: 'Hell', generation: { ...streaming, prompt: null } });
        assert.deepEqual((await store.getMessage(answer.id))?.generation, streaming);
        const stopped = sampleGeneration({
          status: 'stopped',
          finishReason: 'aborted',
          error: null,
          usage: { promptTokens: 17, completionTokens: 2 },
        });
        const final = await store.updateAnswer(answer.id, { content: 'Hello', generation: stopped });
        assert.deepEqual(await store.getMessage(answer.id), final);
        assert.deepEqual(final?.generation, stopped);
        assert.equal(final?.createdAt, answer.createdAt);
      });

      it("keeps an answer's thinking apart from its text while it streams and once it ends", async () => {
        const conversation = await store.createConversation();
        const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Hi' });
        const streaming = sampleGeneration({ status: 'streaming', finishReason: null, usage: null, timings: null, reasoning: null });
        const answer = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: '', generation: streaming });
        const thinking = { text: 'They say hi; <think> is text here.', startedAt: '2026-01-01T00:00:00.000Z', durationMs: null };
        await store.updateAnswer(answer.id, { content: '', generation: { ...streaming, prompt: null, reasoning: thinking } });
        const [, whileThinking] = await store.listMessages(conversation.id);
        assert.equal(whileThinking?.content, '');
        assert.deepEqual(whileThinking?.generation?.reasoning, thinking);
        const thought = { ...thinking, durationMs: 2_500 };
        await store.updateAnswer(answer.id, { content: 'Hello', generation: { ...streaming, status: 'done', finishReason: 'eos', prompt: null, reasoning: thought } });
        const [, done] = await store.listMessages(conversation.id);
        assert.equal(done?.content, 'Hello');
        assert.deepEqual(done?.generation?.reasoning, thought);
        assert.deepEqual((await store.getMessage(answer.id))?.generation?.reasoning, thought);
      });

      it('stores any text a model may produce, without failing the save', async () => {
        const conversation = await store.createConversation();
        const message = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'assistant', content: '' });
        const storable = 'quotes " \' \\ and emoji 👩‍💻, CJK 漢字, RTL שלום';
        const text = `${storable}, NUL \u0000 and half a pair \ud83d`;
        const saved = await store.updateAnswer(message.id, {
          content: text,
          generation: sampleGeneration({ prompt: { kind: 'text', text } }),
        });
        // Memory keeps the text verbatim; PostgreSQL cannot hold NUL or a lone surrogate: U+FFFD.
        const expected = [text, `${storable}, NUL \uFFFD and half a pair \uFFFD`];
        assert.ok(expected.includes(saved!.content), JSON.stringify(saved!.content));
        const prompt = (await store.getMessage(message.id))?.generation?.prompt;
        assert.ok(prompt?.kind === 'text' && expected.includes(prompt.text), JSON.stringify(prompt));
        assert.equal((await store.getMessage(message.id))?.content, saved?.content);
      });

      it('deletes a message with its descendants and moves the active leaf up', async () => {
        const { conversation, question, answer, followUp } = await threeTurns();
        const sibling = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: 'other' });
        await store.updateConversation(conversation.id, { activeLeafId: followUp.id });

        assert.equal(await store.deleteMessage(answer.id), true);
        assert.deepEqual(
          (await store.listMessages(conversation.id)).map((message) => message.id),
          [question.id, sibling.id],
        );
        assert.equal(await store.getMessage(followUp.id), null);
        assert.equal((await store.getConversation(conversation.id))?.activeLeafId, question.id);
      });

      it('keeps the active leaf when the deleted branch is not the active one', async () => {
        const { conversation, question, followUp } = await threeTurns();
        const sibling = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: 'other' });
        await store.updateConversation(conversation.id, { activeLeafId: followUp.id });
        assert.equal(await store.deleteMessage(sibling.id), true);
        assert.equal((await store.getConversation(conversation.id))?.activeLeafId, followUp.id);
        assert.equal((await store.listMessages(conversation.id)).length, 3);
      });

      it('deleting the root leaves an empty conversation with no active leaf', async () => {
        const { conversation, question } = await threeTurns();
        assert.equal(await store.deleteMessage(question.id), true);
        assert.deepEqual(await store.listMessages(conversation.id), []);
        assert.equal((await store.getConversation(conversation.id))?.activeLeafId, null);
      });
    });

    describe('listing and search', () => {
      it('lists newest first with message counts, and pages with updatedBefore', async () => {
        const word = uniqueWord();
        const titles = ['one', 'two', 'three', 'four'].map((title) => `${word} ${title}`);
        const created = [];
        for (const title of titles) created.push(await store.createConversation({ title }));
        await store.appendMessage({ conversationId: created[0]!.id, parentId: null, role: 'user', content: 'bump' });

        const listed = await store.listConversations({ search: word });
        assert.deepEqual(
          listed.map((summary) => summary.title),
          [titles[0], titles[3], titles[2], titles[1]],
        );
        assert.deepEqual(
          listed.map((summary) => summary.messageCount),
          [1, 0, 0, 0],
        );

        const firstPage = await store.listConversations({ search: word, limit: 2 });
        const secondPage = await store.listConversations({ search: word, limit: 2, updatedBefore: firstPage.at(-1)!.updatedAt });
        assert.deepEqual(
          [...firstPage, ...secondPage].map((summary) => summary.id),
          listed.map((summary) => summary.id),
        );
      });

      it('finds conversations by title or by any message text, ignoring case', async () => {
        const word = uniqueWord();
        const byTitle = await store.createConversation({ title: `About ${word.toUpperCase()}` });
        const byMessage = await store.createConversation({ title: 'Unrelated' });
        const question = await store.appendMessage({ conversationId: byMessage.id, parentId: null, role: 'user', content: 'hello' });
        await store.appendMessage({ conversationId: byMessage.id, parentId: question.id, role: 'assistant', content: `it says ${word} here` });
        await store.createConversation({ title: 'Neither' });

        const found = await store.listConversations({ search: word });
        assert.deepEqual(new Set(found.map((summary) => summary.id)), new Set([byTitle.id, byMessage.id]));
      });

      it('takes % and _ in a search literally', async () => {
        const word = uniqueWord();
        const literal = await store.createConversation({ title: `${word} 100% sure_thing` });
        await store.createConversation({ title: `${word} 1000 sure thing` });
        const found = await store.listConversations({ search: `${word} 100% sure_` });
        assert.deepEqual(
          found.map((summary) => summary.id),
          [literal.id],
        );
      });
    });

    describe('import', () => {
      it('writes whole conversations with their ids and times, then fresh ids when imported again', async () => {
        const { conversation, question, answer } = await threeTurns('Original');
        const sibling = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: 'alt', generation: sampleGeneration({ status: 'error', finishReason: null, error: { code: 'timeout', message: 'slow' } }) });
        await store.updateConversation(conversation.id, { activeLeafId: answer.id });
        const snapshot: ConversationSnapshot = {
          conversation: (await store.getConversation(conversation.id))!,
          messages: await store.listMessages(conversation.id),
        };
        // Into the same database: every id is taken, so it lands as a copy.
        const [copied] = await store.importConversations([snapshot]);
        assert.equal(copied?.sourceId, conversation.id);
        assert.notEqual(copied?.id, conversation.id);
        const copiedMessages = await store.listMessages(copied!.id);
        assert.deepEqual(
          copiedMessages.map(({ role, content, generation, createdAt, updatedAt }) => ({ role, content, generation, createdAt, updatedAt })),
          snapshot.messages.map(({ role, content, generation, createdAt, updatedAt }) => ({ role, content, generation, createdAt, updatedAt })),
        );
        const copiedConversation = await store.getConversation(copied!.id);
        assert.equal(copiedMessages.find((message) => message.id === copiedConversation?.activeLeafId)?.content, '4');
        assert.ok(copiedMessages.every((message) => message.conversationId === copied!.id));
        assert.ok(!copiedMessages.some((message) => snapshot.messages.some((original) => original.id === message.id)));
        assert.equal(copiedMessages.filter((message) => message.parentId === copiedMessages[0]!.id).length, 2);
        assert.ok(sibling);

        // With free ids it keeps them exactly.
        const freeIds = renameAll(snapshot);
        const [kept] = await store.importConversations([freeIds]);
        assert.equal(kept?.id, freeIds.conversation.id);
        assert.deepEqual(await store.getConversation(kept!.id), freeIds.conversation);
        assert.deepEqual(await store.listMessages(kept!.id), freeIds.messages);
      });

      it('writes nothing when one conversation of the batch is broken', async () => {
        const { conversation } = await threeTurns();
        const good = renameAll({ conversation: (await store.getConversation(conversation.id))!, messages: await store.listMessages(conversation.id) });
        const broken = renameAll(good);
        broken.messages[1] = { ...broken.messages[1]!, parentId: randomUUID() };
        broken.conversation.activeLeafId = broken.messages[0]!.id;
        await assert.rejects(store.importConversations([good, broken]));
        assert.equal(await store.getConversation(good.conversation.id), null);
        assert.equal(await store.getConversation(broken.conversation.id), null);
        assert.equal(await store.getMessage(good.messages[0]!.id), null);
      });
    });

    describe('concurrent writers', () => {
      it(`never corrupt a conversation (${options.openAnother ? 'two stores on one database' : 'one store'})`, async () => {
        const conversation = await store.createConversation({ title: 'Busy' });
        const root = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'root' });
        const writers = [store, other];
        const rounds = 30;
        // Each round: two tabs append an answer under the same parent and stream into it, while
        // another writer renames the conversation and a third deletes the previous round's sibling.
        const appended = await Promise.all(
          Array.from({ length: rounds }, async (_, round) => {
            const writer = writers[round % writers.length]!;
            const answer = await writer.appendMessage({
              conversationId: conversation.id,
              parentId: root.id,
              role: 'assistant',
              content: '',
              generation: sampleGeneration({ status: 'streaming' }),
            });
            for (let token = 1; token <= 5; token += 1) {
              await writers[(round + token) % writers.length]!.updateAnswer(answer.id, { content: 'x'.repeat(token) });
            }
            await writer.updateConversation(conversation.id, { title: `Busy ${round}` });
            const reply = await writer.appendMessage({ conversationId: conversation.id, parentId: answer.id, role: 'user', content: `reply ${round}` });
            if (round % 3 === 0) await writers[(round + 1) % writers.length]!.deleteMessage(reply.id);
            return { answer, reply, deleted: round % 3 === 0 };
          }),
        );

        const messages = await other.listMessages(conversation.id);
        const ids = new Set(messages.map((message) => message.id));
        const expectedCount = 1 + rounds + appended.filter((entry) => !entry.deleted).length;
        assert.equal(messages.length, expectedCount);
        for (const message of messages) {
          assert.equal(message.conversationId, conversation.id);
          assert.ok(message.parentId === null || ids.has(message.parentId), `parent of ${message.id} exists`);
        }
        for (const { answer } of appended) assert.equal(messages.find((message) => message.id === answer.id)?.content, 'xxxxx');
        const final = await store.getConversation(conversation.id);
        assert.ok(final?.activeLeafId && ids.has(final.activeLeafId), 'the active leaf is one of its messages');
        assert.match(final.title, /^Busy \d+$/);
        const summary = (await store.listConversations({ search: final.title })).find((entry) => entry.id === conversation.id);
        assert.equal(summary?.messageCount, expectedCount);
      });
    });

    describe('starting an answer', () => {
      const streaming = () => sampleGeneration({ status: 'streaming', finishReason: null, usage: null, timings: null });
      const isCode = (code: ConversationStoreError['code']) => (error: unknown) => error instanceof ConversationStoreError && error.code === code;

      it('stores the question, the answer\'s first row and the conversation\'s settings in one go', async () => {
        const conversation = await store.createConversation();
        const { userMessage, answer } = await store.startAnswer({
          conversationId: conversation.id,
          conversationPatch: { title: 'Two plus two', settings: { systemMessage: 'Be brief' } },
          userMessage: { parentId: null, content: 'What is 2 + 2?' },
          expectActiveLeaf: true,
          answerParentId: null,
          continueAnswerId: null,
          generation: streaming(),
        });
        assert.equal(userMessage?.content, 'What is 2 + 2?');
        assert.equal(answer.parentId, userMessage?.id);
        assert.equal(answer.generation?.status, 'streaming');
        assert.deepEqual(answer.generation?.prompt, streaming().prompt);
        const stored = await other.getConversation(conversation.id);
        assert.equal(stored?.title, 'Two plus two');
        assert.deepEqual(stored?.settings, { systemMessage: 'Be brief' });
        assert.equal(stored?.activeLeafId, answer.id);
        assert.deepEqual((await other.listMessages(conversation.id)).map((message) => message.id), [userMessage?.id, answer.id]);
      });

      it('writes nothing, settings included, when any part is refused', async () => {
        const first = await threeTurns('Untouched');
        const second = await threeTurns();
        await assert.rejects(
          store.startAnswer({
            conversationId: first.conversation.id,
            conversationPatch: { title: 'Changed' },
            userMessage: null,
            answerParentId: second.question.id,
            continueAnswerId: null,
            generation: streaming(),
          }),
          isCode('message-not-in-conversation'),
        );
        assert.equal((await store.getConversation(first.conversation.id))?.title, 'Untouched');
        assert.equal((await store.listMessages(first.conversation.id)).length, 3);
      });

      it('refuses a question under an answer still streaming, or under a leaf that has moved', async () => {
        const conversation = await store.createConversation();
        const start = (parentId: string | null, expectActiveLeaf: boolean) =>
          store.startAnswer({
            conversationId: conversation.id,
            conversationPatch: {},
            userMessage: { parentId, content: 'next' },
            expectActiveLeaf,
            answerParentId: null,
            continueAnswerId: null,
            generation: streaming(),
          });
        const { answer } = await start(null, true);
        await assert.rejects(start(answer.id, true), isCode('answer-in-progress'));
        await assert.rejects(start(answer.id, false), isCode('answer-in-progress'));
        await assert.rejects(start(null, true), isCode('answer-in-progress'), 'the leaf is the answer now, not null');
        await store.updateAnswer(answer.id, { content: '4', generation: sampleGeneration() });
        const next = await start(answer.id, true);
        assert.equal(next.userMessage?.parentId, answer.id);
        assert.equal((await store.listMessages(conversation.id)).length, 4);
      });

      it(`lets exactly one of many racers continue an answer (${options.openAnother ? 'two stores on one database' : 'one store'})`, async () => {
        const { conversation, answer } = await threeTurns();
        const writers = [store, other];
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, index) =>
            writers[index % writers.length]!.startAnswer({
              conversationId: conversation.id,
              conversationPatch: {},
              userMessage: null,
              answerParentId: null,
              continueAnswerId: answer.id,
              generation: streaming(),
            }),
          ),
        );
        const winners = results.filter((result) => result.status === 'fulfilled');
        assert.equal(winners.length, 1);
        for (const result of results) if (result.status === 'rejected') assert.ok(isCode('answer-in-progress')(result.reason), String(result.reason));
        assert.equal((await store.getConversation(conversation.id))?.activeLeafId, answer.id);
        await assert.rejects(
          store.startAnswer({ conversationId: conversation.id, conversationPatch: {}, userMessage: null, answerParentId: null, continueAnswerId: randomUUID(), generation: streaming() }),
          isCode('message-not-found'),
        );
      });
    });

    describe('shares', () => {
      it('freezes the current branch only, root first, with nothing but roles, text, thinking and model', async () => {
        const { conversation, question, followUp } = await threeTurns('Shared title');
        // A second answer to the first question: a branch that is not the current one.
        const otherAnswer = await store.appendMessage({
          conversationId: conversation.id,
          parentId: question.id,
          role: 'assistant',
          content: 'four, on another branch',
          generation: sampleGeneration({ reasoning: sampleReasoning }),
        });
        await store.updateConversation(conversation.id, { activeLeafId: followUp.id });

        const share = await store.shareConversation(conversation.id);
        assert.ok(share);
        assert.match(share.token, /^[A-Za-z0-9_-]{24}$/);
        assert.equal(share.conversationId, conversation.id);
        assert.equal(share.messageCount, 3);
        assert.deepEqual(await other.getConversationShare(conversation.id), share);

        const shared = await other.getSharedConversation(share.token);
        assert.equal(shared?.title, 'Shared title');
        assert.equal(shared?.sharedAt, share.sharedAt);
        assert.deepEqual(shared?.messages, [
          { role: 'user', content: 'What is 2 + 2?', reasoning: null, modelId: null },
          { role: 'assistant', content: '4', reasoning: null, modelId: 'echo-1' },
          { role: 'user', content: 'And 3 + 3?', reasoning: null, modelId: null },
        ]);

        // The other branch, with its thinking, once it is the current one.
        await store.updateConversation(conversation.id, { activeLeafId: otherAnswer.id });
        const refreshed = await store.shareConversation(conversation.id);
        assert.equal(refreshed?.token, share.token, 'sharing again keeps the link');
        assert.deepEqual((await store.getSharedConversation(share.token))?.messages.at(-1), {
          role: 'assistant',
          content: 'four, on another branch',
          reasoning: sampleReasoning.text,
          modelId: 'echo-1',
        });
      });

      it('is a snapshot: later edits, answers, renames and deletions do not change it', async () => {
        const { conversation, answer, followUp } = await threeTurns('Before');
        const share = await store.shareConversation(conversation.id);
        const before = await store.getSharedConversation(share!.token);

        await store.updateConversation(conversation.id, { title: 'After' });
        await store.updateAnswer(answer.id, { content: 'changed' });
        await store.appendMessage({ conversationId: conversation.id, parentId: followUp.id, role: 'assistant', content: '6' });
        await store.deleteMessage(followUp.id);

        assert.deepEqual(await other.getSharedConversation(share!.token), before);
      });

      it('revokes: the token names nothing any more, and sharing again makes a new one', async () => {
        const { conversation } = await threeTurns();
        const share = await store.shareConversation(conversation.id);
        assert.equal(await other.unshareConversation(conversation.id), true);
        assert.equal(await store.getSharedConversation(share!.token), null);
        assert.equal(await store.getConversationShare(conversation.id), null);
        assert.equal(await store.unshareConversation(conversation.id), false, 'nothing left to revoke');

        const again = await store.shareConversation(conversation.id);
        assert.notEqual(again?.token, share!.token, 'a revoked link never comes back');
        assert.equal(await store.getSharedConversation(share!.token), null);
      });

      it('goes with its conversation, and names nothing for unknown ids and made-up tokens', async () => {
        const { conversation } = await threeTurns();
        const share = await store.shareConversation(conversation.id);
        await store.deleteConversation(conversation.id);
        assert.equal(await store.getSharedConversation(share!.token), null);

        for (const id of [randomUUID(), 'not-a-uuid', '']) {
          assert.equal(await store.shareConversation(id), null);
          assert.equal(await store.getConversationShare(id), null);
          assert.equal(await store.unshareConversation(id), false);
        }
        for (const token of ['A'.repeat(24), 'short', "x' or '1'='1", `${share!.token}x`]) {
          assert.equal(await store.getSharedConversation(token), null, token);
        }
      });

      it('shares an empty conversation as no messages', async () => {
        const conversation = await store.createConversation({ title: 'Empty' });
        const share = await store.shareConversation(conversation.id);
        assert.equal(share?.messageCount, 0);
        assert.deepEqual((await store.getSharedConversation(share!.token))?.messages, []);
      });
    });

    describe('answer notifications', () => {
      it(`delivers deltas in order to subscribers of that answer only (${options.openAnother ? 'across two stores' : 'in process'})`, async () => {
        const messageId = randomUUID();
        const received: AnswerNotification[] = [];
        const unrelated: AnswerNotification[] = [];
        const unsubscribe = await other.answerNotifications.subscribeToAnswer(messageId, (notification) => received.push(notification));
        await other.answerNotifications.subscribeToAnswer(randomUUID(), (notification) => unrelated.push(notification));
        const long = 'é'.repeat(5_000);
        const sent: AnswerNotification[] = [
          { type: 'text-delta', messageId, offset: 0, text: 'Hello' },
          { type: 'text-delta', messageId, offset: 5, text: ', world' },
          { type: 'text-delta', messageId, offset: 12, text: long },
          { type: 'answer-end', messageId },
        ];
        for (const notification of sent) await store.answerNotifications.publish(notification);
        await waitFor(() => received.at(-1)?.type === 'answer-end', { what: 'the notifications' });

        assert.equal(received[0]?.type, 'text-delta');
        const text = received.map((notification) => (notification.type === 'text-delta' ? notification.text : '')).join('');
        assert.equal(text, `Hello, world${long}`);
        let offset = 0;
        for (const notification of received) {
          if (notification.type !== 'text-delta') continue;
          assert.equal(notification.offset, offset, 'offsets line up with the text before');
          offset += notification.text.length;
        }
        assert.deepEqual(unrelated, []);

        await unsubscribe();
        // A second subscriber sees the next notification arrive; by then the first would have too.
        const witnessed: AnswerNotification[] = [];
        const unsubscribeWitness = await other.answerNotifications.subscribeToAnswer(messageId, (notification) => witnessed.push(notification));
        await store.answerNotifications.publish({ type: 'stop-request', messageId });
        await waitFor(() => witnessed.some((notification) => notification.type === 'stop-request'), { what: 'the stop-request to arrive' });
        await unsubscribeWitness();
        assert.equal(received.at(-1)?.type, 'answer-end', 'nothing arrives after unsubscribing');
      });
    });
  });
}

/** The same conversation under ids nobody has used, links rewritten. */
export function renameAll(snapshot: ConversationSnapshot): ConversationSnapshot {
  const conversationId = randomUUID();
  const ids = new Map(snapshot.messages.map((message) => [message.id, randomUUID()]));
  const rename = (id: string | null) => (id === null ? null : (ids.get(id) ?? id));
  return {
    conversation: { ...snapshot.conversation, id: conversationId, activeLeafId: rename(snapshot.conversation.activeLeafId) },
    messages: snapshot.messages.map(
      (message): StoredMessage => ({ ...message, id: rename(message.id)!, conversationId, parentId: rename(message.parentId) }),
    ),
  };
}
