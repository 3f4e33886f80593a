import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GenerationRecord } from '../../chat/conversation.ts';
import { createMemoryConversationStore } from '../../../test/storage/memory-conversation-store.ts';
import { waitFor } from '../../../test/support/wait-for.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';
import { followRemoteAnswer } from './remote-answer-follower.ts';

const streamingRecord: GenerationRecord = {
  status: 'streaming',
  finishReason: null,
  error: null,
  backend: 'echo',
  modelId: 'echo',
  template: 'messages',
  prompt: { kind: 'messages', messages: [{ role: 'user', content: 'Hi' }] },
  parameters: { maxNewTokens: 64, temperature: 0, stop: [] },
  contextWindow: null,
  promptTokens: 1,
  droppedTurns: 0,
  usage: null,
  timings: null,
  reasoning: null,
};

/** What a page rebuilds from the events: replace on answer-start, append on text-delta. */
const textOf = (events: AnswerStreamEvent[]) =>
  events.reduce((text, event) => (event.type === 'answer-start' ? event.message.content : event.type === 'text-delta' ? text + event.text : text), '');

describe('following an answer generated on another server', () => {
  it('starts from the saved text, skips what it has, asks again after a gap, and ends on the final save', async () => {
    const store = createMemoryConversationStore();
    const conversation = await store.createConversation();
    const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Hi' });
    const answer = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: 'Hello', generation: streamingRecord });
    const messageId = answer.id;

    // The generating server, as answer-hub.ts behaves: on catchUp, the whole text so far at offset 0.
    let generated = 'Hello world';
    const catchUps: number[] = [];
    await store.answerNotifications.subscribeToAnswer(messageId, (notification) => {
      if (notification.type === 'follower-heartbeat' && notification.catchUp) {
        catchUps.push(Date.now());
        void store.answerNotifications.publish({ type: 'text-delta', messageId, offset: 0, text: generated });
      }
    });

    const events: AnswerStreamEvent[] = [];
    const unsubscribe = await followRemoteAnswer(store, messageId, (event) => events.push(event), { heartbeatMs: 20, silenceCheckMs: 5_000 });
    assert.ok(unsubscribe);
    assert.equal(events[0]?.type, 'answer-start');
    await waitFor(() => textOf(events) === 'Hello world', { what: 'the catch-up past the saved text' });

    const publish = (offset: number, text: string) => store.answerNotifications.publish({ type: 'text-delta', messageId, offset, text });
    await publish(5, ' world'); // already had: a duplicate
    await publish(11, ',');
    assert.equal(textOf(events), 'Hello world,');

    // A delta beyond what it has (the ones before it were lost) is not applied; it asks again.
    generated = 'Hello world, and more';
    const catchUpsBefore = catchUps.length;
    await publish(20, 'e');
    await waitFor(() => textOf(events) === 'Hello world, and more', { what: 'the whole text again after the gap' });
    assert.ok(catchUps.length > catchUpsBefore, 'a gap asks for the whole text again');

    // The end: whatever the notifications missed, the final save holds.
    await store.updateAnswer(messageId, { content: 'Hello world, and more!', generation: { ...streamingRecord, status: 'done', finishReason: 'eos', usage: { promptTokens: 1, completionTokens: 5 }, timings: { timeToFirstTokenMs: 1, tokensPerSecond: 10, totalMs: 500 } } });
    await store.answerNotifications.publish({ type: 'answer-end', messageId });
    await waitFor(() => events.at(-1)?.type === 'answer-finish', { what: 'answer-finish' });
    assert.equal(textOf(events), 'Hello world, and more!', 'every character once, in order');
    unsubscribe();
    await store.close();
  });

  it("follows the thinking apart from the text, from the saved thinking on, and ends on the final save", async () => {
    const store = createMemoryConversationStore();
    const conversation = await store.createConversation();
    const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'Hi' });
    const saved = { text: 'Hmm', startedAt: '2026-01-01T00:00:00.000Z', durationMs: null };
    const answer = await store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: '', generation: { ...streamingRecord, reasoning: saved } });
    const messageId = answer.id;
    // The generating server, as answer-hub.ts behaves: on catchUp, the thinking so far at offset 0.
    await store.answerNotifications.subscribeToAnswer(messageId, (notification) => {
      if (notification.type === 'follower-heartbeat' && notification.catchUp) {
        void store.answerNotifications.publish({ type: 'text-delta', messageId, offset: 0, text: 'Hmm, four', part: 'reasoning' });
      }
    });
    const events: AnswerStreamEvent[] = [];
    const reasoningOf = () => events.filter((event) => event.type === 'reasoning-delta').map((event) => event.text).join('');
    const unsubscribe = await followRemoteAnswer(store, messageId, (event) => events.push(event), { heartbeatMs: 20, silenceCheckMs: 5_000 });
    assert.ok(unsubscribe);
    const start = events[0];
    assert.equal(start?.type === 'answer-start' && start.message.generation?.reasoning?.text, 'Hmm');
    await waitFor(() => reasoningOf() === ', four', { what: 'the thinking past the saved thinking' });
    await store.answerNotifications.publish({ type: 'text-delta', messageId, offset: 9, text: '.', part: 'reasoning' });
    await store.answerNotifications.publish({ type: 'text-delta', messageId, offset: 0, text: '4' });
    assert.equal(reasoningOf(), ', four.');
    assert.equal(textOf(events), '4', 'the thinking never lands in the text');

    await store.updateAnswer(messageId, {
      content: '4!',
      generation: {
        ...streamingRecord,
        status: 'done',
        finishReason: 'eos',
        usage: { promptTokens: 1, completionTokens: 6 },
        timings: { timeToFirstTokenMs: 1, tokensPerSecond: 10, totalMs: 900 },
        reasoning: { ...saved, text: 'Hmm, four. Sure.', durationMs: 900 },
      },
    });
    await store.answerNotifications.publish({ type: 'answer-end', messageId });
    await waitFor(() => events.at(-1)?.type === 'answer-finish', { what: 'answer-finish' });
    assert.equal(`Hmm${reasoningOf()}`, 'Hmm, four. Sure.', 'the final save fills in the thinking the notifications missed');
    assert.equal(textOf(events), '4!');
    unsubscribe();
    await store.close();
  });

  it('does not follow an answer that is not streaming', async () => {
    const store = createMemoryConversationStore();
    const conversation = await store.createConversation();
    const answer = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'assistant', content: 'Done', generation: { ...streamingRecord, status: 'done' } });
    assert.equal(await followRemoteAnswer(store, answer.id, () => {}, { heartbeatMs: 20, silenceCheckMs: 100 }), null);
    await store.close();
  });
});
