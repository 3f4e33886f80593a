import assert from 'node:assert/strict';
import { ensureTestModel, testModelPath } from '../../scripts/test-models/ensure-test-model.ts';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import { buildApp } from '../../src/server/build-app.ts';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../fakes/fake-openai-server.ts';
import { createMemoryConversationStore } from '../storage/memory-conversation-store.ts';
import { listenOnFreePort } from '../support/listen-on-free-port.ts';
import { runAnychat } from './run-anychat.ts';
import { startServe } from '../robustness/serve-process.ts';
import { freshDataDirectory } from '../storage/fresh-pglite.ts';

const TINY_MODEL = testModelPath('tiny');

describe('the CLI with a models file', () => {
  let openAi: FakeOpenAiServer;
  let file: string;
  let folder: string;

  before(async () => {
    // Generated on a fresh clone: the tests below name them by path.
    await ensureTestModel('tiny');
    await ensureTestModel('tiny-qwen3');
    openAi = await startFakeOpenAiServer({ modelId: 'fake/vllm', apiKey: 'vllm-secret' });
    folder = mkdtempSync(join(tmpdir(), 'anychat-cli-models-'));
    file = join(folder, 'models.json');
    writeFileSync(
      file,
      JSON.stringify({
        models: [
          { id: 'parrot', backend: 'echo' },
          { id: 'vllm', backend: 'openai', endpoint: `${openAi.endpoint}/v1`, model: 'fake/vllm', apiKeyEnv: 'VLLM_KEY', default: true },
          { id: 'tiny', backend: 'llamacpp', model: TINY_MODEL, contextSize: 256, threads: 1 },
        ],
      }),
    );
  });
  after(async () => {
    await openAi.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('anychat models lists each model with its backend and state, the default starred', async () => {
    const result = await runAnychat(['models', '--models', file], { env: { VLLM_KEY: 'vllm-secret' } });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^\s+ID\s+BACKEND\s+STATE$/);
    assert.match(lines[1]!, /^ {2}parrot\s+echo\s+ready$/);
    assert.match(lines[2]!, /^\* vllm\s+openai\s+ready \(fake\/vllm\)$/);
    assert.match(lines[3]!, /^ {2}tiny\s+llamacpp\s+not loaded$/);
  });

  it('anychat models --server shows a running server’s models and their state', async () => {
    const app = buildApp({
      models: [
        { id: 'parrot', backend: createEchoBackend({ backend: 'echo' }), parallel: 1, maxQueue: 1 },
        { id: 'broken', backendName: 'llamacpp', load: () => Promise.reject(new Error('Model file /m/x.gguf is not found.')), parallel: 1, maxQueue: 1 },
        { id: 'later', backendName: 'llamacpp', load: () => Promise.reject(new Error('not asked for')), parallel: 1, maxQueue: 1 },
      ],
      store: createMemoryConversationStore(),
      webRoot: '/nonexistent-web-root',
    });
    const address = await listenOnFreePort(app);
    // Asking for it makes it fail, as a request would.
    await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'broken', messages: [{ role: 'user', content: 'hi' }] } });
    const result = await runAnychat(['models', '--server', address]);
    await app.close();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\* parrot\s+echo\s+ready$/m);
    assert.match(result.stdout, /^ {2}broken\s+llamacpp\s+failed: Model file \/m\/x\.gguf is not found\.$/m);
    assert.match(result.stdout, /^ {2}later\s+llamacpp\s+not loaded$/m);
  });

  it('anychat ask --model ID asks that model of the file', async () => {
    const result = await runAnychat(['ask', '--models', file, '--model', 'parrot', 'say this back'], { env: { VLLM_KEY: 'vllm-secret' } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'say this back\n');
    const byDefault = await runAnychat(['ask', '--models', file, 'to the default'], { env: { VLLM_KEY: 'vllm-secret' } });
    assert.equal(byDefault.stdout, 'to the default\n');
    assert.equal(openAi.requests.at(-1)?.headers.authorization, 'Bearer vllm-secret');
  });

  it('anychat ask --compare prints each answer in turn, with its stats', async () => {
    const result = await runAnychat(['ask', '--models', file, '--compare', 'parrot,vllm,tiny', '--max-new-tokens', '4', 'one two three'], { env: { VLLM_KEY: 'vllm-secret' } });
    assert.equal(result.code, 0, result.stderr);
    const sections = result.stdout.split(/^── /m).filter(Boolean);
    assert.deepEqual(sections.map((section) => section.split(' ──')[0]), ['parrot', 'vllm', 'tiny']);
    assert.match(sections[0]!, /^parrot ──\none two three\n\(finish: eos, \d+ prompt \+ 3 new tokens, [\d.]+ tokens\/s, first token after \d+ ms\)\n/);
    assert.match(sections[1]!, /^vllm ──\none two three\n\(finish: eos, \d+ prompt \+ 3 new tokens/);
    assert.match(sections[2]!, /\(finish: length, \d+ prompt \+ 4 new tokens, [\d.]+ tokens\/s, first token after \d+ ms\)\n$/);
  });

  it('anychat render-prompt renders with the template of the model --model names in the file', async () => {
    const result = await runAnychat(['render-prompt', '--models', file, '--model', 'tiny', '--template', 'model'], { stdin: '{"message": "hi"}', env: { VLLM_KEY: 'x' } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<\|im_start\|>user\nhi<\|im_end\|>/);
  });

  it('anychat serve --models-dir serves every GGUF of the folder, loading each when first asked for', async () => {
    const modelsFolder = mkdtempSync(join(tmpdir(), 'anychat-models-dir-'));
    symlinkSync(TINY_MODEL, join(modelsFolder, 'tiny.gguf'));
    symlinkSync(testModelPath('tiny-qwen3'), join(modelsFolder, 'smol.gguf'));
    const server = await startServe(['--models-dir', modelsFolder, '--model', 'tiny', '--max-loaded-models', '1', '--context-size', '256', '--data-dir', await freshDataDirectory()], {});
    try {
      const listed = (await (await fetch(`${server.baseUrl}/v1/models`)).json()) as { data: Array<{ id: string }> };
      assert.deepEqual(listed.data.map((model) => model.id), ['smol', 'tiny']);
      const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as { status: string; models: Array<{ status: string }> };
      assert.equal(health.status, 'ready');
      assert.deepEqual(health.models.map((model) => model.status), ['unloaded', 'unloaded']);
      const completion = await fetch(`${server.baseUrl}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'smol', prompt: 'Hi', max_tokens: 2 }) });
      assert.equal(completion.status, 200, await completion.clone().text());
      const afterSmol = (await (await fetch(`${server.baseUrl}/api/models`)).json()) as { models: Array<{ id: string; status: string; contextWindow: number }>; defaultModelId: string };
      assert.equal(afterSmol.defaultModelId, 'tiny');
      assert.deepEqual(afterSmol.models.map((model) => [model.id, model.status]), [['smol', 'ready'], ['tiny', 'unloaded']]);
      assert.equal(afterSmol.models[0]!.contextWindow, 256);
      const viaTgi = await fetch(`${server.baseUrl}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: 'Hi', parameters: { max_new_tokens: 2 } }) });
      assert.equal(viaTgi.status, 200);
      const afterTiny = (await (await fetch(`${server.baseUrl}/api/models`)).json()) as { models: Array<{ status: string }> };
      assert.deepEqual(afterTiny.models.map((model) => model.status), ['unloaded', 'ready'], 'the default model answered TGI, and took smol’s place');
    } finally {
      await server.stop();
    }
  });

  it('refuses --compare with one model or an unknown one, and a bad models file, with exit code 2 and one line', async () => {
    const one = await runAnychat(['ask', '--models', file, '--compare', 'parrot', 'hi'], { env: { VLLM_KEY: 'x' } });
    assert.equal(one.code, 2);
    assert.match(one.stderr, /--compare needs two or more model ids separated by commas/);
    const unknown = await runAnychat(['ask', '--models', file, '--compare', 'parrot,gpt-9', 'hi'], { env: { VLLM_KEY: 'x' } });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--compare names gpt-9, which is not among the configured models: parrot, vllm, tiny/);
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ models: [{ id: 'tgi', backend: 'tgi', endpoint: 'http://127.0.0.1:1', apiKey: 'sk-live' }] }));
    const served = await runAnychat(['serve', '--models', bad, '--port', '0', '--data-dir', 'memory://']);
    assert.equal(served.code, 2);
    assert.equal(served.stderr.trim().split('\n').length, 1, served.stderr);
    assert.match(served.stderr, /models\[0\] \("tgi"\): keys do not go in the models file/);
    assert.doesNotMatch(served.stderr, /sk-live/);
    const unset = await runAnychat(['chat', '--models', file], { stdin: 'hi\n' });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /model "vllm": apiKeyEnv names VLLM_KEY, which is not set/);
  });
});
