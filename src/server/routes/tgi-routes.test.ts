import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTgiBackend } from '../../backends/tgi/tgi-backend.ts';
import { collect, request as conformanceRequest, textOf } from '../../../test/backends/backend-conformance.ts';
import { createEchoBackend } from '../../backends/echo/echo-backend.ts';
import { listenOnFreePort } from '../../../test/support/listen-on-free-port.ts';
import { createTestApp, parseSse } from '../../../test/support/test-app.ts';

/** The lesson's prompt format and its exact request body (`max_new_tokens` 1024, two stops). */
const lessonPrompt = '\nUser: Which animals live in the savanna?\nAssistant:';
const lessonParameters = { max_new_tokens: 1024, stop: ['\nUser:', '<|endoftext|>'] };

/** What `text_generation.Client.generate` posts: every parameter, unset ones as null. */
const pythonClientParameters = {
  best_of: null,
  details: true,
  decoder_input_details: false,
  do_sample: false,
  max_new_tokens: 20,
  repetition_penalty: null,
  frequency_penalty: null,
  return_full_text: false,
  stop: [],
  seed: null,
  temperature: null,
  top_k: null,
  top_p: null,
  truncate: null,
  typical_p: null,
  watermark: false,
  top_n_tokens: null,
  grammar: null,
  adapter_id: null,
};

