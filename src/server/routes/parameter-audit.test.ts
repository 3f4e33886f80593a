/**
 * The parameter audit (README, "Parameter audit"): every field the served APIs accept is sent
 * here with a value that matters, and is either seen to reach the generation (honoured) or
 * refused with a message naming it. Runs on a recording echo backend that reports what each
 * request asked of it; what the embedded engine does with the honoured fields is checked in
 * openai-capabilities.test.ts, tgi-capabilities.test.ts and the backend tests.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Backend, GenerationRequest } from '../../backends/backend.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';

/** The echo backend, claiming what an OpenAI-compatible upstream can do, and keeping each request. */
async function recordingBackend(claimCapabilities: boolean): Promise<{ backend: Backend; requests: GenerationRequest[] }> {
  const echo = createEchoBackend({ backend: 'echo', contextWindow: 4096 });
  const info = await echo.info();
  const requests: GenerationRequest[] = [];
  return {
    requests,
    backend: {
      ...echo,
      info: async () => ({
        ...info,
        ...(claimCapabilities
          ? { capabilities: { responseFormats: ['json-object', 'json-schema'], tools: true, maxTopLogprobs: 20, schemaByLocalGrammar: false } }
          : {}),
      }),
      generate: (request, signal) => {
        requests.push(request);
        return echo.generate(request, signal);
      },
    },
  };
}

type Check = { refused: RegExp } | { honoured: (request: GenerationRequest, body: string) => void };

const chatBase = { model: 'echo', messages: [{ role: 'user', content: 'one two three four five' }] };
const tool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };

const openAiChatRows: Array<[field: string, body: Record<string, unknown>, check: Check]> = [
  ['model', { model: 'any-name' }, { honoured: (request) => assert.ok(request.messages) }],
  ['messages', {}, { honoured: (request) => assert.equal(request.messages?.at(-1)?.content, 'one two three four five') }],
  ['max_tokens', { max_tokens: 2 }, { honoured: (request) => assert.equal(request.parameters.maxNewTokens, 2) }],
  ['max_completion_tokens', { max_completion_tokens: 3 }, { honoured: (request) => assert.equal(request.parameters.maxNewTokens, 3) }],
  ['temperature', { temperature: 0.3 }, { honoured: (request) => assert.equal(request.parameters.temperature, 0.3) }],
  ['top_p', { top_p: 0.5 }, { honoured: (request) => assert.equal(request.parameters.topP, 0.5) }],
  ['seed', { seed: 9 }, { honoured: (request) => assert.equal(request.parameters.seed, 9) }],
  ['stop', { stop: 'three' }, { honoured: (request, body) => (assert.deepEqual(request.parameters.stop, ['three']), assert.doesNotMatch(body, /four/)) }],
  ['stream', { stream: true }, { honoured: (_request, body) => assert.equal(parseSse(body).at(-1)?.data, '[DONE]') }],
  ['stream_options', { stream: true, stream_options: { include_usage: true } }, { honoured: (_request, body) => assert.match(body, /"total_tokens"/) }],
  ['n', { n: 2 }, { refused: /n must be 1/ }],
  ['frequency_penalty', { frequency_penalty: 0.5 }, { refused: /frequency_penalty: is not supported/ }],
  ['presence_penalty', { presence_penalty: 0.5 }, { refused: /presence_penalty: is not supported/ }],
  ['logit_bias', { logit_bias: { '42': 5 } }, { refused: /logit_bias: is not supported/ }],
  ['logprobs', { logprobs: true }, { honoured: (request) => assert.deepEqual(request.logprobs, { top: 0 }) }],
  ['top_logprobs', { logprobs: true, top_logprobs: 3 }, { honoured: (request) => assert.deepEqual(request.logprobs, { top: 3 }) }],
  ['tools', { tools: [tool] }, { honoured: (request) => assert.equal(request.tools?.[0]?.name, 'lookup') }],
  ['tool_choice', { tools: [tool], tool_choice: { type: 'function', function: { name: 'lookup' } } }, { honoured: (request) => assert.deepEqual(request.toolChoice, { name: 'lookup' }) }],
  ['parallel_tool_calls', { tools: [tool], parallel_tool_calls: false }, { honoured: (request) => assert.equal(request.parallelToolCalls, false) }],
  ['response_format', { response_format: { type: 'json_object' } }, { honoured: (request) => assert.deepEqual(request.responseFormat, { type: 'json-object' }) }],
  ['chat_template_kwargs', { chat_template_kwargs: { enable_thinking: 'yes' } }, { refused: /chat_template_kwargs\.enable_thinking/ }],
  ['user', { user: 'user-1234' }, { honoured: (request) => assert.ok(request.messages) }],
  ['an unknown field', { frobnicate: true }, { refused: /unknown field\(s\): frobnicate/ }],
];

