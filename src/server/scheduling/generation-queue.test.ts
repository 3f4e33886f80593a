import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpProblem } from '../http-problem.ts';
import { GenerationQueue } from './generation-queue.ts';

describe('GenerationQueue', () => {
  it('runs `parallel` at once, queues up to `maxQueue`, refuses the rest at once with 429', async () => {
    const queue = new GenerationQueue(2, 1);
    const first = queue.enter();
    const second = queue.enter();
    const third = queue.enter();
    assert.deepEqual([queue.active, queue.depth], [2, 1]);
    assert.throws(() => queue.enter(), (error: unknown) => error instanceof HttpProblem && error.status === 429 && error.code === 'overloaded');
    await Promise.all([first.turn, second.turn]);
    let thirdStarted = false;
    void third.turn.then(() => (thirdStarted = true));
    await Promise.resolve();
    assert.equal(thirdStarted, false);
    first.release();
    first.release(); // twice is harmless
    await third.turn;
    assert.deepEqual([queue.active, queue.depth], [2, 0]);
    second.release();
    third.release();
    assert.equal(queue.active, 0);
  });

  it('a waiter whose signal aborts leaves the queue without taking a slot', async () => {
    const queue = new GenerationQueue(1, 4);
    const running = queue.enter();
    const controller = new AbortController();
    const waiting = queue.enter(controller.signal);
    controller.abort(new Error('client left'));
    await assert.rejects(waiting.turn, /client left/);
    assert.equal(queue.depth, 0);
    waiting.release();
    running.release();
    assert.equal(queue.active, 0);
  });
});
