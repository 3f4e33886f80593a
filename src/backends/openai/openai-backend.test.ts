import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, describeBackendConformance, request, textOf } from '../../../test/backends/backend-conformance.ts';
import { describeUpstreamFaults } from '../../../test/fakes/describe-upstream-faults.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { readChunksFixture } from '../../../test/fakes/sse-fixture.ts';
import { createOpenAiBackend } from './openai-backend.ts';

const servers: FakeOpenAiServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});
async function startServer(options: Parameters<typeof startFakeOpenAiServer>[0] = {}): Promise<FakeOpenAiServer> {
  const server = await startFakeOpenAiServer(options);
  servers.push(server);
  return server;
}

describeBackendConformance(
  'openai',
  async () => createOpenAiBackend({ backend: 'openai', endpoint: `${(await startServer()).endpoint}/v1` }),
  { echoesLastUserMessage: true },
);
describeBackendConformance(
  'openai, bytes split everywhere',
  async () => createOpenAiBackend({ backend: 'openai', endpoint: (await startServer({ chunkBytes: 3 })).endpoint }),
  { echoesLastUserMessage: true },
);

describeUpstreamFaults('openai', {
  // llama-server's in-stream error carries `code: 500`, which maps like HTTP 500.
  errorEventCode: 'upstream',
  async start({ fault, timeoutMs, endpoint, apiKey, serverApiKey, limits, endpointUserinfo }) {
    const server = await startFakeOpenAiServer({ fault, ...(serverApiKey ? { apiKey: serverApiKey } : {}) });
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: endpoint ?? (endpointUserinfo ? server.endpoint.replace('//', `//${endpointUserinfo}@`) : server.endpoint), timeoutMs, apiKey , limits });
    return { backend, whenNoResponseBusy: () => server.whenNoResponseBusy(), close: () => server.close() };
  },
});

describe('openai backend', () => {
  let server: FakeOpenAiServer;
  before(async () => {
    server = await startServer({ modelId: 'Qwen/Qwen2.5-7B-Instruct', contextWindow: 32768 });
  });

  it('accepts the endpoint with or without /v1 and a trailing slash', async () => {
    for (const endpoint of [server.endpoint, `${server.endpoint}/`, `${server.endpoint}/v1`, `${server.endpoint}/v1/`]) {
      const events = await collect(createOpenAiBackend({ backend: 'openai', endpoint }).generate(request('ok then')));
      assert.equal(textOf(events), 'ok then', endpoint);
      assert.equal(server.requests.at(-1)?.path, '/v1/chat/completions');
    }
  });

  it('sends the first listed model, OpenAI names, and the extra sampling fields', async () => {
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: server.endpoint });
    await collect(
      backend.generate(request('hi', { temperature: 0, topP: 0.9, topK: 40, repetitionPenalty: 1.1, seed: 7, maxNewTokens: 5, stop: ['\n'] })),
    );
    assert.deepEqual(server.requests.at(-1)?.body, {
      model: 'Qwen/Qwen2.5-7B-Instruct',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
      temperature: 0,
      top_p: 0.9,
      stop: ['\n'],
      seed: 7,
      top_k: 40,
      repetition_penalty: 1.1,
    });
  });

  it('uses the configured model and the server usage', async () => {
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: server.endpoint, model: 'my-model' });
    const finish = (await collect(backend.generate(request('one two three')))).at(-1);
    assert.equal((server.requests.at(-1)?.body as { model: string }).model, 'my-model');
    assert.ok(finish?.type === 'finish');
    assert.equal(finish.reason, 'eos');
    assert.deepEqual(finish.usage, { promptTokens: 3, completionTokens: 3 });
  });

  it('describes the model from /v1/models (vLLM max_model_len) and estimates tokens', async () => {
    const info = await createOpenAiBackend({ backend: 'openai', endpoint: server.endpoint }).info();
    assert.equal(info.modelId, 'Qwen/Qwen2.5-7B-Instruct');
    assert.equal(info.contextWindow, 32768);
    assert.equal(info.input, 'messages');
    assert.equal(info.exactTokenCount, false);
  });

  it('falls back when /v1/models is missing: host as model id, no model sent', async () => {
    const bare = await startServer({ serveModels: false });
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: bare.endpoint });
    const info = await backend.info();
    assert.equal(info.modelId, new URL(bare.endpoint).host);
    assert.equal(info.contextWindow, null);
    assert.equal(textOf(await collect(backend.generate(request('still fine')))), 'still fine');
    assert.equal((bare.requests.at(-1)?.body as { model?: string }).model, undefined);
  });

  it('reports eos for a stop sequence when the server gives no stop_reason (llama-server, OpenAI)', async () => {
    const plain = await startServer({ reportStopReason: false });
    const backend = createOpenAiBackend({ backend: 'openai', endpoint: plain.endpoint });
    const events = await collect(backend.generate(request('The elephant is strong.\nUser: and why?', { stop: ['\nUser:'] })));
    assert.equal(textOf(events), 'The elephant is strong.');
    const finish = events.at(-1);
    assert.ok(finish?.type === 'finish' && finish.reason === 'eos');
  });

  const recordings = [
    { file: 'tgi-messages-api-usage.chunks.txt', text: 'OK!', reason: 'eos', usage: { promptTokens: 39, completionTokens: 3 } },
    { file: 'azure-openai-text.chunks.txt', text: 'Hello World', reason: 'eos', usage: { promptTokens: 15, completionTokens: 5 } },
    { file: 'llama-server-gpt-oss.chunks.txt', text: '', reason: 'eos', usage: { promptTokens: 1085, completionTokens: 247 } },
  ] as const;
  for (const recording of recordings) {
    it(`replays ${recording.file} end to end`, async () => {
      const replay = readChunksFixture(new URL(`./__fixtures__/${recording.file}`, import.meta.url));
      const recorded = await startServer({ replay, chunkBytes: 7 });
      const events = await collect(createOpenAiBackend({ backend: 'openai', endpoint: recorded.endpoint }).generate(request('hi')));
      assert.equal(textOf(events), recording.text);
      const finish = events.at(-1);
      assert.ok(finish?.type === 'finish', JSON.stringify(finish));
      assert.equal(finish.reason, recording.reason);
      assert.deepEqual(finish.usage, recording.usage);
    });
  }
});
