import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTestModel } from '../../../scripts/test-models/ensure-test-model.ts';
import { collect } from '../../../test/backends/backend-conformance.ts';
import type { ContextOverflowPolicy } from '../../chat/context-overflow-policy.ts';
import { ContextOverflowError } from '../../chat/fit-to-context-window.ts';
import type { ChatMessage } from '../../chat/message.ts';
import { prepareGeneration } from '../../chat/prepare-generation.ts';
import type { GenerationEvent } from '../backend.ts';
import { createLlamaCppBackend, type LlamaCppBackend } from './llamacpp-backend.ts';

const WINDOW = 512;

interface TurnRecord {
  evaluated: number;
  promptTokens: number;
  droppedTurns: number;
  firstUserMessage: string;
}

/** Plays a conversation of `turns` turns through prepareGeneration and the engine, as the app API does. */
async function playConversation(backend: LlamaCppBackend, policy: ContextOverflowPolicy, turns: number): Promise<TurnRecord[]> {
  const info = await backend.info();
  const messages: ChatMessage[] = [];
  const records: TurnRecord[] = [];
  for (let turn = 0; turn < turns; turn++) {
    messages.push({ role: 'user', content: `Question ${turn}: what do llamas eat in the mountains of Peru in winter?` });
    const prepared = await prepareGeneration({ backend, info, messages, settings: { contextOverflow: policy, parameters: { temperature: 0, maxNewTokens: 8 } } });
    const before = backend.promptStats().promptTokensEvaluated;
    const events = await collect(backend.generate(prepared.request));
    assert.equal(events.at(-1)?.type, 'finish', JSON.stringify(events.at(-1)));
    const firstUser = prepared.request.messages?.find((message) => message.role === 'user');
    records.push({
      evaluated: backend.promptStats().promptTokensEvaluated - before,
      promptTokens: prepared.promptTokens,
      droppedTurns: prepared.droppedTurns,
      firstUserMessage: firstUser?.content ?? '',
    });
    messages.push({ role: 'assistant', content: textOf(events) || 'Grass.' });
  }
  return records;
}

function textOf(events: GenerationEvent[]): string {
  return events.map((event) => (event.type === 'text-delta' ? event.text : '')).join('').trim();
}

function median(values: number[]): number {
  const sorted = [...values].sort((first, second) => first - second);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('context overflow on the engine', () => {
  let backend: LlamaCppBackend;
  before(async () => {
    backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: WINDOW, promptCacheMib: 0 });
  });
  after(async () => {
    await backend?.close();
  });

  for (const policy of ['drop-oldest', 'truncate-middle'] as const) {
    it(`${policy}: prompt tokens evaluated per turn stay small after the window fills`, async () => {
      const records = await playConversation(backend, policy, 36);
      const fillTurn = records.findIndex((record) => record.droppedTurns > 0);
      assert.ok(fillTurn > 0 && fillTurn < 30, `the window filled at turn ${fillTurn}`);
      const beforeFill = records.slice(1, fillTurn).map((record) => record.evaluated);
      const afterFill = records.slice(fillTurn).map((record) => record.evaluated);
      // Before the window fills a turn evaluates its new question and the last answer (~30 tokens).
      // Dropping one turn at a time re-read the whole prompt (~480 tokens) on every turn after it;
      // dropping a page re-reads it only on the turns where a page goes.
      const fullRereads = afterFill.filter((evaluated) => evaluated > WINDOW / 2).length;
      const message = `evaluated per turn before the window filled: ${beforeFill.join(', ')}; after: ${afterFill.join(', ')}`;
      assert.ok(median(afterFill) <= 2 * median(beforeFill), message);
      assert.ok(fullRereads <= Math.ceil(afterFill.length / 4), message);
      if (policy === 'truncate-middle') {
        assert.ok(records.every((record) => record.firstUserMessage.startsWith('Question 0:')), 'the first turn is always kept');
      } else {
        assert.ok(records.at(-1)?.firstUserMessage.startsWith('Question 0:') === false, 'the oldest turns went');
      }
    });
  }

  it('stop: leaves every turn in, ends an answer that reaches the window with length, then refuses the next turn', async () => {
    const info = await backend.info();
    // A system message that fills the window up to a few tokens, so the answer runs out of room.
    const long = Array.from({ length: 200 }, (_, index) => `w${index}`).join(' ');
    let systemMessage = long;
    while ((await backend.countTokens(`<|im_start|>system\n${systemMessage}<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n`)) > WINDOW - 6) {
      systemMessage = systemMessage.slice(0, -4);
    }
    const messages: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    const prepared = await prepareGeneration({ backend, info, messages, settings: { systemMessage, contextOverflow: 'stop', parameters: { temperature: 0, maxNewTokens: 100 } } });
    assert.equal(prepared.droppedTurns, 0);
    assert.equal(prepared.parameters.maxNewTokens, WINDOW - prepared.promptTokens);
    const events = await collect(backend.generate(prepared.request));
    const finish = events.at(-1);
    assert.equal(finish?.type, 'finish', JSON.stringify(finish));
    if (finish?.type !== 'finish') return;
    // The tiny model's greedy answer here runs on without its end token (measured: 7 tokens, the room left).
    assert.equal(finish.reason, 'length');
    assert.equal(finish.usage.completionTokens, WINDOW - prepared.promptTokens);

    messages.push({ role: 'assistant', content: textOf(events) || 'Hello there, friend.' }, { role: 'user', content: 'And now a much longer follow-up question that cannot fit?' });
    await assert.rejects(
      prepareGeneration({ backend, info, messages, settings: { systemMessage, contextOverflow: 'stop', parameters: { temperature: 0, maxNewTokens: 100 } } }),
      (error: unknown) => error instanceof ContextOverflowError && /policy is "stop"/.test(error.message),
    );
  });
});
