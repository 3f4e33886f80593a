import assert from 'node:assert/strict';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { configuredModels } from '../../cli/configured-models.ts';
import { modelSources } from '../../cli/model-sources.ts';
import { buildApp } from '../build-app.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../../test/fakes/fake-openai-server.ts';
import { startFakeTgiServer, type FakeTgiServer } from '../../../test/fakes/fake-tgi-server.ts';
import { createMemoryConversationStore } from '../../../test/storage/memory-conversation-store.ts';
import { parseSse } from '../../../test/support/test-app.ts';

const IDLE_TTL_MS = 60_000;

/**
 * One server, one models file: two local GGUFs on the embedded engine (loaded on demand, at most
 * one at a time), the echo backend, and fake OpenAI-compatible and TGI upstreams, each entry with
 * its own options. Everything runs for real; only the clock of idle time is the test's.
 */
describe('a models file with local, echo and remote models', () => {
  let openAi: FakeOpenAiServer;
  let tgi: FakeTgiServer;
  let app: FastifyInstance;
  let clock = 1_000_000;

  before(async () => {
    // Generated on a fresh clone (the SmolLM2-shape one is big enough for its memory to show in RSS).
    const tinyPath = await ensureTestModel('tiny');
    const smolPath = await ensureTestModel('smollm2-135m-shape-q8_0');
    openAi = await startFakeOpenAiServer({ modelId: 'fake/vllm-llama', apiKey: 'openai-secret' });
    tgi = await startFakeTgiServer({ modelId: 'fake/falcon', apiKey: 'tgi-secret' });
    const folder = mkdtempSync(join(tmpdir(), 'anychat-models-'));
    const file = join(folder, 'models.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { id: 'tiny', backend: 'llamacpp', model: tinyPath, contextSize: 256, threads: 1, template: 'plain', default: true },
          { id: 'smol', backend: 'llamacpp', model: smolPath, contextSize: 512, parallel: 2, reasoning: 'raw' },
          { id: 'parrot', backend: 'echo' },
          { id: 'vllm-llama', backend: 'openai', endpoint: `${openAi.endpoint}/v1`, model: 'fake/vllm-llama', apiKeyEnv: 'TEST_VLLM_KEY', parallel: 3 },
          { id: 'tgi-falcon', backend: 'tgi', endpoint: tgi.endpoint, apiKeyEnv: 'TEST_TGI_KEY', upstreamTimeout: 30 },
        ],
      }),
    );
    const configured = configuredModels({ models: file, upstreamTimeout: 120 }, { TEST_VLLM_KEY: 'openai-secret', TEST_TGI_KEY: 'tgi-secret' });
    app = buildApp({
      models: modelSources(configured, { maxQueue: 8 }),
      defaultModelId: configured.defaultModelId,
      modelResidency: { maxLoadedModels: 1, idleTtlMs: IDLE_TTL_MS },
      now: () => clock,
      store: createMemoryConversationStore(),
      webRoot: '/nonexistent-web-root',
    });
    await app.ready();
    // The remote models ask their upstreams for their info at start, as `anychat serve` does.
    await Promise.all(app.models.models.map((model) => model.settled));
  });

  after(async () => {
    await app.close();
    await app.models.closeAll();
    await openAi.close();
    await tgi.close();
  });

  const chat = (model: string, content: string, extra: Record<string, unknown> = {}) =>
    app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model, messages: [{ role: 'user', content }], max_tokens: 6, ...extra } });

  it('lists every model on /v1/models and /api/models, the local ones not loaded yet', async () => {
    const openAiList = (await app.inject('/v1/models')).json() as { data: Array<{ id: string }> };
    assert.deepEqual(openAiList.data.map((model) => model.id), ['tiny', 'smol', 'parrot', 'vllm-llama', 'tgi-falcon']);
    const appList = (await app.inject('/api/models')).json() as { models: Array<{ id: string; status: string; onDemand: boolean; backend: string }>; defaultModelId: string };
    assert.equal(appList.defaultModelId, 'tiny');
    assert.deepEqual(
      appList.models.filter((model) => model.onDemand).map((model) => [model.id, model.status, model.backend]),
      [
        ['tiny', 'unloaded', 'llamacpp'],
        ['smol', 'unloaded', 'llamacpp'],
      ],
    );
  });

  it('routes /v1/chat/completions by model, each remote with the key its entry named', async () => {
    const echoed = await chat('parrot', 'hello from the test');
    assert.equal(echoed.statusCode, 200);
    assert.equal((echoed.json() as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content, 'hello from the test');
    assert.equal((echoed.json() as { model: string }).model, 'parrot');

    const viaOpenAi = await chat('vllm-llama', 'through vllm');
    assert.equal(viaOpenAi.statusCode, 200, viaOpenAi.body);
    const sentToOpenAi = openAi.requests.find((request) => request.path === '/v1/chat/completions');
    assert.equal(sentToOpenAi?.headers.authorization, 'Bearer openai-secret');
    assert.equal((sentToOpenAi?.body as { model: string }).model, 'fake/vllm-llama');

    const viaTgi = await chat('tgi-falcon', 'through tgi');
    assert.equal(viaTgi.statusCode, 200, viaTgi.body);
    const sentToTgi = tgi.requests.find((request) => request.method === 'POST');
    assert.equal(sentToTgi?.headers.authorization, 'Bearer tgi-secret');
    // The OpenAI upstream never saw the TGI model's request, nor the other way round.
    assert.equal(openAi.requests.filter((request) => request.method === 'POST').length, 1);
  });

  it('answers 404 naming the known models for an unknown model, on both OpenAI routes and on TGI', async () => {
    for (const response of [
      await chat('no-such-model', 'hi'),
      await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'no-such-model', prompt: 'hi' } }),
    ]) {
      assert.equal(response.statusCode, 404);
      const message = (response.json() as { error: { message: string } }).error.message;
      assert.match(message, /no model named "no-such-model"; this server has tiny, smol, parrot, vllm-llama, tgi-falcon/);
    }
    const tgiResponse = await app.inject({ method: 'POST', url: '/generate', headers: { 'x-anychat-model': 'no-such-model' }, payload: { inputs: 'hi' } });
    assert.equal(tgiResponse.statusCode, 404);
    assert.match((tgiResponse.json() as { error: string }).error, /this server has tiny, smol, parrot/);
  });

  it('TGI routes use the default model, or the one named by the X-Anychat-Model header or the model query parameter', async () => {
    const byHeader = await app.inject({ method: 'POST', url: '/generate', headers: { 'x-anychat-model': 'parrot' }, payload: { inputs: 'said by header', parameters: { max_new_tokens: 8 } } });
    assert.equal((byHeader.json() as { generated_text: string }).generated_text, 'said by header');
    const byQuery = await app.inject({ method: 'POST', url: '/generate?model=tgi-falcon', payload: { inputs: 'said by query', parameters: { max_new_tokens: 8 } } });
    assert.equal(byQuery.statusCode, 200, byQuery.body);
    assert.ok(tgi.requests.some((request) => String(JSON.stringify(request.body)).includes('said by query')));
    const info = (await app.inject({ url: '/info', headers: { 'x-anychat-model': 'vllm-llama' } })).json() as { max_concurrent_requests: number };
    // parallel 3 from its entry, plus the shared queue of 8.
    assert.equal(info.max_concurrent_requests, 3 + 8);
    const defaultInfo = (await app.inject('/info')).json() as { model_id: string };
    assert.equal(defaultInfo.model_id, 'tiny');
  });

  it('loads a local model on demand, then unloads the least recently used one to keep within --max-loaded-models, freeing its memory', async () => {
    const tiny = app.models.resolve('tiny');
    const smol = app.models.resolve('smol');
    const completion = (model: string) => app.inject({ method: 'POST', url: '/v1/completions', payload: { model, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 } });

    const memoryBefore = process.memoryUsage().rss;
    const fromSmol = await completion('smol');
    assert.equal(fromSmol.statusCode, 200, fromSmol.body);
    assert.equal(smol.status, 'ready');
    // Its entry's options reached the engine: context size, sequences, reasoning mode.
    assert.equal(smol.info?.contextWindow, 512);
    assert.equal(smol.queue.parallel, 2);
    assert.equal(smol.info?.reasoning, 'raw');
    const memoryWithSmol = process.memoryUsage().rss;

    const fromTiny = await completion('tiny');
    assert.equal(fromTiny.statusCode, 200, fromTiny.body);
    assert.equal(tiny.status, 'ready');
    assert.equal(tiny.info?.contextWindow, 256);
    assert.equal(smol.status, 'unloaded', 'the limit is one local model: smol made room for tiny');
    const memoryAfter = process.memoryUsage().rss;
    const megabytes = (bytes: number) => Math.round(bytes / 2 ** 20);
    // The 145 MB SmolLM2-shape weights are mapped in while it answers, and released when it is unloaded.
    assert.ok(memoryWithSmol - memoryBefore > 100 * 2 ** 20, `loading smol added ${megabytes(memoryWithSmol - memoryBefore)} MiB`);
    assert.ok(memoryWithSmol - memoryAfter > 100 * 2 ** 20, `unloading smol (and loading the 5 MB tiny) freed ${megabytes(memoryWithSmol - memoryAfter)} MiB`);
    const health = (await app.inject('/health')).json() as { status: string; models: Array<{ id: string; status: string }> };
    assert.equal(health.status, 'ready');
    assert.deepEqual(health.models.slice(0, 2).map((model) => model.status), ['ready', 'unloaded']);
    const metrics = (await app.inject('/metrics')).body;
    assert.match(metrics, /anychat_model_state\{model="smol",state="unloaded"\} 1/);
    assert.match(metrics, /anychat_model_loads_total\{model="smol",event="unload"\} 1/);
  });

  it('uses the template its entry names: tiny answers the app API with the plain template though its GGUF has its own', async () => {
    const created = (await app.inject({ method: 'POST', url: '/api/conversations', payload: {} })).json() as { id: string };
    const sent = await app.inject({ method: 'POST', url: `/api/conversations/${created.id}/messages`, payload: { content: 'hello', settings: { modelId: 'tiny', parameters: { maxNewTokens: 3 } } } });
    const start = parseSse(sent.body).find((event) => event.event === 'answer-start');
    const generation = (JSON.parse(start!.data) as { message: { generation: { template: string } } }).message.generation;
    assert.ok(app.models.resolve('tiny').info?.chatTemplate, 'tiny.gguf carries a chat template of its own');
    assert.equal(generation.template, 'plain');
  });

  it('unloads a model idle for the time-to-live, and not before', async () => {
    const tiny = app.models.resolve('tiny');
    assert.equal(tiny.status, 'ready');
    clock += IDLE_TTL_MS - 1;
    assert.deepEqual(await app.models.residency.unloadIdle(), []);
    clock += 1;
    assert.deepEqual(await app.models.residency.unloadIdle(), ['tiny']);
    assert.equal(tiny.status, 'unloaded');
    // Remote models cost nothing and stay as they are.
    assert.equal(app.models.resolve('vllm-llama').status, 'ready');
  });
});
