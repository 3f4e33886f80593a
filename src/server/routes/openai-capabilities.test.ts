/**
 * Issue 13's "done when", through the official `openai` client over real HTTP against the real app
 * on the embedded engine with a random-weight GGUF: the grammar must make the answer valid
 * although the model would never write valid JSON by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import OpenAI from 'openai';
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend } from '../../backends/llamacpp/llamacpp-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp } from '../../../test/support/test-app.ts';

const ajv = new Ajv({ strict: false });
const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 2048 });

/** Bounded strings and enums: a random-weight model fills any string up to its length limit. */
const weatherSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', maxLength: 12 },
    unit: { enum: ['celsius', 'fahrenheit'] },
    days: { type: 'array', items: { type: 'boolean' }, maxItems: 3 },
  },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
} as const;

const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: weatherSchema } },
  {
    type: 'function',
    function: { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } },
  },
];

describe('reasoning, tools, structured output and logprobs on the embedded engine, through the openai client', () => {
  const { app } = createTestApp({ backend });
  let client: OpenAI;
  before(async () => {
    client = new OpenAI({ baseURL: `${await listenOnFreePort(app)}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  after(() => app.close());

  const question: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];

  it('answers json_schema response_format with JSON valid against the schema, not streamed', async () => {
    const completion = await client.chat.completions.create({ model: 'tiny',
      messages: question,
      max_tokens: 120,
      seed: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: weatherSchema } },
    });
    const content = completion.choices[0]?.message.content ?? '';
    assert.ok(ajv.validate(weatherSchema, JSON.parse(content)), `${content}: ${ajv.errorsText()}`);
  });

  it('streams json_schema response_format as JSON valid against the schema', async () => {
    const stream = await client.chat.completions.create({ model: 'tiny',
      messages: question,
      max_tokens: 120,
      seed: 2,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: weatherSchema } },
    });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    assert.ok(ajv.validate(weatherSchema, JSON.parse(content)), `${content}: ${ajv.errorsText()}`);
  });

  for (const [label, toolChoice] of [
    ['required', 'required'],
    ['a named function', { type: 'function', function: { name: 'get_weather' } }],
  ] as const) {
    it(`tool_choice ${label}: returns a valid call with finish_reason tool_calls, not streamed`, async () => {
      const completion = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 150, seed: 3, tools, tool_choice: toolChoice });
      const choice = completion.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const call = choice?.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function', JSON.stringify(choice));
      if (typeof toolChoice === 'object') assert.equal(call.function.name, 'get_weather');
      const schema = tools.find((tool) => tool.type === 'function' && tool.function.name === call.function.name);
      assert.ok(schema?.type === 'function');
      assert.ok(ajv.validate(schema.function.parameters ?? {}, JSON.parse(call.function.arguments)), call.function.arguments);
    });

    it(`tool_choice ${label}: streams a call the client assembles, with finish_reason tool_calls`, async () => {
      const runner = client.chat.completions.stream({ model: 'tiny', messages: question, max_tokens: 150, seed: 4, tools, tool_choice: toolChoice });
      // The call streams as it is decoded: id and name once, then the arguments in many fragments.
      const fragments: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
      runner.on('chunk', (chunk) => fragments.push(...(chunk.choices[0]?.delta.tool_calls ?? [])));
      const completion = await runner.finalChatCompletion();
      const choice = completion.choices[0];
      assert.equal(choice?.finish_reason, 'tool_calls');
      const call = choice?.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function', JSON.stringify(choice));
      assert.match(call.id, /^call_/);
      assert.deepEqual([fragments[0]?.id, fragments[0]?.function?.name], [call.id, call.function.name]);
      assert.ok(fragments.length > 3, `the arguments came in ${fragments.length - 1} fragments`);
      assert.ok(fragments.slice(1).every((fragment) => fragment.index === 0 && fragment.id === undefined && fragment.function?.name === undefined));
      assert.equal(fragments.map((fragment) => fragment.function?.arguments ?? '').join(''), call.function.arguments);
      if (typeof toolChoice === 'object') assert.equal(call.function.name, 'get_weather');
      const schema = tools.find((tool) => tool.type === 'function' && tool.function.name === call.function.name);
      assert.ok(schema?.type === 'function');
      assert.ok(ajv.validate(schema.function.parameters ?? {}, JSON.parse(call.function.arguments)), call.function.arguments);
    });
  }

  it('answers after a tool result comes back', async () => {
    const first = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 150, seed: 5, tools, tool_choice: 'required' });
    const call = first.choices[0]?.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    const second = await client.chat.completions.create({ model: 'tiny',
      messages: [
        ...question,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      ],
      max_tokens: 8,
      seed: 6,
      tools,
    });
    const choice = second.choices[0];
    assert.ok(choice && ['stop', 'length', 'tool_calls'].includes(choice.finish_reason), JSON.stringify(choice));
    assert.ok((second.usage?.completion_tokens ?? 0) > 0);
    assert.ok(second.usage && second.usage.prompt_tokens > (first.usage?.prompt_tokens ?? 0), 'the call and its result are in the prompt');
  });

  it('returns logprobs with three alternatives per token, streamed and not', async () => {
    const completion = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 6, seed: 7, logprobs: true, top_logprobs: 3 });
    const content = completion.choices[0]?.logprobs?.content ?? [];
    assert.equal(content.length, completion.usage?.completion_tokens);
    for (const token of content) {
      assert.equal(token.top_logprobs.length, 3);
      assert.ok(token.logprob <= 0);
      assert.ok(token.top_logprobs.every((alternative) => alternative.logprob <= 0));
    }
    assert.equal(content.map((token) => token.token).join(''), completion.choices[0]?.message.content);

    const stream = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 6, seed: 7, logprobs: true, top_logprobs: 3, stream: true });
    const streamed = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    assert.ok(streamed.length > 0);
    assert.ok(streamed.every((token) => token.top_logprobs.length === 3));
  });

  it('refuses a schema keyword the grammar cannot enforce, naming it', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'tiny',
        messages: question,
        max_tokens: 5,
        response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object', properties: { n: { type: 'integer', minimum: 3 } } } } },
      }),
      (error: unknown) => error instanceof OpenAI.APIError && error.status === 422 && /"minimum"/.test(error.message),
    );
  });
});
