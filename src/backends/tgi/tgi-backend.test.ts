import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, describeBackendConformance, request, textOf } from '../../../test/backends/backend-conformance.ts';
import { describeUpstreamFaults } from '../../../test/fakes/describe-upstream-faults.ts';
import { startFakeTgiServer, type FakeTgiServer } from '../../../test/fakes/fake-tgi-server.ts';
import { readChunksFixture } from '../../../test/fakes/sse-fixture.ts';
import { createTgiBackend } from './tgi-backend.ts';

const servers: FakeTgiServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});
async function startServer(options: Parameters<typeof startFakeTgiServer>[0] = {}): Promise<FakeTgiServer> {
  const server = await startFakeTgiServer(options);
  servers.push(server);
  return server;
}

describeBackendConformance('tgi streaming', async () => createTgiBackend({ backend: 'tgi', endpoint: (await startServer()).endpoint }), {
  echoesLastUserMessage: true,
});
describeBackendConformance(
  'tgi non-streaming (/generate)',
  async () => createTgiBackend({ backend: 'tgi', endpoint: (await startServer()).endpoint, stream: false }),
  { echoesLastUserMessage: true },
);
// Every write cut into 3-byte slices: boundaries fall inside lines and inside "ü" and "🦙".
describeBackendConformance(
  'tgi streaming, bytes split everywhere',
  async () => createTgiBackend({ backend: 'tgi', endpoint: (await startServer({ chunkBytes: 3 })).endpoint }),
  { echoesLastUserMessage: true },
);

describeUpstreamFaults('tgi', {
  errorEventCode: 'generation',
  async start({ fault, timeoutMs, endpoint, apiKey, serverApiKey, limits, endpointUserinfo }) {
    const server = await startFakeTgiServer({ fault, ...(serverApiKey ? { apiKey: serverApiKey } : {}) });
    const backend = createTgiBackend({ backend: 'tgi', endpoint: endpoint ?? (endpointUserinfo ? server.endpoint.replace('//', `//${endpointUserinfo}@`) : server.endpoint), timeoutMs, apiKey , limits });
    return { backend, whenNoResponseBusy: () => server.whenNoResponseBusy(), close: () => server.close() };
  },
});

