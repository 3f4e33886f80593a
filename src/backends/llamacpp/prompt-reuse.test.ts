import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { collect } from '../../../test/backends/backend-conformance.ts';
import { resolveGenerationParameters } from '../../chat/generation-parameters.ts';
import type { GenerationEvent } from '../backend.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from './llamacpp-backend.ts';
import type { LlamaCppBackendConfig } from './llamacpp-config.ts';

const tinyModelPath = await ensureTestModel('tiny');
const greedy = resolveGenerationParameters({ temperature: 0, maxNewTokens: 12 });

function createTinyBackend(overrides: Partial<LlamaCppBackendConfig>): Promise<LlamaCppBackend> {
  return createLlamaCppBackend({ backend: 'llamacpp', model: tinyModelPath, threads: 1, contextSize: 1024, ...overrides });
}

/** A ChatML conversation: earlier [question, answer] turns, then the new question. */
function chatPrompt(turns: readonly (readonly [string, string])[], question: string): string {
  const history = turns.map(([user, assistant]) => `<|im_start|>user\n${user}<|im_end|>\n<|im_start|>assistant\n${assistant}<|im_end|>\n`).join('');
  return `<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n${history}<|im_start|>user\n${question}<|im_end|>\n<|im_start|>assistant\n`;
}

function tokenIdsOf(events: GenerationEvent[]): number[] {
  return events.flatMap((event) => (event.type === 'text-delta' && event.tokenId !== undefined ? [event.tokenId] : []));
}

function textOfEvents(events: GenerationEvent[]): string {
  return events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('');
}

/** Plays one turn of a conversation and records the answer in its history; returns the prompt tokens it evaluated. */
async function playTurn(backend: LlamaCppBackend, history: [string, string][], question: string): Promise<{ evaluated: number; events: GenerationEvent[] }> {
  const before = backend.promptStats().promptTokensEvaluated;
  const events = await collect(backend.generate({ prompt: chatPrompt(history, question), parameters: greedy }));
  assert.equal(events.at(-1)?.type, 'finish', JSON.stringify(events.at(-1)));
  history.push([question, textOfEvents(events)]);
  return { evaluated: backend.promptStats().promptTokensEvaluated - before, events };
}

const questionsOf = (name: string): string[] => Array.from({ length: 4 }, (_, turn) => `${name} asks question number ${turn + 1} about llamas and their wool.`);

describe('prompt reuse across conversations taking turns', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createTinyBackend({ parallel: 2, promptCacheMib: 0 });
  });
  after(async () => {
    await backend?.close();
  });

  it('keeps each of two alternating conversations on its own sequence, so a turn evaluates only what is new', async () => {
    const histories: Record<string, [string, string][]> = { alice: [], bob: [] };
    const laterTurns: number[] = [];
    for (let turn = 0; turn < 4; turn++) {
      for (const name of ['alice', 'bob'] as const) {
        const { evaluated } = await playTurn(backend, histories[name] as [string, string][], questionsOf(name)[turn] as string);
        if (turn > 0) laterTurns.push(evaluated);
      }
    }
    // A later turn adds the last answer (≤ 12 tokens + markers) and a ~20-token question: 26 tokens
    // measured. Taking the other conversation's sequence, which shares only the system prompt (the
    // choice before issue 14), evaluated the whole history: 44, 44, 69, 69, 94, 94.
    const message = `prompt tokens evaluated per later turn: ${laterTurns.join(', ')}`;
    assert.ok(Math.max(...laterTurns) <= 40, message);
    assert.ok((laterTurns.at(-1) ?? 0) <= (laterTurns[0] ?? 0), `${message}: grows with the history`);
  });
});

describe('prompt cache', () => {
  let cached: LlamaCppBackend;
  let uncached: LlamaCppBackend;
  before(async () => {
    cached = await createTinyBackend({ parallel: 1, promptCacheMib: 64 });
    uncached = await createTinyBackend({ parallel: 1, promptCacheMib: 0 });
  });
  after(async () => {
    await cached?.close();
    await uncached?.close();
  });

  it('restores a conversation saved when another took its sequence, and generates exactly what re-evaluating it does (greedy)', async () => {
    const alice: [string, string][] = [];
    const bob: [string, string][] = [];
    await playTurn(cached, alice, 'Tell me about llamas and where they live, please.');
    await playTurn(cached, alice, 'And what do they eat in the mountains?');
    await playTurn(cached, bob, 'What is the capital of a country with many alpacas?');
    assert.equal(cached.promptStats().cache.saves, 1, 'alice was saved when bob took the only sequence');

    const question = 'How long do they live?';
    const prompt = chatPrompt(alice, question);
    const restoredBefore = cached.promptStats().promptTokensRestored;
    const { evaluated, events: restored } = await playTurn(cached, alice, question);
    const stats = cached.promptStats();
    assert.equal(stats.cache.restores, 1);
    const restoredTokens = stats.promptTokensRestored - restoredBefore;
    // The prompt opens with <|im_start|>, the tiny model's BOS, so no BOS is added in front.
    const promptLength = await cached.countTokens(prompt);
    assert.equal(restoredTokens + evaluated, promptLength);
    assert.ok(restoredTokens >= promptLength * 0.6, `restored ${restoredTokens} of ${promptLength} prompt tokens, evaluated ${evaluated}`);

    const reevaluated = await collect(uncached.generate({ prompt, parameters: greedy }));
    assert.ok(tokenIdsOf(restored).length > 0);
    assert.deepEqual(tokenIdsOf(restored), tokenIdsOf(reevaluated));
    assert.equal(uncached.promptStats().promptTokensEvaluated, promptLength, 'the reference evaluated the whole prompt');
  });

  it('evicts the least recently saved state past its size limit', async () => {
    const small = await createTinyBackend({ parallel: 1, promptCacheMib: 1 });
    try {
      for (const name of ['carol', 'dave', 'erin']) await playTurn(small, [], questionsOf(name)[0] as string);
      const { cache } = small.promptStats();
      assert.equal(cache.saves, 2);
      assert.ok(cache.bytes <= cache.maxBytes, `${cache.bytes} bytes kept under ${cache.maxBytes}`);
      assert.ok(cache.evictions >= 1 || cache.entries === 2, JSON.stringify(cache));
    } finally {
      await small.close();
    }
  });
});
