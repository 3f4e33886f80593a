import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import type { StoredMessage } from '../../chat/conversation.ts';
import type { AnswerStreamEvent } from '../app-api/app-api-events.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { waitFor } from '../../../test/support/wait-for.ts';

function answerEvents(body: string): AnswerStreamEvent[] {
  return parseSse(body).map((event) => {
    const parsed = JSON.parse(event.data) as AnswerStreamEvent;
    assert.equal(event.event, parsed.type, 'the SSE event name repeats the type');
    return parsed;
  });
}

function finishOf(events: AnswerStreamEvent[]): Extract<AnswerStreamEvent, { type: 'answer-finish' }> {
  const last = events.at(-1);
  assert.equal(last?.type, 'answer-finish', JSON.stringify(last));
  return last as Extract<AnswerStreamEvent, { type: 'answer-finish' }>;
}

describe('app API', () => {
  const { app, store } = createTestApp();
  after(() => app.close());

  const createConversation = async (body: object = {}) => {
    const response = await app.inject({ method: 'POST', url: '/api/conversations', payload: body });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as { id: string; title: string };
  };
  const send = (conversationId: string, payload: object) => app.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload });

  it('reports status and models', async () => {
    const status = (await app.inject({ method: 'GET', url: '/api/status' })).json();
    assert.deepEqual({ status: status.status, authRequired: status.authRequired }, { status: 'ready', authRequired: false });
    const models = (await app.inject({ method: 'GET', url: '/api/models' })).json();
    assert.equal(models.defaultModelId, 'echo');
    assert.equal(models.models[0].status, 'ready');
    assert.equal(models.models[0].backend, 'echo');
  });

  it('sends a message: the user message first, then the answer with its exact prompt, saved with its record', async () => {
    const conversation = await createConversation();
    const response = await send(conversation.id, {
      content: 'Which animals live in the savanna?',
      settings: { systemMessage: 'Be brief.', parameters: { maxNewTokens: 50, temperature: 0 } },
    });
    assert.equal(response.statusCode, 200, response.body);
    const events = answerEvents(response.body);
    assert.deepEqual(events.map((event) => event.type).slice(0, 2), ['user-message', 'answer-start']);
    const start = events[1] as Extract<AnswerStreamEvent, { type: 'answer-start' }>;
    assert.deepEqual(start.message.generation?.prompt, {
      kind: 'messages',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Which animals live in the savanna?' },
      ],
    });
    const finish = finishOf(events);
    assert.equal(finish.message.content, 'Which animals live in the savanna?');
    const stored = await store.getMessage(finish.message.id);
    assert.equal(stored?.content, 'Which animals live in the savanna?');
    assert.equal(stored?.generation?.status, 'done');
    assert.equal(stored?.generation?.finishReason, 'eos');
    assert.equal(stored?.generation?.parameters.maxNewTokens, 50);
    assert.equal(stored?.generation?.backend, 'echo');
    assert.ok(stored?.generation?.usage && stored.generation.timings);
    const saved = (await app.inject({ method: 'GET', url: `/api/conversations/${conversation.id}` })).json();
    assert.equal(saved.conversation.title, 'Which animals live in the savanna?');
    assert.equal(saved.conversation.settings.systemMessage, 'Be brief.');
    assert.equal(saved.conversation.activeLeafId, finish.message.id);
    assert.equal(saved.messages.length, 2);
    // Opening a conversation leaves prompts out (they repeat the conversation); one message has it.
    assert.equal(saved.messages[1].generation.prompt, null);
    const one = await app.inject({ method: 'GET', url: `/api/messages/${finish.message.id}` });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual((one.json() as StoredMessage).generation?.prompt, start.message.generation?.prompt);
    assert.equal((await app.inject({ method: 'GET', url: '/api/messages/00000000-0000-4000-8000-000000000000' })).statusCode, 404);
    // Export is lossless: it carries the prompts.
    const exported = (await app.inject({ method: 'GET', url: `/api/conversations/${conversation.id}/export` })).json();
    assert.deepEqual(exported.messages[1].generation.prompt, start.message.generation?.prompt);
  });

  it('regenerates, edits (a new branch) and continues an answer cut by length', async () => {
    const conversation = await createConversation();
    const first = finishOf(answerEvents((await send(conversation.id, { content: 'one two three four', settings: { parameters: { maxNewTokens: 2 } } })).body));
    assert.equal(first.reason, 'length');
    assert.equal(first.message.content, 'one two');

    const continued = finishOf(answerEvents((await app.inject({ method: 'POST', url: `/api/messages/${first.message.id}/continue`, payload: { settings: { parameters: { maxNewTokens: 10 } } } })).body));
    assert.equal(continued.message.id, first.message.id, 'continuing extends the same answer');
    assert.ok(continued.message.content.startsWith('one two'));

    const regenerated = finishOf(answerEvents((await app.inject({ method: 'POST', url: `/api/messages/${first.message.id}/regenerate` })).body));
    assert.notEqual(regenerated.message.id, first.message.id);
    assert.equal(regenerated.message.parentId, first.message.parentId, 'a regenerated answer is a sibling');

    const userMessageId = first.message.parentId;
    assert.ok(userMessageId);
    const editEvents = answerEvents((await app.inject({ method: 'POST', url: `/api/messages/${userMessageId}/edit`, payload: { content: 'five six' } })).body);
    const editedUser = (editEvents[0] as Extract<AnswerStreamEvent, { type: 'user-message' }>).message;
    assert.notEqual(editedUser.id, userMessageId);
    assert.equal(editedUser.parentId, null, 'the edit is a sibling of the original');
    assert.equal(finishOf(editEvents).message.content, 'five six');

    const all = (await store.listMessages(conversation.id)) as StoredMessage[];
    assert.equal(all.length, 5);
  });

  it('follows the conversation’s active leaf by default and refuses a user message as parent', async () => {
    const conversation = await createConversation();
    const first = finishOf(answerEvents((await send(conversation.id, { content: 'hello' })).body));
    const second = answerEvents((await send(conversation.id, { content: 'again' })).body);
    const user = (second[0] as Extract<AnswerStreamEvent, { type: 'user-message' }>).message;
    assert.equal(user.parentId, first.message.id);
    const bad = await send(conversation.id, { content: 'x', parentId: user.id });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'parentId');
    // A question whose answer is not stored yet (another tab or server just sent it) is the active
    // leaf: sending after it without naming a parent is a conflict, not the client's mistake.
    const pending = await store.appendMessage({ conversationId: conversation.id, parentId: finishOf(second).message.id, role: 'user', content: 'in flight' });
    assert.equal(pending.role, 'user');
    const conflict = await send(conversation.id, { content: 'y' });
    assert.equal(conflict.statusCode, 409, conflict.body);
  });

  it('lists, searches, renames, exports and deletes conversations', async () => {
    const conversation = await createConversation({ title: 'Zebras' });
    await send(conversation.id, { content: 'stripes' });
    const found = (await app.inject({ method: 'GET', url: '/api/conversations?search=stripes&limit=5' })).json();
    assert.ok(found.conversations.some((summary: { id: string }) => summary.id === conversation.id));
    const renamed = await app.inject({ method: 'PATCH', url: `/api/conversations/${conversation.id}`, payload: { title: 'Horses' } });
    assert.equal(renamed.json().title, 'Horses');
    const markdown = await app.inject({ method: 'GET', url: `/api/conversations/${conversation.id}/export?format=markdown` });
    assert.match(String(markdown.headers['content-type']), /text\/markdown/);
    assert.match(markdown.body, /# Horses[\s\S]*## User[\s\S]*stripes/);
    const json = await app.inject({ method: 'GET', url: `/api/conversations/${conversation.id}/export` });
    assert.equal(json.json().messages.length, 2);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/conversations/${conversation.id}` })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: `/api/conversations/${conversation.id}` })).statusCode, 404);
  });

  describe('bad input is a 4xx with { error: { code, message, field } }', () => {
    it('empty content, wrong types, unknown fields, bad parameters, unknown ids', async () => {
      const conversation = await createConversation();
      const cases: Array<[() => Promise<{ statusCode: number; json(): { error: { code: string; message: string; field?: string } } }>, number, RegExp, string?]> = [
        [() => send(conversation.id, { content: '   ' }), 400, /content is empty/, 'content'],
        [() => send(conversation.id, { content: 42 }), 400, /content must be a string/, 'content'],
        [() => send(conversation.id, {}), 400, /content is required/, 'content'],
        [() => send(conversation.id, { content: 'x', colour: 'red' }), 400, /unknown field\(s\): colour/],
        [() => send(conversation.id, { content: 'x', settings: { parameters: { stop: ['a', 'b', 'c', 'd', 'e'] } } }), 400, /at most 4 stop sequences/],
        [() => send(conversation.id, { content: 'x', settings: { parameters: { temperature: -1 } } }), 400, /temperature must be ≥ 0/],
        [() => send('no-such-conversation', { content: 'x' }), 404, /no conversation/],
        [() => app.inject({ method: 'POST', url: '/api/messages/nope/regenerate' }), 404, /no message/],
        [() => app.inject({ method: 'GET', url: '/api/conversations?limit=0' }), 400, /limit/],
        [() => app.inject({ method: 'POST', url: '/api/conversations', headers: { 'content-type': 'application/json' }, payload: '{"title":' }), 400, /not valid JSON/],
        [() => send(conversation.id, { content: 'word '.repeat(5000), settings: { parameters: { maxNewTokens: 100 } } }), 422, /context window holds 4096/],
      ];
      for (const [call, status, message, field] of cases) {
        const response = await call();
        assert.equal(response.statusCode, status, JSON.stringify(response.json()));
        assert.match(response.json().error.message, message);
        if (field) assert.equal(response.json().error.field, field);
      }
      // Nothing was stored by the refused sends: the user message is committed only once generation can start.
      assert.equal((await store.listMessages(conversation.id)).length, 0);
    });
  });

  it('serves an OpenAPI document describing the routes', async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(document.openapi.startsWith('3.'), true);
    for (const path of ['/generate', '/generate_stream', '/v1/chat/completions', '/api/conversations/{id}/messages', '/api/messages/{id}/stop']) {
      assert.ok(document.paths[path], `missing ${path}`);
    }
  });
});

describe('app API: stop, re-attach, disconnect', () => {
  const { app, store } = createTestApp({ backend: createEchoBackend({ backend: 'echo', delayMs: 20 }), limits: { reattachGraceMs: 0 } });
  after(() => app.close());

  it('stop ends the answer, keeps its text and marks it stopped; a second reader re-attaches with the text so far', async () => {
    const base = await listenOnFreePort(app);
    const conversation = (await (await fetch(`${base}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
    const response = await fetch(`${base}/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: Array.from({ length: 200 }, (_, index) => `w${index}`).join(' ') }),
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let answerId: string | null = null;
    while (!answerId || (text.match(/event: text-delta/g) ?? []).length < 5) {
      const { value } = await reader.read();
      text += decoder.decode(value, { stream: true });
      answerId ??= /"type":"answer-start","message":\{"id":"([^"]+)"/.exec(text)?.[1] ?? null;
    }

    const follower = await fetch(`${base}/api/messages/${answerId}/stream`);
    const followerReader = follower.body!.getReader();
    const firstChunk = decoder.decode((await followerReader.read()).value);
    const replay = JSON.parse(parseSse(firstChunk)[0]?.data ?? '{}');
    assert.equal(replay.type, 'answer-start');
    assert.match(replay.message.content, /^w0 w1 w2 w3/, 'the re-attached reader gets the text so far');

    assert.equal((await fetch(`${base}/api/messages/${answerId}/stop`, { method: 'POST' })).status, 204);
    while (!text.includes('event: answer-finish')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const finish = finishOf(answerEvents(text));
    assert.equal(finish.reason, 'aborted');
    assert.equal(finish.message.generation?.status, 'stopped');
    const stored = await store.getMessage(answerId!);
    assert.equal(stored?.generation?.status, 'stopped');
    assert.ok(stored && stored.content.length > 0 && stored.content.length < 800);
    await followerReader.cancel();
  });

  it('a client that disconnects stops its answer, which keeps its text marked disconnected', async () => {
    const base = await listenOnFreePort(app).catch(() => `http://127.0.0.1:${(app.server.address() as { port: number }).port}`);
    const conversation = (await (await fetch(`${base}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { id: string };
    const controller = new AbortController();
    const response = await fetch(`${base}/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: Array.from({ length: 200 }, (_, index) => `w${index}`).join(' ') }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    while ((text.match(/event: text-delta/g) ?? []).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    const answerId = /"type":"answer-start","message":\{"id":"([^"]+)"/.exec(text)?.[1];
    controller.abort();
    await waitFor(async () => (await store.getMessage(answerId!))?.generation?.status !== 'streaming', { what: 'the answer to stop streaming' });
    const stored = await store.getMessage(answerId!);
    assert.equal(stored?.generation?.status, 'disconnected');
    assert.ok(stored && stored.content.startsWith('w0 w1'));
  });
});
