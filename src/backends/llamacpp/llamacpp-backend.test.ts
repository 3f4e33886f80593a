import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { collect, describeBackendConformance, textOf } from '../../../test/backends/backend-conformance.ts';
import { resolveGenerationParameters } from '../../chat/generation-parameters.ts';
import { BackendError, type GenerationEvent } from '../backend.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from './llamacpp-backend.ts';
import type { LlamaCppBackendConfig } from './llamacpp-config.ts';

const tinyModelPath = await ensureTestModel('tiny');

/** One thread: the dev box has two cores shared with other work, and the tiny model needs no more. */
function createTinyBackend(overrides: Partial<LlamaCppBackendConfig> = {}): Promise<LlamaCppBackend> {
  return createLlamaCppBackend({ backend: 'llamacpp', model: tinyModelPath, threads: 1, contextSize: 512, ...overrides });
}

function chatPrompt(userMessage: string): string {
  return `<|im_start|>user\n${userMessage}<|im_end|>\n<|im_start|>assistant\n`;
}

function finishOf(events: GenerationEvent[]): Extract<GenerationEvent, { type: 'finish' }> {
  const last = events.at(-1);
  assert.equal(last?.type, 'finish', JSON.stringify(last));
  return last as Extract<GenerationEvent, { type: 'finish' }>;
}

// The suite's abort case sends a 400-word prompt with maxNewTokens 400, which needs a larger window.
describeBackendConformance('llamacpp', () => createTinyBackend({ contextSize: 4096 }), { echoesLastUserMessage: false });

describe('llamacpp backend', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createTinyBackend({ parallel: 2 });
  });
  after(async () => {
    await backend?.close();
  });

  it("describes the GGUF: its chat template, special tokens, context window and file name", async () => {
    const info = await backend.info();
    assert.equal(info.modelId, 'tiny.gguf');
    assert.equal(info.input, 'prompt');
    assert.equal(info.exactTokenCount, true);
    assert.equal(info.contextWindow, 512);
    assert.match(info.chatTemplate ?? '', /<\|im_start\|>/);
    assert.equal(info.specialTokens.eos, '<|im_end|>');
    assert.equal(info.specialTokens.bos, '<|im_start|>');
  });

  it('tokenizes ChatML markers as single special tokens', async () => {
    assert.equal(await backend.countTokens('<|im_start|>'), 1);
    assert.equal(await backend.countTokens('<|im_end|>'), 1);
    // Byte-level BPE: a character the vocabulary lacks is spelled with byte tokens.
    assert.ok((await backend.countTokens('🦙')) > 1);
  });

  it('is deterministic at temperature 0 and streams token ids', async () => {
    const parameters = { temperature: 0, maxNewTokens: 12 };
    const first = await collect(backend.generate({ prompt: chatPrompt('Tell me about llamas.'), parameters: resolveGenerationParameters(parameters) }));
    const second = await collect(backend.generate({ prompt: chatPrompt('Tell me about llamas.'), parameters: resolveGenerationParameters(parameters) }));
    assert.equal(textOf(first), textOf(second));
    assert.ok(first.some((event) => event.type === 'text-delta' && typeof event.tokenId === 'number'));
  });

  it('repeats a sampled generation with the same seed', async () => {
    const parameters = resolveGenerationParameters({ temperature: 1.5, topK: 50, topP: 0.95, repetitionPenalty: 1.3, seed: 42, maxNewTokens: 16 });
    const first = textOf(await collect(backend.generate({ prompt: chatPrompt('Pick some words.'), parameters })));
    const second = textOf(await collect(backend.generate({ prompt: chatPrompt('Pick some words.'), parameters })));
    assert.equal(first, second);
  });

  it('ends with reason eos when the model emits its end-of-generation token', async () => {
    // With tied embeddings and small random layers, the tiny model's greedy choice is mostly the
    // token it was just given; so after "<|im_end|>" it emits <|im_end|>, the model's EOS.
    const events = await collect(
      backend.generate({ prompt: `${chatPrompt('Hi')}Hello!<|im_end|>`, parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 20 }) }),
    );
    const finish = finishOf(events);
    assert.equal(finish.reason, 'eos');
    assert.equal(textOf(events), '', 'the end token itself is not shown');
    assert.ok(finish.usage.completionTokens >= 1);
  });

  it('stops at a stop sequence split across tokens and never shows it', async () => {
    const prompt = 'The alphabet: a b c d e f g h i j k l m n o p q r s t u v w x y z a b c';
    const free = textOf(await collect(backend.generate({ prompt, parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 16 }) })));
    assert.ok(free.length >= 6, `need some greedy output to cut, got ${JSON.stringify(free)}`);
    // A stop sequence taken from the middle of what the model writes, so it spans token boundaries.
    const stop = free.slice(2, 5);
    const events = await collect(backend.generate({ prompt, parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 16, stop: [stop] }) }));
    assert.equal(finishOf(events).reason, 'stop');
    assert.equal(textOf(events), free.slice(0, free.indexOf(stop)));
  });

  it('reports context-overflow with the numbers when prompt + maxNewTokens exceed the window', async () => {
    const events = await collect(backend.generate({ prompt: chatPrompt('Hello'), parameters: resolveGenerationParameters({ maxNewTokens: 600 }) }));
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.type, 'error');
    if (event?.type !== 'error') return;
    assert.equal(event.code, 'context-overflow');
    assert.match(event.message, /maxNewTokens \(600\)/);
    assert.match(event.message, /context window of 512 tokens/);
  });

  it('runs two generations at once on two sequences', async () => {
    const parameters = resolveGenerationParameters({ temperature: 0, maxNewTokens: 8 });
    const first = backend.generate({ prompt: chatPrompt('one'), parameters })[Symbol.asyncIterator]();
    const second = backend.generate({ prompt: chatPrompt('two'), parameters })[Symbol.asyncIterator]();
    await Promise.all([first.next(), second.next()]);
    assert.deepEqual(backend.stats(), { activeSequences: 2, queuedRequests: 0, parallel: 2 });
    await Promise.all([first.return?.(), second.return?.()]);
    assert.equal(backend.stats().activeSequences, 0);
  });
});

