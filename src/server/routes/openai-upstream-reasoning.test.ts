/**
 * Thinking and calls from an OpenAI-compatible upstream, served back out on anychat's `/v1`:
 * DeepSeek's recorded `reasoning_content` + call stream, and a model whose server leaves
 * `<think>` inline. Official `openai` client → anychat → fake upstream, real sockets throughout.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { readChunksFixture } from '../../../test/fakes/sse-fixture.ts';
import { createOpenAiBackend } from '../../backends/openai/openai-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

const fixture = (name: string) => readChunksFixture(new URL(`../../backends/openai/__fixtures__/${name}`, import.meta.url));

async function anychatBefore(upstream: FakeOpenAiServer) {
  const backend = createOpenAiBackend({ backend: 'openai', endpoint: `${upstream.endpoint}/v1` });
  // Asked once here, so the model is ready the moment the app is built (as with the echo backend).
  const info = await backend.info();
  const { app } = createTestApp({ backend: { ...backend, info: async () => info } });
  const client = new OpenAI({ baseURL: `${await listenOnFreePort(app)}/v1`, apiKey: 'unused', maxRetries: 0 });
  return { app, client };
}

describe('thinking and calls from an OpenAI-compatible upstream, on /v1', () => {
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('streams reasoning_content apart from the answer and passes the call through, assembled by the client', async () => {
    const upstream = await startFakeOpenAiServer({ replay: fixture('deepseek-reasoning-tool-call.chunks.txt') });
    const { app, client } = await anychatBefore(upstream);
    closers.push(() => app.close(), () => upstream.close());
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
    ];
    const runner = client.chat.completions.stream({
      model: 'deepseek-v4-flash',
      messages: [{ role: 'user', content: 'Weather in San Francisco?' }],
      tools,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      logprobs: true,
      top_logprobs: 2,
    });
    let reasoning = '';
    for await (const chunk of runner) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string | null } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      assert.ok(!delta?.content, `no answer text in this stream, got ${JSON.stringify(delta?.content)}`);
    }
    const completion = await runner.finalChatCompletion();
    assert.equal(reasoning, 'The user asks about the weather in San Francisco. I should use the weather tool.');
    const choice = completion.choices[0];
    assert.equal(choice?.finish_reason, 'tool_calls');
    const call = choice?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.deepEqual(
      { id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments) as unknown },
      { id: 'call_00_IhCAliIHtM9gKpgfqbBV9873', name: 'weather', arguments: { location: 'San Francisco' } },
    );
    // Tools, tool_choice, response_format and logprobs reach the upstream as the client sent them.
    const sent = upstream.requests.find((request) => request.path === '/v1/chat/completions')?.body as Record<string, unknown>;
    assert.deepEqual(sent.tools, tools);
    assert.equal(sent.tool_choice, 'auto');
    assert.deepEqual(sent.response_format, { type: 'json_object' });
    assert.equal(sent.logprobs, true);
    assert.equal(sent.top_logprobs, 2);
  });

  it('splits inline <think> out of the content, streamed and not', async () => {
    const upstream = await startFakeOpenAiServer({ replay: fixture('inline-think.chunks.txt') });
    const { app, client } = await anychatBefore(upstream);
    closers.push(() => app.close(), () => upstream.close());
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is 2 + 2?' }];

    const completion = await client.chat.completions.create({ model: 'qwq', messages });
    const message = completion.choices[0]?.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    assert.equal(message.content, '2 + 2 = 4.');
    assert.equal(message.reasoning_content, 'Okay, 2 plus 2 is 4.');

    const stream = await client.chat.completions.create({ model: 'qwq', messages, stream: true });
    let content = '';
    let reasoning = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string | null } | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
    }
    assert.equal(content, '2 + 2 = 4.');
    assert.equal(reasoning, 'Okay, 2 plus 2 is 4.');
  });

  it('does not send past thinking back to the model on the next turn', async () => {
    const upstream = await startFakeOpenAiServer({ replay: fixture('inline-think.chunks.txt') });
    const { app, client } = await anychatBefore(upstream);
    closers.push(() => app.close(), () => upstream.close());
    await client.chat.completions.create({
      model: 'qwq',
      messages: [
        { role: 'user', content: 'What is 2 + 2?' },
        { role: 'assistant', content: '2 + 2 = 4.', reasoning_content: 'Okay, 2 plus 2 is 4.' } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'user', content: 'And 3 + 3?' },
      ],
    });
    const sent = upstream.requests.find((request) => request.path === '/v1/chat/completions')?.body as { messages: unknown[] };
    assert.doesNotMatch(JSON.stringify(sent.messages), /plus 2 is 4/);
    assert.deepEqual(sent.messages[1], { role: 'assistant', content: '2 + 2 = 4.' });
  });
});
