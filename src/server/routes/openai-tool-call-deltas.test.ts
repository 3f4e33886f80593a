/**
 * Streamed calls from an OpenAI-compatible upstream are passed on fragment by fragment in OpenAI's
 * delta shape (index; id, type and name once; then argument fragments), not held for one final
 * chunk, and the official `openai` client still assembles them. Official client → anychat → fake
 * upstream replaying DeepSeek's recorded call stream, and, for what the recording lacks (two calls
 * at once), hand-written chunks.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { readChunksFixture } from '../../../test/fakes/sse-fixture.ts';
import { createOpenAiBackend } from '../../backends/openai/openai-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

const recorded = readChunksFixture(new URL('../../backends/openai/__fixtures__/deepseek-reasoning-tool-call.chunks.txt', import.meta.url));

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
  { type: 'function', function: { name: 'time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];
const request = { model: 'deepseek-v4-flash', messages: [{ role: 'user' as const, content: 'Weather and time in San Francisco?' }], tools };

type ToolCallFragment = OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall;

async function anychatBefore(upstream: FakeOpenAiServer) {
  const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
  // Asked once here, so the model is ready the moment the app is built (as with the echo backend).
  const info = await backend.info();
  const { app } = createTestApp({ backend: { ...backend, info: async () => info } });
  const client = new OpenAI({ baseURL: `${await listenOnFreePort(app)}/v1`, apiKey: 'unused', maxRetries: 0 });
  return { app, client };
}

async function fragmentsOf(client: OpenAI): Promise<ToolCallFragment[]> {
  const fragments: ToolCallFragment[] = [];
  for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) fragments.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
  return fragments;
}

/** A chunk of a streamed call, as OpenAI writes them. */
function callChunk(fragment: ToolCallFragment): string {
  return JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: [fragment] }, finish_reason: null }] });
}

describe('streamed tool-call fragments from an OpenAI-compatible upstream, on /v1', () => {
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('passes the recorded fragments on one by one, the id and name once, and the client assembles the call', async () => {
    const upstream = await startFakeOpenAiServer({ replay: recorded });
    const { app, client } = await anychatBefore(upstream);
    closers.push(() => app.close(), () => upstream.close());

    const fragments = await fragmentsOf(client);
    assert.deepEqual(fragments[0], { index: 0, id: 'call_00_IhCAliIHtM9gKpgfqbBV9873', type: 'function', function: { name: 'weather', arguments: '' } });
    assert.deepEqual(
      fragments.slice(1).map((fragment) => fragment.function?.arguments),
      ['{', '"', 'location', '"', ': ', '"', 'San', ' Francisco', '"', '}'],
      'as many argument fragments as the upstream sent',
    );
    assert.ok(fragments.slice(1).every((fragment) => fragment.index === 0 && fragment.id === undefined && fragment.function?.name === undefined));

    const runner = client.chat.completions.stream(request);
    const completion = await runner.finalChatCompletion();
    assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
    const call = completion.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.deepEqual([call.id, call.function.name, JSON.parse(call.function.arguments)], ['call_00_IhCAliIHtM9gKpgfqbBV9873', 'weather', { location: 'San Francisco' }]);
  });

  it('keeps two calls streamed at once apart by index', async () => {
    const chunks = [
      callChunk({ index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"loca' } }),
      callChunk({ index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } }),
      callChunk({ index: 0, function: { arguments: 'tion": "SF"}' } }),
      callChunk({ index: 1, function: { arguments: '{"zone": "PST"}' } }),
      JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
    ];
    const upstream = await startFakeOpenAiServer({ replay: chunks });
    const { app, client } = await anychatBefore(upstream);
    closers.push(() => app.close(), () => upstream.close());

    const fragments = await fragmentsOf(client);
    assert.deepEqual(
      fragments.map((fragment) => [fragment.index, fragment.id ?? null, fragment.function?.name ?? null, fragment.function?.arguments]),
      [
        [0, 'call_a', 'weather', '{"loca'],
        [1, 'call_b', 'time', ''],
        [0, null, null, 'tion": "SF"}'],
        [1, null, null, '{"zone": "PST"}'],
      ],
    );
    const completion = await client.chat.completions.stream(request).finalChatCompletion();
    const calls = completion.choices[0]?.message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments)] : null));
    assert.deepEqual(calls, [
      ['call_a', 'weather', { location: 'SF' }],
      ['call_b', 'time', { zone: 'PST' }],
    ]);
  });
});
