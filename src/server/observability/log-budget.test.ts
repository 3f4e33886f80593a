import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogBudget } from './log-budget.ts';

test('a log budget writes at most its limit per window, then says how many it skipped', () => {
  let clock = 0;
  const budget = createLogBudget(2, 1000, () => clock);
  assert.deepEqual(
    [budget.take(), budget.take(), budget.take(), budget.take()].map((step) => step.logged),
    [true, true, false, false],
  );
  clock = 999;
  assert.equal(budget.take().logged, false);
  clock = 1000;
  assert.deepEqual(budget.take(), { logged: true, suppressedBefore: 3 });
  assert.deepEqual(budget.take(), { logged: true, suppressedBefore: 0 });
});
