import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';

describe('OpenAI-compatible routes, through the official openai client', () => {
  const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', contextWindow: 1024 }) });
  let client: OpenAI;
  before(async () => {
    client = new OpenAI({ baseURL: `${await listenOnFreePort(app)}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => app.close());

  it('lists the model', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      ['echo'],
    );
  });

  it('answers a chat completion with usage and finish_reason', async () => {
    const completion = await client.chat.completions.create({
      model: 'whatever-name-the-client-uses',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Has math been invented or discovered?' },
      ],
      max_tokens: 100,
      temperature: 0,
      top_p: 0.9,
      seed: 7,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0]?.message.content, 'Has math been invented or discovered?');
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.equal(completion.usage?.completion_tokens, 6);
    assert.equal(completion.usage?.total_tokens, (completion.usage?.prompt_tokens ?? 0) + 6);
  });

  it('honours max_tokens (finish_reason length) and stop', async () => {
    const cut = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'a b c d e' }], max_tokens: 2 });
    assert.equal(cut.choices[0]?.message.content, 'a b');
    assert.equal(cut.choices[0]?.finish_reason, 'length');
    const stopped = await client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'a b STOP c' }], stop: ' STOP' });
    assert.equal(stopped.choices[0]?.message.content, 'a b');
    assert.equal(stopped.choices[0]?.finish_reason, 'stop');
  });

  it('streams a chat completion, with a final usage chunk when include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'one two three' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'one two three');
    assert.equal(finishReason, 'stop');
    assert.equal(usage?.completion_tokens, 3);
  });

  it('completes a raw prompt, streaming and not', async () => {
    const completion = await client.completions.create({ model: 'echo', prompt: 'User: hi\nAssistant:', max_tokens: 5 });
    assert.equal(completion.choices[0]?.text, 'User: hi\nAssistant:');
    assert.ok(completion.usage);
    const stream = await client.completions.create({ model: 'echo', prompt: 'x y z', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, 'x y z');
  });

  it('reports bad requests as 400 with OpenAI’s error body, which the client raises', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], temperature: 5 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /temperature: .*got 5/.test(error.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'echo', messages: [] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /at least one message/.test(error.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b', 'c', 'd', 'e'] }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /at most 4 stop sequences/.test(error.message),
    );
  });

  it('answers a context overflow with 422 context_length_exceeded', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: { model: 'echo', prompt: 'word '.repeat(1000), max_tokens: 1000 },
    });
    assert.equal(response.statusCode, 422);
    assert.equal(response.json().error.code, 'context_length_exceeded');
  });

  it('rejects a tool message without tool_call_id and n > 1 with clear messages', async () => {
    const tool = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'echo', messages: [{ role: 'tool', content: 'x' }] } });
    assert.equal(tool.statusCode, 400);
    assert.match(tool.json().error.message, /messages\.0: a "tool" message needs tool_call_id/);
    const many = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'echo', n: 3, messages: [{ role: 'user', content: 'x' }] } });
    assert.match(many.json().error.message, /n must be 1/);
  });

  it('ends a stream with data: [DONE]', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { messages: [{ role: 'user', content: 'hi' }], stream: true } });
    assert.equal(parseSse(response.body).at(-1)?.data, '[DONE]');
  });
});
