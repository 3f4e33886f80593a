import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LlamaContext } from 'node-llama-cpp';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { collect } from '../../../test/backends/backend-conformance.ts';
import { resolveGenerationParameters } from '../../chat/generation-parameters.ts';
import { separateBatchThreads } from './batch-threads.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from './llamacpp-backend.ts';

describe('separateBatchThreads', () => {
  it('applies threadsBatch to batches that carry a prompt and threads to decode steps, whatever node-llama-cpp allocated', () => {
    const applied: number[] = [];
    const context = { _ctx: { setThreads: (threads: number) => applied.push(threads) } } as unknown as LlamaContext;
    const batchThreads = separateBatchThreads(context, { threads: 1, threadsBatch: 6 });
    const native = (context as unknown as { _ctx: { setThreads: (threads: number) => void } })._ctx;
    batchThreads.noteBatch(true);
    native.setThreads(4);
    batchThreads.noteBatch(false);
    native.setThreads(4);
    assert.deepEqual(applied, [6, 1]);
    assert.deepEqual(batchThreads.stats(), { threads: 1, threadsBatch: 6, separated: true, decodes: { onThreadsBatch: 1, onThreads: 1 } });
  });

  it('leaves a context without the native hook alone and says so', () => {
    const batchThreads = separateBatchThreads({} as LlamaContext, { threads: 1, threadsBatch: 2 });
    assert.equal(batchThreads.stats().separated, false);
  });
});

describe('llamacpp backend threads', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, threadsBatch: 2, contextSize: 256 });
  });
  after(async () => {
    await backend?.close();
  });

  it('runs the prompt on --threads-batch and the tokens after it on --threads in node-llama-cpp itself', async () => {
    const events = await collect(backend.generate({ prompt: 'The alphabet: a b c d e f g', parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 6 }) }));
    assert.equal(events.at(-1)?.type, 'finish');
    const stats = backend.threadStats();
    assert.equal(stats.separated, true, 'node-llama-cpp still calls the native setThreads before each decode');
    assert.ok(stats.decodes.onThreadsBatch >= 1, JSON.stringify(stats));
    assert.ok(stats.decodes.onThreads >= 1, JSON.stringify(stats));
  });
});