const tgiRows: Array<[field: string, parameters: Record<string, unknown>, check: Check]> = [
  ['max_new_tokens', { max_new_tokens: 2 }, { honoured: (request) => assert.equal(request.parameters.maxNewTokens, 2) }],
  ['temperature', { temperature: 0.4 }, { honoured: (request) => assert.equal(request.parameters.temperature, 0.4) }],
  ['do_sample', { do_sample: true }, { honoured: (request) => assert.equal(request.parameters.temperature, 1) }],
  ['top_p', { top_p: 0.5 }, { honoured: (request) => assert.equal(request.parameters.topP, 0.5) }],
  ['top_k', { top_k: 7 }, { honoured: (request) => assert.equal(request.parameters.topK, 7) }],
  ['repetition_penalty', { repetition_penalty: 1.3 }, { honoured: (request) => assert.equal(request.parameters.repetitionPenalty, 1.3) }],
  ['seed', { seed: 5 }, { honoured: (request) => assert.equal(request.parameters.seed, 5) }],
  ['stop', { stop: ['three'] }, { honoured: (request) => assert.deepEqual(request.parameters.stop, ['three']) }],
  ['details', { details: false }, { honoured: (_request, body) => assert.doesNotMatch(body, /"details"/) }],
  ['return_full_text', { return_full_text: true }, { honoured: (_request, body) => assert.match(body, /"generated_text":"one two three four five/) }],
  ['top_n_tokens', { top_n_tokens: 2 }, { honoured: (request) => assert.deepEqual(request.logprobs, { top: 2 }) }],
  ['grammar', { grammar: { type: 'json', value: { type: 'object' } } }, { honoured: (request) => assert.deepEqual(request.responseFormat, { type: 'json-schema', schema: { type: 'object' } }) }],
  ['grammar (regex)', { grammar: { type: 'regex', value: 'a+' } }, { refused: /regular-expression grammars are not supported/ }],
  ['best_of', { best_of: 2 }, { refused: /best_of > 1 is not supported/ }],
  ['truncate', { truncate: 10 }, { refused: /parameters\.truncate: is not supported/ }],
  ['typical_p', { typical_p: 0.5 }, { refused: /parameters\.typical_p: typical sampling is not supported/ }],
  ['watermark', { watermark: true }, { refused: /parameters\.watermark: watermarking is not supported/ }],
  ['frequency_penalty', { frequency_penalty: 0.5 }, { refused: /parameters\.frequency_penalty: is not supported/ }],
  ['adapter_id', { adapter_id: 'lora-1' }, { refused: /parameters\.adapter_id: LoRA adapters are not supported/ }],
  ['decoder_input_details', { decoder_input_details: true }, { refused: /parameters\.decoder_input_details: the echo backend does not report the prompt tokens' log-probabilities/ }],
  ['an unknown field', { frobnicate: 1 }, { refused: /unknown field\(s\): frobnicate/ }],
];

describe('parameter audit: each accepted parameter is honoured or refused, naming it', async () => {
  const recording = await recordingBackend(true);
  const { app, logs } = createTestApp({ backend: recording.backend });
  after(() => app.close());

  for (const [field, extra, check] of openAiChatRows) {
    it(`/v1/chat/completions ${field}`, async () => {
      recording.requests.length = 0;
      const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...chatBase, ...extra } });
      if ('refused' in check) {
        assert.ok(response.statusCode === 422 || response.statusCode === 400, `${response.statusCode} ${response.body}`);
        assert.match((response.json() as { error: { message: string } }).error.message, check.refused);
        assert.equal(recording.requests.length, 0, 'nothing was generated');
        return;
      }
      assert.equal(response.statusCode, 200, response.body);
      const request = recording.requests.at(-1);
      assert.ok(request);
      check.honoured(request, response.body);
    });
  }

  it('/v1/chat/completions user: the end-user id is written to the request log', () => {
    assert.ok(logs.entries().some((entry) => entry.openAiUser === 'user-1234'));
  });

  it('/v1/completions echo and logprobs', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'echo', prompt: 'one two', echo: true, logprobs: 2 } });
    assert.equal(response.statusCode, 200, response.body);
    assert.match((response.json() as { choices: Array<{ text: string }> }).choices[0]?.text ?? '', /^one two/);
    assert.deepEqual(recording.requests.at(-1)?.logprobs, { top: 2 });
  });

  for (const [field, parameters, check] of tgiRows) {
    it(`TGI /generate ${field}`, async () => {
      recording.requests.length = 0;
      const response = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'one two three four five', parameters } });
      if ('refused' in check) {
        assert.equal(response.statusCode, 422, response.body);
        assert.match((response.json() as { error: string }).error, check.refused);
        assert.equal(recording.requests.length, 0, 'nothing was generated');
        return;
      }
      assert.equal(response.statusCode, 200, response.body);
      const request = recording.requests.at(-1);
      assert.ok(request);
      check.honoured(request, response.body);
    });
  }

  it('refuses tools, response formats and logprobs a backend cannot honour, naming the field', async () => {
    const { app: plainApp } = createTestApp({ backend: (await recordingBackend(false)).backend });
    for (const [payload, field] of [
      [{ tools: [tool] }, 'tools'],
      [{ response_format: { type: 'json_object' } }, 'response_format'],
      [{ logprobs: true, top_logprobs: 2 }, 'top_logprobs'],
    ] as const) {
      const response = await plainApp.inject({ method: 'POST', url: '/v1/chat/completions', payload: { ...chatBase, ...payload } });
      assert.equal(response.statusCode, 422, response.body);
      assert.match((response.json() as { error: { message: string } }).error.message, new RegExp(`^${field}: the echo backend`));
    }
    await plainApp.close();
  });
});