describe('TGI-compatible routes', () => {
  const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', contextWindow: 2048 }) });
  after(() => app.close());

  it('POST /generate answers the lesson’s exact request with generated_text and details', async () => {
    const response = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: lessonPrompt, parameters: lessonParameters } });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    // The echo backend answers a raw prompt with the prompt itself; the stop sequence cuts it at "\nUser:".
    assert.equal(body.generated_text, '');
    assert.equal(body.details.finish_reason, 'stop_sequence');
    assert.ok(Array.isArray(body.details.tokens) && Array.isArray(body.details.prefill));
  });

  it('POST /generate_stream sends one data: event per token, the last with generated_text and details, no [DONE]', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/generate_stream',
      payload: { inputs: 'Has math been invented or discovered?', parameters: { max_new_tokens: 1024, stop: ['\nUser:', '<|endoftext|>'] } },
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/event-stream/);
    assert.match(response.body, /^data:\{"index":0,"token":\{"id":\d+,"text":"Has","logprob":0,"special":false\},/);
    assert.doesNotMatch(response.body, /\[DONE\]/);
    const events = parseSse(response.body).map((event) => JSON.parse(event.data));
    const last = events.at(-1);
    for (const event of events.slice(0, -1)) {
      assert.equal(event.generated_text, null);
      assert.equal(event.details, null);
    }
    assert.equal(last.generated_text, 'Has math been invented or discovered?');
    assert.equal(last.token.special, true);
    assert.deepEqual(Object.keys(last.details).sort(), ['finish_reason', 'generated_tokens', 'input_length', 'seed']);
    assert.equal(last.details.finish_reason, 'eos_token');
    const text = events.filter((event) => !event.token.special).map((event) => event.token.text).join('');
    assert.equal(text, last.generated_text);
  });

  it('POST / answers the Python client’s body (every field, nulls included) wrapped in a list', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/',
      payload: { inputs: 'one two three', parameters: pythonClientParameters, stream: false },
    });
    assert.equal(response.statusCode, 200, response.body);
    const [first] = response.json();
    assert.equal(first.generated_text, 'one two three');
    assert.equal(first.details.finish_reason, 'eos_token');
    assert.equal(first.details.generated_tokens, 3);
  });

  it('POST / streams when "stream" is true, and max_new_tokens gives finish_reason length', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/',
      payload: { inputs: 'one two three four', parameters: { ...pythonClientParameters, max_new_tokens: 2 }, stream: true },
    });
    const last = JSON.parse(parseSse(response.body).at(-1)?.data ?? '{}');
    assert.equal(last.generated_text, 'one two');
    assert.equal(last.details.finish_reason, 'length');
  });

  it('return_full_text prepends the inputs', async () => {
    const response = await app.inject({ method: 'POST', url: '/generate', payload: { inputs: 'a b', parameters: { return_full_text: true } } });
    assert.equal(response.json().generated_text, 'a ba b');
  });

  it('GET /info has TGI’s fields', async () => {
    const info = (await app.inject({ method: 'GET', url: '/info' })).json();
    for (const field of ['model_id', 'max_input_tokens', 'max_total_tokens', 'max_stop_sequences', 'max_concurrent_requests', 'max_best_of', 'validation_workers', 'max_client_batch_size', 'router', 'version']) {
      assert.ok(field in info, `missing ${field}`);
    }
    assert.equal(info.max_total_tokens, 2048);
    assert.equal(info.max_stop_sequences, 4);
  });

  it('POST /tokenize answers 404 as TGI does for a backend with no tokenizer', async () => {
    const response = await app.inject({ method: 'POST', url: '/tokenize', payload: { inputs: 'hello' } });
    assert.equal(response.statusCode, 404);
    assert.match(response.json().error, /No fast tokenizer available/);
  });

  describe('bad input is a 4xx with TGI’s error body, never a 5xx', () => {
    const cases: Array<[string, Record<string, unknown> | string, number, RegExp]> = [
      ['malformed JSON', '{"inputs": "hi",', 400, /not valid JSON/],
      ['a number for inputs', { inputs: 42 }, 422, /inputs must be a string/],
      ['no inputs', { parameters: {} }, 422, /inputs is required/],
      ['empty inputs', { inputs: '' }, 422, /inputs.*cannot be empty/],
      ['five stop sequences', { inputs: 'hi', parameters: { stop: ['a', 'b', 'c', 'd', 'e'] } }, 422, /at most 4 stop sequences are allowed, got 5/],
      ['a string for max_new_tokens', { inputs: 'hi', parameters: { max_new_tokens: 'many' } }, 422, /parameters\.max_new_tokens: .*got "many"/],
      ['top_p above 1', { inputs: 'hi', parameters: { top_p: 1.5 } }, 422, /parameters\.top_p: .*got 1\.5/],
      ['best_of 2', { inputs: 'hi', parameters: { best_of: 2 } }, 422, /best_of/],
      ['max_new_tokens over the window', { inputs: 'hi', parameters: { max_new_tokens: 5000 } }, 422, /context window of 2048/],
      ['inputs + max_new_tokens over the window', { inputs: 'word '.repeat(1800), parameters: { max_new_tokens: 1000 } }, 422, /prompt tokens \+ 1000 new tokens/],
    ];
    for (const [name, payload, status, message] of cases) {
      it(name, async () => {
        for (const url of ['/generate', '/generate_stream']) {
          const response = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
          assert.equal(response.statusCode, status, `${url}: ${response.body}`);
          const body = response.json();
          assert.match(body.error, message);
          assert.equal(typeof body.error_type, 'string');
          if (status === 422) assert.equal(body.error_type, 'validation');
        }
      });
    }
  });

  it('an oversize body gets 413 with a JSON error', async () => {
    const { app: small } = createTestApp({ limits: { bodyLimitBytes: 1000 } });
    const response = await small.inject({ method: 'POST', url: '/generate', payload: { inputs: 'x'.repeat(2000) } });
    assert.equal(response.statusCode, 413);
    assert.match(response.json().error, /larger than the limit of 1000 bytes/);
    await small.close();
  });

  it('an error from the backend mid-stream becomes an SSE event with error and error_type', async () => {
    const failing = createEchoBackend({ backend: 'echo' });
    const { app: failingApp } = createTestApp({
      backend: {
        ...failing,
        async *generate(request, signal) {
          yield { type: 'text-delta', text: 'partial' };
          void request;
          void signal;
          yield { type: 'error', code: 'generation', message: 'the engine ran out of memory' };
        },
      },
    });
    const response = await failingApp.inject({ method: 'POST', url: '/generate_stream', payload: { inputs: 'hi' } });
    const events = parseSse(response.body).map((event) => JSON.parse(event.data));
    assert.equal(events[0].token.text, 'partial');
    assert.deepEqual(events.at(-1), { error: 'the engine ran out of memory', error_type: 'generation' });
    const generate = await failingApp.inject({ method: 'POST', url: '/generate', payload: { inputs: 'hi' } });
    assert.equal(generate.statusCode, 424);
    assert.equal(generate.json().error_type, 'generation');
    await failingApp.close();
  });
});

describe('anychat’s own tgi backend chats through anychat serve', () => {
  const { app } = createTestApp({ backend: createEchoBackend({ backend: 'echo', contextWindow: 2048 }) });
  let endpoint: string;
  before(async () => {
    endpoint = await listenOnFreePort(app);
  });
  after(() => app.close());

  for (const stream of [true, false]) {
    it(stream ? 'streaming (/generate_stream)' : 'not streaming (/generate)', async () => {
      const backend = createTgiBackend({ backend: 'tgi', endpoint, stream });
      const info = await backend.info();
      assert.equal(info.modelId, 'echo');
      assert.equal(info.contextWindow, 2048);
      const events = await collect(backend.generate(conformanceRequest('one two three', { maxNewTokens: 2 })));
      assert.equal(textOf(events), 'User: one');
      const finish = events.at(-1);
      assert.equal(finish?.type, 'finish', JSON.stringify(finish));
      if (finish?.type === 'finish') assert.equal(finish.reason, 'length');
      await backend.close();
    });
  }
});
