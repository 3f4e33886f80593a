/**
 * A thinking model through the app API: an OpenAI-compatible upstream that leaves `<think>` inline
 * (QwQ's recorded stream) → anychat's app API over real HTTP. The thinking comes apart from the
 * answer as `reasoning-delta` events, is stored apart, is not sent back on the next turn, and
 * survives export and import.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { readChunksFixture } from '../../../test/fakes/sse-fixture.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { createOpenAiBackend } from '../../backends/openai/openai-backend.ts';
import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import { sampleGeneration } from '../../../test/storage/fixtures.ts';

const inlineThink = readChunksFixture(new URL('../../backends/openai/__fixtures__/inline-think.chunks.txt', import.meta.url));

describe('a thinking model through the app API', async () => {
  const upstream = await startFakeOpenAiServer({ replay: inlineThink });
  const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
  const info = await backend.info();
  const { app } = createTestApp({ backend: { ...backend, info: async () => info } });
  const base = `${await listenOnFreePort(app)}/api`;
  after(async () => {
    await app.close();
    await upstream.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const getJson = async <T>(path: string) => (await (await fetch(`${base}${path}`)).json()) as T;
  const send = async (conversationId: string, content: string) => {
    const response = await post(`/conversations/${conversationId}/messages`, { content });
    assert.equal(response.status, 200);
    return parseSse(await response.text());
  };

  const conversation = (await (await post('/conversations', { title: 'Sums' })).json()) as Conversation;

  it('streams the thinking as reasoning-delta events, apart from the answer text', async () => {
    const events = await send(conversation.id, 'What is 2 + 2?');
    const joined = (type: string) =>
      events
        .filter((event) => event.event === type)
        .map((event) => (JSON.parse(event.data) as { text: string }).text)
        .join('');
    assert.equal(joined('reasoning-delta'), 'Okay, 2 plus 2 is 4.');
    assert.equal(joined('text-delta'), '2 + 2 = 4.');
    const types = events.map((event) => event.event);
    assert.ok(types.lastIndexOf('reasoning-delta') < types.indexOf('text-delta'), 'the thinking streams before the answer');
    const finish = JSON.parse(events.at(-1)!.data) as { type: string; message: StoredMessage };
    assert.equal(finish.type, 'answer-finish');
    assert.equal(finish.message.content, '2 + 2 = 4.');
    assert.equal(finish.message.generation?.reasoning?.text, 'Okay, 2 plus 2 is 4.');
  });

  it('stores the thinking apart from the answer, with how long it took', async () => {
    const { messages } = await getJson<{ messages: StoredMessage[] }>(`/conversations/${conversation.id}`);
    const answer = messages.find((message) => message.role === 'assistant');
    assert.equal(answer?.content, '2 + 2 = 4.');
    const reasoning = answer?.generation?.reasoning;
    assert.equal(reasoning?.text, 'Okay, 2 plus 2 is 4.');
    assert.ok(typeof reasoning?.durationMs === 'number' && reasoning.durationMs >= 0, `a duration, got ${JSON.stringify(reasoning)}`);
    assert.ok(Date.parse(reasoning.startedAt) >= Date.parse(conversation.createdAt));
  });

  it('does not send the thinking back to the model on the next turn', async () => {
    const before = upstream.requests.length;
    await send(conversation.id, 'And 3 + 3?');
    const sent = upstream.requests.slice(before).find((request) => request.path === '/v1/chat/completions')?.body as {
      messages: Array<{ role: string; content: string }>;
    };
    assert.deepEqual(sent.messages.filter((message) => message.role === 'assistant'), [{ role: 'assistant', content: '2 + 2 = 4.' }]);
    assert.doesNotMatch(JSON.stringify(sent.messages), /plus 2 is 4|think/);
  });

  it('keeps the thinking through export and import, and in the Markdown export', async () => {
    const file = await getJson<unknown>(`/conversations/export?id=${conversation.id}`);
    assert.equal((await post('/conversations/import', file)).status, 201);
    const { conversations } = await getJson<{ conversations: Conversation[] }>('/conversations');
    const copy = conversations.find((listed) => listed.id !== conversation.id);
    assert.ok(copy, 'the import made a second conversation');
    const { messages } = await getJson<{ messages: StoredMessage[] }>(`/conversations/${copy.id}`);
    const answers = messages.filter((message) => message.role === 'assistant');
    assert.equal(answers[0]?.content, '2 + 2 = 4.');
    assert.equal(answers[0]?.generation?.reasoning?.text, 'Okay, 2 plus 2 is 4.');
    const markdown = await (await fetch(`${base}/conversations/${copy.id}/export?format=markdown`)).text();
    assert.ok(markdown.indexOf('Okay, 2 plus 2 is 4.') < markdown.indexOf('2 + 2 = 4.'), 'the thinking is shown before its answer');
    assert.match(markdown, /\*Thought for \d+\.\d s:\*/);
  });

  it("passes the conversation's thinking switch to the upstream, which renders its own template", async () => {
    const switched = (await (await post('/conversations', { settings: { enableThinking: false } })).json()) as Conversation;
    const before = upstream.requests.length;
    await send(switched.id, 'Quick: 1 + 1?');
    const sent = upstream.requests.slice(before).find((request) => request.path === '/v1/chat/completions')?.body as Record<string, unknown>;
    assert.deepEqual(sent.chat_template_kwargs, { enable_thinking: false });
    const unswitched = upstream.requests.slice(0, before).find((request) => request.path === '/v1/chat/completions')?.body as Record<string, unknown>;
    assert.equal('chat_template_kwargs' in unswitched, false, 'nothing is sent when the conversation leaves it to the template');
  });
});

