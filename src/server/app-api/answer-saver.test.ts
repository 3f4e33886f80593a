import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import type { AnswerPatch, ConversationStore } from '../../storage/conversation-store.ts';
import { AnswerSaver } from './answer-saver.ts';

const silentLog = { warn() {} } as unknown as FastifyBaseLogger;

describe('AnswerSaver', () => {
  it('saves with no new text every keepAliveMs, so other servers see the answer is alive, and stops once finished', async (context) => {
    // Mock timers and a clock moved with them: the keep-alive's timing is exact, whatever the load.
    context.mock.timers.enable({ apis: ['setInterval'] });
    let now = 0;
    const saves: AnswerPatch[] = [];
    const store = {
      async updateAnswer(_id: string, patch: AnswerPatch) {
        saves.push(patch);
        return null;
      },
    } as unknown as ConversationStore;
    const saver = new AnswerSaver(store, 'answer', () => ({ content: 'so far' }), { intervalMs: 500, everyTokens: 32, keepAliveMs: 30, log: silentLog, now: () => now });
    // The keep-alive checks every keepAliveMs / 2; each step is one check, its save settled before the next.
    const advance = async (milliseconds: number) => {
      for (let step = 0; step < milliseconds / 15; step++) {
        now += 15;
        context.mock.timers.tick(15);
        await new Promise(setImmediate);
      }
    };

    await advance(15);
    assert.equal(saves.length, 0, 'nothing saved before keepAliveMs has passed');
    await advance(15);
    assert.deepEqual(saves, [{ content: 'so far' }], 'saved at 30 ms');
    await advance(120);
    assert.equal(saves.length, 5, 'saved at 30, 60, 90, 120 and 150 ms');

    await saver.finish({ content: 'final' });
    const afterFinish = saves.length;
    await advance(150);
    assert.equal(saves.length, afterFinish, 'no save after the final one');
    assert.deepEqual(saves.at(-1), { content: 'final' });
  });
});
