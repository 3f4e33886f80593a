import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { AnswerPatch, ConversationStore } from '../../storage/conversation-store.ts';
import { AnswerSaver } from './answer-saver.ts';

const silentLog = { warn() {} } as unknown as FastifyBaseLogger;

describe('AnswerSaver', () => {
  it('saves with no new text every keepAliveMs, so other servers see the answer is alive, and stops once finished', async () => {
    const saves: AnswerPatch[] = [];
    const store = {
      async updateAnswer(_id: string, patch: AnswerPatch) {
        saves.push(patch);
        return null;
      },
    } as unknown as ConversationStore;
    const saver = new AnswerSaver(store, 'answer', () => ({ content: 'so far' }), { intervalMs: 500, everyTokens: 32, keepAliveMs: 30, log: silentLog });
    await sleep(150);
    assert.ok(saves.length >= 2, `kept alive with ${saves.length} saves in 150 ms`);
    await saver.finish({ content: 'final' });
    const afterFinish = saves.length;
    await sleep(100);
    assert.equal(saves.length, afterFinish, 'no save after the final one');
    assert.deepEqual(saves.at(-1), { content: 'final' });
  });
});
