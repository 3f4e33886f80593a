/**
 * The whole tool loop through the app API over real HTTP: a scripted OpenAI-compatible upstream
 * that calls a tool and then answers from its result, a real MCP server (the SDK fixture over
 * stdio), approvals answered with POST, Stop while waiting, errors the conversation survives,
 * storage, export and import, regenerate, and the next turn seeing the calls and results.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createParser } from 'eventsource-parser';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { stdioFixtureConfig } from '../../../test/fixtures/mcp/start-fixture-servers.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';
import { createOpenAiBackend } from '../../backends/openai/openai-backend.ts';
import type { Conversation, StoredMessage } from '../../chat/conversation.ts';
import type { ToolCallRecord } from '../../chat/tools/tool-call-record.ts';
import { McpToolbox } from '../../mcp/mcp-toolbox.ts';
import { createServerTools } from './server-tools.ts';

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE response event by event, so a test can act on one (an approval prompt) mid-stream. */
function eventReader(response: Response) {
  const queue: StreamEvent[] = [];
  const waiters: Array<() => void> = [];
  let done = false;
  const parser = createParser({
    onEvent: (event) => {
      queue.push({ event: event.event ?? 'message', data: JSON.parse(event.data) as Record<string, unknown> });
      waiters.splice(0).forEach((wake) => wake());
    },
  });
  const all: StreamEvent[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    const body = response.body!.getReader();
    for (let chunk = await body.read(); !chunk.done; chunk = await body.read()) parser.feed(decoder.decode(chunk.value, { stream: true }));
    done = true;
    waiters.splice(0).forEach((wake) => wake());
  })();
  return {
    all,
    /** The next event matching `predicate` (events before it are kept in `all`). */
    async until(predicate: (event: StreamEvent) => boolean): Promise<StreamEvent> {
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift()!;
          all.push(event);
          if (predicate(event)) return event;
        }
        if (done) throw new Error(`the stream ended without the awaited event; got ${all.map((event) => event.event).join(', ')}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

const isEnd = (event: StreamEvent) => event.event === 'answer-finish' || event.event === 'answer-error';
const callOf = (event: StreamEvent) => event.data.call as ToolCallRecord;

describe('MCP tools through the app API', () => {
  const toolbox = new McpToolbox(
    [
      stdioFixtureConfig('auto', { approval: 'always' }),
      stdioFixtureConfig('asked', { approval: 'ask', tools: { xss: { approval: 'never' } } }),
    ],
    // A crashed server is started again on its next call, but not within 2 s of its last start: the
    // test's clock moves past that back-off so the tests after the crash test need no wait.
    { toolTimeoutMs: 1_000, startTimeoutMs: 20_000, maxResultCharacters: 16_384, clientInfo: { name: 'anychat-test', version: '0' }, now: () => clock },
  );
  let clock = 0;
  const tools = createServerTools(toolbox, { maxSteps: 4 });
  const opened: Array<{ close(): Promise<unknown> }> = [];

  before(() => toolbox.start());
  after(async () => {
    for (const item of opened.reverse()) await item.close();
    await toolbox.close();
  });

  /** An app whose model (the scripted upstream) calls `tool` with `args`. */
  async function appCalling(tool: string, args: string) {
    const upstream: FakeOpenAiServer = await startFakeOpenAiServer({ toolUse: { name: tool, arguments: args } });
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
    const info = await backend.info();
    const { app, store } = createTestApp({ backend: { ...backend, info: async () => info }, tools, limits: { reattachGraceMs: 5_000 } });
    const base = `${await listenOnFreePort(app)}/api`;
    opened.push(upstream, app);
    const post = (path: string, body?: unknown) =>
      fetch(`${base}${path}`, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const conversation = (await (await post('/conversations', { title: 'Tools' })).json()) as Conversation;
    return { upstream, store, base, post, conversation };
  }

  it('lists the configured servers and tools at GET /api/tools', async () => {
    const { base } = await appCalling('auto__echo', '{}');
    const listed = (await (await fetch(`${base}/tools`)).json()) as { servers: Array<{ name: string; state: string; tools: Array<{ offeredName: string; approval: string }> }>; maxSteps: number };
    assert.equal(listed.maxSteps, 4);
    assert.deepEqual(listed.servers.map((server) => [server.name, server.state]), [['auto', 'ready'], ['asked', 'ready']]);
    assert.equal(listed.servers[1]?.tools.find((tool) => tool.offeredName === 'asked__xss')?.approval, 'never');
  });

  it('runs an `always` tool, feeds the result back and answers from it; calls are stored, exported and seen by the next turn', async () => {
    const { upstream, post, conversation, base } = await appCalling('auto__echo', '{"text":"ping"}');
    const events = parseSse(await (await post(`/conversations/${conversation.id}/messages`, { content: 'Call the echo tool' })).text());
    const updates = events.filter((event) => event.event === 'tool-update').map((event) => (JSON.parse(event.data) as { call: ToolCallRecord }).call);
    assert.deepEqual(updates.map((call) => call.status), ['pending', 'running', 'done']);
    assert.equal(updates.at(-1)?.result, 'echo: ping');
    assert.equal(updates.at(-1)?.name, 'auto__echo');
    const finish = JSON.parse(events.at(-1)!.data) as { type: string; message: StoredMessage };
    assert.equal(finish.type, 'answer-finish');
    assert.equal(finish.message.content, 'The tool said: echo: ping');
    assert.equal(finish.message.generation?.toolCalls?.[0]?.status, 'done');
    assert.equal(typeof finish.message.generation?.toolCalls?.[0]?.durationMs, 'number');

    // The upstream was offered the MCP tools, then got the call and its result back.
    const chats = upstream.requests.filter((request) => request.path === '/v1/chat/completions');
    const first = chats[0]!.body as { tools: Array<{ function: { name: string } }> };
    assert.ok(first.tools.some((tool) => tool.function.name === 'auto__echo'));
    assert.ok(!first.tools.some((tool) => tool.function.name === 'asked__xss'), 'a `never` tool is not offered');
    const second = chats[1]!.body as { messages: Array<{ role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }> };
    assert.deepEqual(second.messages.slice(-2).map((message) => message.role), ['assistant', 'tool']);
    assert.equal(second.messages.at(-1)?.content, 'echo: ping');

    // Stored: a reload shows the call and its result.
    const { messages } = (await (await fetch(`${base}/conversations/${conversation.id}`)).json()) as { messages: StoredMessage[] };
    assert.equal(messages[1]?.generation?.toolCalls?.[0]?.result, 'echo: ping');

    // The next turn carries the earlier call and result to the model.
    await (await post(`/conversations/${conversation.id}/messages`, { content: 'And again' })).text();
    const third = upstream.requests.filter((request) => request.path === '/v1/chat/completions')[2]!.body as { messages: Array<{ role: string }> };
    assert.deepEqual(third.messages.map((message) => message.role), ['user', 'assistant', 'tool', 'assistant', 'user']);

    // Exported and imported with the calls.
    const exported = (await (await fetch(`${base}/conversations/export?id=${conversation.id}`)).json()) as { conversations: Array<{ messages: StoredMessage[] }> };
    assert.equal(exported.conversations[0]?.messages[1]?.generation?.toolCalls?.[0]?.result, 'echo: ping');
    await (await fetch(`${base}/conversations/${conversation.id}`, { method: 'DELETE' })).text();
    const imported = await post('/conversations/import', exported);
    assert.equal(imported.status, 201, await imported.clone().text());
    const again = (await (await fetch(`${base}/conversations/${conversation.id}`)).json()) as { messages: StoredMessage[] };
    assert.equal(again.messages[1]?.generation?.toolCalls?.[0]?.result, 'echo: ping');
  });

  it('an `ask` tool waits for approval: Allow once runs it', async () => {
    const { post, conversation } = await appCalling('asked__echo', '{"text":"may I"}');
    const reader = eventReader(await post(`/conversations/${conversation.id}/messages`, { content: 'Use it' }));
    const prompt = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'awaiting-approval');
    const messageId = prompt.data.messageId as string;
    const approved = await post(`/messages/${messageId}/tool-calls/${callOf(prompt).id}/approval`, { decision: 'allow-once' });
    assert.equal(approved.status, 204);
    const done = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'done');
    assert.equal(callOf(done).result, 'echo: may I');
    const end = await reader.until(isEnd);
    assert.equal((end.data.message as StoredMessage).content, 'The tool said: echo: may I');
  });

  it('an approval is answered by POST only, with a clear refusal for a bad decision or an unknown call', async () => {
    const { post, conversation, base } = await appCalling('asked__echo', '{"text":"x"}');
    const reader = eventReader(await post(`/conversations/${conversation.id}/messages`, { content: 'Use it' }));
    const prompt = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'awaiting-approval');
    const path = `/messages/${prompt.data.messageId as string}/tool-calls/${callOf(prompt).id}/approval`;
    const viaGet = await fetch(`${base}${path}?decision=allow-once`);
    assert.equal(viaGet.status, 404);
    const bad = await post(path, { decision: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /decision must be "allow-once", "always-allow" or "deny"/);
    const unknown = await post(`/messages/${prompt.data.messageId as string}/tool-calls/nope/approval`, { decision: 'deny' });
    assert.equal(unknown.status, 404);
    // Deny: the model is told, and answers.
    assert.equal((await post(path, { decision: 'deny' })).status, 204);
    const denied = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'denied');
    assert.equal(callOf(denied).result, 'the user denied this call');
    const end = await reader.until(isEnd);
    assert.equal((end.data.message as StoredMessage).content, 'The tool said: The user denied this tool call.');
    // Answered already: 409, naming the state.
    const late = await post(path, { decision: 'allow-once' });
    assert.equal(late.status, 409);
  });

  it('Always allow is kept for the conversation: the next call runs without asking', async () => {
    const { post, conversation, store } = await appCalling('asked__echo', '{"text":"again"}');
    const reader = eventReader(await post(`/conversations/${conversation.id}/messages`, { content: 'Use it' }));
    const prompt = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'awaiting-approval');
    await post(`/messages/${prompt.data.messageId as string}/tool-calls/${callOf(prompt).id}/approval`, { decision: 'always-allow' });
    await reader.until(isEnd);
    assert.deepEqual((await store.getConversation(conversation.id))?.settings.tools?.alwaysAllow, ['asked__echo']);
    const events = parseSse(await (await post(`/conversations/${conversation.id}/messages`, { content: 'Once more' })).text());
    const statuses = events.filter((event) => event.event === 'tool-update').map((event) => (JSON.parse(event.data) as { call: ToolCallRecord }).call.status);
    assert.deepEqual(statuses, ['pending', 'running', 'done']);
  });

  it('Stop while a call awaits approval ends the answer stopped, the call cancelled, nothing lost', async () => {
    const { post, conversation, store } = await appCalling('asked__echo', '{"text":"never"}');
    const reader = eventReader(await post(`/conversations/${conversation.id}/messages`, { content: 'Use it' }));
    const prompt = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'awaiting-approval');
    const messageId = prompt.data.messageId as string;
    assert.equal((await post(`/messages/${messageId}/stop`)).status, 204);
    const cancelled = await reader.until((event) => event.event === 'tool-update' && callOf(event).status === 'cancelled');
    assert.equal(callOf(cancelled).id, callOf(prompt).id);
    const end = await reader.until(isEnd);
    assert.equal(end.event, 'answer-finish');
    assert.equal((end.data.message as StoredMessage).generation?.status, 'stopped');
    assert.equal((await store.getMessage(messageId))?.generation?.toolCalls?.[0]?.status, 'cancelled');
  });

  it('a tool that errors, hangs or crashes becomes a tool error the model reads; the conversation goes on', async () => {
    for (const [tool, expected] of [
      ['auto__fail', /Error: the fixture failed on purpose/],
      ['auto__hang', /Error: the server auto did not answer in time: no result within 1 s/],
      ['auto__big', /Error: the result was 1,048,576 characters/],
      ['auto__crash', /Error: the server auto closed the connection/],
    ] as const) {
      const { post, conversation } = await appCalling(tool, '{}');
      const events = parseSse(await (await post(`/conversations/${conversation.id}/messages`, { content: `Call ${tool}` })).text());
      const finish = JSON.parse(events.at(-1)!.data) as { type: string; message: StoredMessage };
      assert.equal(finish.type, 'answer-finish', tool);
      assert.equal(finish.message.generation?.toolCalls?.[0]?.status, 'error', tool);
      assert.match(finish.message.content, expected);
      // The conversation goes on: the crashed server is started again for the next call.
      const next = parseSse(await (await post(`/conversations/${conversation.id}/messages`, { content: 'Still there?' })).text());
      assert.equal(JSON.parse(next.at(-1)!.data).type, 'answer-finish', `${tool}: the next turn answers`);
    }
  });

  it('regenerate after a tool call runs the loop again as a new branch', async () => {
    // Past the restart back-off of the server the test above crashed.
    clock += 10_000;
    const { post, conversation } = await appCalling('auto__echo', '{"text":"re"}');
    const first = parseSse(await (await post(`/conversations/${conversation.id}/messages`, { content: 'Call it' })).text());
    const answer = (JSON.parse(first.at(-1)!.data) as { message: StoredMessage }).message;
    const again = parseSse(await (await post(`/messages/${answer.id}/regenerate`)).text());
    const regenerated = (JSON.parse(again.at(-1)!.data) as { message: StoredMessage }).message;
    assert.notEqual(regenerated.id, answer.id);
    assert.equal(regenerated.parentId, answer.parentId);
    assert.equal(regenerated.content, 'The tool said: echo: re');
    assert.equal(regenerated.generation?.toolCalls?.length, 1);
    // Continue cannot carry on an answer that called tools.
    const continued = await post(`/messages/${answer.id}/continue`);
    assert.equal(continued.status, 400);
  });

  it('a conversation can switch a server or a tool off; switched off, the model is offered none of it', async () => {
    const { post, conversation, upstream } = await appCalling('auto__echo', '{"text":"off"}');
    await (await post(`/conversations/${conversation.id}/messages`, { content: 'No tools', settings: { tools: { disabled: ['auto', 'asked__echo'] } } })).text();
    const offered = (upstream.requests.at(-1)!.body as { tools?: Array<{ function: { name: string } }> }).tools?.map((tool) => tool.function.name) ?? [];
    assert.ok(offered.length > 0);
    assert.ok(offered.every((name) => name.startsWith('asked__') && name !== 'asked__echo'), offered.join(', '));
    await (await post(`/conversations/${conversation.id}/messages`, { content: 'None', settings: { tools: { enabled: false } } })).text();
    assert.equal((upstream.requests.at(-1)!.body as { tools?: unknown }).tools, undefined);
  });

  it('/v1/chat/completions keeps OpenAI semantics: the client brings its tools and no MCP tool runs', async () => {
    const { upstream, base } = await appCalling('client_tool', '{"q":1}');
    const response = await fetch(`${base.replace(/\/api$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'echo',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'client_tool', parameters: { type: 'object' } } }],
      }),
    });
    const body = (await response.json()) as { choices: Array<{ finish_reason: string; message: { tool_calls: Array<{ function: { name: string } }> } }> };
    assert.equal(body.choices[0]?.finish_reason, 'tool_calls');
    assert.equal(body.choices[0]?.message.tool_calls[0]?.function.name, 'client_tool');
    const sent = upstream.requests.at(-1)!.body as { tools: Array<{ function: { name: string } }> };
    assert.deepEqual(sent.tools.map((tool) => tool.function.name), ['client_tool']);
  });
});
