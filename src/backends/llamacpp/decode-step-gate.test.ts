import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeStepGate } from './decode-step-gate.ts';

/** Lets every pending setImmediate (the gate opens multi-sequence steps on the next turn) run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(promise: Promise<void> | undefined): { opened: () => boolean } {
  let opened = promise === undefined;
  void promise?.then(() => {
    opened = true;
  });
  return { opened: () => opened };
}

describe('DecodeStepGate', () => {
  it('never holds a sequence that decodes alone, so one conversation keeps its latency', () => {
    const gate = new DecodeStepGate();
    const only = gate.join(0);
    assert.equal(only.arrive(), undefined);
    only.received();
    assert.equal(only.arrive(), undefined);
  });

  it('holds the first ready sequence until the other is ready too, then opens both', async () => {
    const gate = new DecodeStepGate();
    const first = gate.join(0);
    const second = gate.join(1);
    const firstStep = track(first.arrive());
    await nextTurn();
    assert.equal(firstStep.opened(), false);
    const secondStep = track(second.arrive());
    await nextTurn();
    assert.equal(firstStep.opened(), true);
    assert.equal(secondStep.opened(), true);
  });

  it('keeps a late sequence for the step in flight instead of decoding it alone', async (context) => {
    context.mock.timers.enable({ apis: ['setTimeout'] });
    const gate = new DecodeStepGate();
    const late = gate.join(0);
    const onTime = gate.join(1);
    const third = gate.join(2);
    // `late`'s reader is slow: after the bounded wait the other two go without it.
    const onTimeStep = track(onTime.arrive());
    const thirdStep = track(third.arrive());
    context.mock.timers.tick(1);
    await nextTurn();
    assert.equal(onTimeStep.opened(), true);
    assert.equal(thirdStep.opened(), true);
    // Ready now, while the other two compute: it waits for them rather than forming its own batch.
    const lateStep = track(late.arrive());
    context.mock.timers.tick(1000);
    await nextTurn();
    assert.equal(lateStep.opened(), false);
    onTime.received();
    third.received();
    const rejoined = [track(onTime.arrive()), track(third.arrive())];
    await nextTurn();
    assert.equal(lateStep.opened(), true);
    assert.ok(rejoined.every((step) => step.opened()));
  });

  it('lets the others go when a sequence leaves (finished or aborted)', async (context) => {
    // Frozen clock: the bounded wait for `leaving`'s reader must not be what opens the step.
    context.mock.timers.enable({ apis: ['setTimeout'] });
    const gate = new DecodeStepGate();
    const staying = gate.join(0);
    const leaving = gate.join(1);
    const stayingStep = track(staying.arrive());
    await nextTurn();
    assert.equal(stayingStep.opened(), false);
    leaving.leave();
    await nextTurn();
    assert.equal(stayingStep.opened(), true);
  });

  it('lets the sequences of a step go in sequence-id order, whatever order they arrived in', async () => {
    const gate = new DecodeStepGate();
    const tickets = [gate.join(2), gate.join(0), gate.join(3), gate.join(1)];
    const openedOrder: number[] = [];
    const ids = [2, 0, 3, 1];
    const steps = tickets.map((ticket, index) => ticket.arrive()?.then(() => openedOrder.push(ids[index] as number)));
    await Promise.all(steps);
    assert.deepEqual(openedOrder, [0, 1, 2, 3]);
  });
});