describe('tgi backend', () => {
  let server: FakeTgiServer;
  before(async () => {
    server = await startServer({ modelId: 'meta-llama/Llama-3.1-8B-Instruct', maxTotalTokens: 8192 });
  });

  it('sends TGI parameter names; temperature 0 becomes do_sample false without temperature', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    await collect(
      backend.generate(request('hi', { temperature: 0, topP: 0.9, topK: 40, repetitionPenalty: 1.1, seed: 7, maxNewTokens: 5, stop: ['\n'] })),
    );
    const sent = server.requests.at(-1);
    assert.equal(sent?.path, '/generate_stream');
    assert.deepEqual(sent?.body, {
      inputs: 'User: hi\nAssistant:',
      parameters: {
        max_new_tokens: 5,
        stop: ['\n'],
        do_sample: false,
        top_p: 0.9,
        top_k: 40,
        repetition_penalty: 1.1,
        seed: 7,
        details: true,
        return_full_text: false,
      },
    });
  });

  it('samples with the temperature when it is above 0', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    const events = await collect(backend.generate(request('hi there', { temperature: 0.7 })));
    assert.equal(textOf(events), 'hi there');
    const parameters = (server.requests.at(-1)?.body as { parameters: Record<string, unknown> }).parameters;
    assert.equal(parameters.do_sample, true);
    assert.equal(parameters.temperature, 0.7);
  });

  it('reports TGI usage: details.input_length and generated_tokens (EOS included)', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    const finish = (await collect(backend.generate(request('one two three')))).at(-1);
    assert.ok(finish?.type === 'finish');
    assert.equal(finish.reason, 'eos');
    assert.deepEqual(finish.usage, { promptTokens: 5, completionTokens: 4 });
  });

  it('describes the model from /info and counts tokens with /tokenize', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    const info = await backend.info();
    assert.equal(info.modelId, 'meta-llama/Llama-3.1-8B-Instruct');
    assert.equal(info.contextWindow, 8192);
    assert.equal(info.input, 'prompt');
    assert.equal(info.exactTokenCount, true);
    assert.equal(await backend.countTokens('one two three four five six seven'), 7);
  });

  it('falls back when /info and /tokenize are missing, without failing', async () => {
    const bare = await startServer({ serveInfo: false, serveTokenize: false });
    const backend = createTgiBackend({ backend: 'tgi', endpoint: bare.endpoint });
    const info = await backend.info();
    assert.equal(info.modelId, new URL(bare.endpoint).host);
    assert.equal(info.contextWindow, null);
    assert.equal(info.exactTokenCount, false);
    assert.equal(await backend.countTokens('12345678'), 2, 'estimateTokenCount: 4 characters per token');
    const events = await collect(backend.generate(request('still works')));
    assert.equal(textOf(events), 'still works');
  });

  it('describes an unreachable server instead of throwing', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: 'http://127.0.0.1:9' });
    const info = await backend.info();
    assert.equal(info.modelId, '127.0.0.1:9');
    assert.equal(info.contextWindow, null);
  });

  it('passes a validation error sent inside a 200 stream through verbatim', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    // TGI wants top_p < 1: our builder leaves 1 out, so force a bad value through the fake's rules.
    const events = await collect(backend.generate(request('x', { stop: ['a', 'b', 'c', 'd'], topP: 1 })));
    assert.equal(events.at(-1)?.type, 'finish', 'top_p 1 is omitted, not sent');
    const badServer = await startServer({ replay: ['{"error":"Input validation error: `top_p` must be > 0.0 and < 1.0","error_type":"validation"}'] });
    const rejected = await collect(createTgiBackend({ backend: 'tgi', endpoint: badServer.endpoint }).generate(request('x')));
    assert.deepEqual(rejected, [
      { type: 'error', code: 'validation', message: 'Input validation error: `top_p` must be > 0.0 and < 1.0' },
    ]);
  });

  it('cuts the stop sequence TGI leaves in the text, in /generate mode too', async () => {
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint, stream: false });
    const events = await collect(backend.generate(request('first line\nUser: second', { stop: ['\nUser:'] })));
    assert.equal(textOf(events), 'first line');
    const finish = events.at(-1);
    assert.ok(finish?.type === 'finish' && finish.reason === 'stop');
  });

  it('replays a recorded TGI stream (Swallow-7b, no details) end to end', async () => {
    const replay = readChunksFixture(new URL('./__fixtures__/tgi-swallow-japanese.chunks.txt', import.meta.url));
    const recorded = await startServer({ replay, chunkBytes: 5 });
    const backend = createTgiBackend({ backend: 'tgi', endpoint: recorded.endpoint });
    const events = await collect(backend.generate(request('日本で一番高い山はなんですか？', { maxNewTokens: 20 })));
    assert.equal(textOf(events), '\n日本で一番高い山はなんですか?\nベストアンサー\n富士山です。');
    const finish = events.at(-1);
    assert.ok(finish?.type === 'finish');
    // No `details`: 20 tokens for max_new_tokens 20 can only mean the limit was hit.
    assert.equal(finish.reason, 'length');
    assert.equal(finish.usage.completionTokens, 20);
  });
});

describe("TGI's decoder_input_details, passed through anychat's TGI API to a TGI upstream", () => {
  it('asks the upstream for its prefill on /generate (its stream has none) and returns it as details.prefill', async () => {
    const { createTestApp } = await import('../../../test/support/test-app.ts');
    const { listenOnFreePort } = await import('../../../test/support/listen-on-free-port.ts');
    const server = await startServer();
    const backend = createTgiBackend({ backend: 'tgi', endpoint: server.endpoint });
    // Asked once here, so the model is ready the moment the app is built (as with the echo backend).
    const info = await backend.info();
    const { app } = createTestApp({ backend: { ...backend, info: async () => info } });
    try {
      const base = await listenOnFreePort(app);
      const response = await fetch(`${base}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'User: one two three\nAssistant:', parameters: { max_new_tokens: 3, decoder_input_details: true } }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { generated_text: string; details: { prefill: Array<{ id: number; text: string; logprob: number | null }> } };
      assert.equal(body.generated_text, 'one two three');
      assert.deepEqual(body.details.prefill.slice(0, 2), [
        { id: 500, text: 'User:', logprob: null },
        { id: 501, text: ' one', logprob: -1.1 },
      ]);
      const upstream = server.requests.filter((request) => request.path.startsWith('/generate')).at(-1);
      assert.equal(upstream?.path, '/generate', 'the streaming backend used /generate for this request');
      assert.equal((upstream?.body as { parameters: { decoder_input_details?: boolean } }).parameters.decoder_input_details, true);

      // /generate's top_tokens are not read, so asking for both is refused rather than answered empty.
      const both = await fetch(`${base}/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: 'one', parameters: { decoder_input_details: true, top_n_tokens: 2 } }),
      });
      assert.equal(both.status, 422);
      assert.match(((await both.json()) as { error: string }).error, /parameters\.top_n_tokens: cannot be combined with decoder_input_details on a TGI upstream/);
    } finally {
      await app.close();
    }
  });
});