/** vLLM, llama-server and DeepSeek stream thinking in its own field, `reasoning_content`. */
function reasoningContentStream(): string[] {
  const chunk = (delta: object, finishReason: string | null = null) =>
    JSON.stringify({ id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'r1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  return [
    chunk({ role: 'assistant', content: '' }),
    chunk({ reasoning_content: 'Two and two' }),
    chunk({ reasoning_content: ' make four.' }),
    chunk({ content: '4' }),
    chunk({}, 'stop'),
    '[DONE]',
  ];
}

describe('a thinking model whose upstream sends reasoning_content, through the app API', async () => {
  const upstream = await startFakeOpenAiServer({ replay: reasoningContentStream() });
  const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
  const info = await backend.info();
  const { app, store } = createTestApp({ backend: { ...backend, info: async () => info } });
  const base = `${await listenOnFreePort(app)}/api`;
  after(async () => {
    await app.close();
    await upstream.close();
  });

  it('streams and stores the reasoning_content apart from the answer', async () => {
    const conversation = (await (await fetch(`${base}/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as Conversation;
    const response = await fetch(`${base}/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'What is 2 + 2?' }),
    });
    const events = parseSse(await response.text()).map((event) => JSON.parse(event.data) as { type: string; text?: string });
    assert.deepEqual(
      events.filter((event) => event.type.endsWith('-delta')).map((event) => [event.type, event.text]),
      [
        ['reasoning-delta', 'Two and two'],
        ['reasoning-delta', ' make four.'],
        ['text-delta', '4'],
      ],
    );
    const answer = (await store.listMessages(conversation.id)).find((message) => message.role === 'assistant');
    assert.equal(answer?.content, '4');
    assert.equal(answer?.generation?.reasoning?.text, 'Two and two make four.');
  });

  it('keeps the earlier thinking when an answer cut by length is continued', async () => {
    const conversation = await store.createConversation();
    const question = await store.appendMessage({ conversationId: conversation.id, parentId: null, role: 'user', content: 'What is 2 + 2?' });
    const earlier = { text: 'Sums. ', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 700 };
    const cut = await store.appendMessage({
      conversationId: conversation.id,
      parentId: question.id,
      role: 'assistant',
      content: 'The answer is ',
      generation: { ...sampleGeneration(), finishReason: 'length', reasoning: earlier },
    });
    const response = await fetch(`${base}/messages/${cut.id}/continue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 200);
    const events = parseSse(await response.text()).map((event) => JSON.parse(event.data) as { type: string; message?: StoredMessage });
    const start = events.find((event) => event.type === 'answer-start');
    assert.deepEqual(start?.message?.generation?.reasoning, earlier, 'answer-start carries the thinking so far');
    const continued = await store.getMessage(cut.id);
    assert.equal(continued?.content, 'The answer is 4');
    assert.equal(continued?.generation?.reasoning?.text, 'Sums. Two and two make four.');
  });
});