describe('llamacpp backend with four sequences', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createTinyBackend({ parallel: 4 });
  });
  after(async () => {
    await backend?.close();
  });

  it('decodes concurrent generations together: one llama_decode per step, not one per sequence', async () => {
    const parameters = resolveGenerationParameters({ temperature: 0, maxNewTokens: 48 });
    const before = backend.decodeStats();
    const results = await Promise.all(
      ['one', 'two', 'three', 'four'].map((word) => collect(backend.generate({ prompt: chatPrompt(`Say ${word}.`), parameters }))),
    );
    const completionTokens = results.map((events) => finishOf(events).usage.completionTokens);
    const after = backend.decodeStats();
    const decodeBatches = after.decodeBatches - before.decodeBatches;
    const batchedSequences = after.batchedSequences - before.batchedSequences;
    // Each token after the first needs one decode; four sequences stepping together need about as
    // many decodes as the longest of them, plus the prompts' and the first step's. Before the step
    // gate node-llama-cpp split them (2.95 sequences per decode for 4 conversations on the
    // 135M-shape model), which this bound of 3.5 on average rejects.
    assert.ok(decodeBatches <= Math.max(...completionTokens) + 4, `${decodeBatches} decodes for ${JSON.stringify(completionTokens)} tokens`);
    assert.ok(batchedSequences / decodeBatches >= 3.5, `${(batchedSequences / decodeBatches).toFixed(2)} sequences per decode`);
  });
});

describe('llamacpp backend with one sequence', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createTinyBackend({ parallel: 1 });
  });
  after(async () => {
    await backend?.close();
  });
  const long = resolveGenerationParameters({ temperature: 0, maxNewTokens: 400 });

  it('frees the sequence on abort so the next request runs', async () => {
    const controller = new AbortController();
    const events: GenerationEvent[] = [];
    for await (const event of backend.generate({ prompt: chatPrompt('Talk for a long time.'), parameters: long }, controller.signal)) {
      events.push(event);
      if (event.type === 'text-delta') {
        assert.equal(backend.stats().activeSequences, 1);
        controller.abort();
      }
    }
    const finish = finishOf(events);
    assert.equal(finish.reason, 'aborted');
    assert.ok(finish.usage.completionTokens <= 2, `stopped within a token, got ${finish.usage.completionTokens}`);
    assert.deepEqual(backend.stats(), { activeSequences: 0, queuedRequests: 0, parallel: 1 });
    const next = await collect(backend.generate({ prompt: chatPrompt('Again'), parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 4 }) }));
    assert.equal(finishOf(next).type, 'finish');
  });

  it('queues a request while the only sequence is busy, and drops it from the queue on abort', async () => {
    const running = backend.generate({ prompt: chatPrompt('first'), parameters: long })[Symbol.asyncIterator]();
    await running.next();
    const queued = backend.generate({ prompt: chatPrompt('second'), parameters: resolveGenerationParameters({ temperature: 0, maxNewTokens: 4 }) });
    const queuedResult = collect(queued);
    const abandonController = new AbortController();
    const abandoned = collect(backend.generate({ prompt: chatPrompt('third'), parameters: long }, abandonController.signal));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(backend.stats(), { activeSequences: 1, queuedRequests: 2, parallel: 1 });

    abandonController.abort();
    assert.equal(finishOf(await abandoned).reason, 'aborted');
    assert.equal(backend.stats().queuedRequests, 1);

    await running.return?.();
    const events = await queuedResult;
    assert.ok(['length', 'eos', 'stop'].includes(finishOf(events).reason));
    assert.deepEqual(backend.stats(), { activeSequences: 0, queuedRequests: 0, parallel: 1 });
  });
});

describe('llamacpp model loading', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'anychat-llamacpp-'));
  });
  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('names the missing path and the fix', async () => {
    const missing = join(directory, 'missing.gguf');
    await assert.rejects(createTinyBackend({ model: missing }), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'model-load');
      assert.ok(error.message.includes(missing));
      assert.match(error.message, /not found/);
      assert.match(error.message, /--model PATH/);
      return true;
    });
  });

  it('refuses a file that is not GGUF', async () => {
    const notGguf = join(directory, 'notes.gguf');
    await writeFile(notGguf, 'these are not model weights');
    await assert.rejects(createTinyBackend({ model: notGguf }), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'model-load');
      assert.match(error.message, /not a GGUF file/);
      return true;
    });
  });

  it('refuses a truncated GGUF (an interrupted copy) without crashing', async () => {
    const truncated = join(directory, 'truncated.gguf');
    const bytes = await readFile(tinyModelPath);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.9)));
    await assert.rejects(createTinyBackend({ model: truncated }), (error: unknown) => {
      assert.ok(error instanceof BackendError);
      assert.equal(error.code, 'model-load');
      assert.ok(error.message.includes(truncated));
      assert.match(error.message, /corrupt or incomplete/);
      return true;
    });
  });
});
