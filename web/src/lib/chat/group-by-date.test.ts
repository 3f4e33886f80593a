import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByDate } from './group-by-date.ts';

test('groups by local day: Today, Yesterday, Previous 7 days, Older, keeping the order and leaving out empty groups', () => {
  const now = new Date(2026, 11, 5, 9, 30);
  const at = (month: number, day: number, hour: number) => ({ updatedAt: new Date(2026, month, day, hour).toISOString(), name: `${month}/${day} ${hour}h` });
  const items = [at(11, 5, 8), at(11, 5, 0), at(11, 4, 23), at(11, 4, 0), at(11, 3, 12), at(10, 28, 0), at(10, 27, 23), at(0, 1, 0)];
  const groups = groupByDate(items, now);
  assert.deepEqual(
    groups.map((group) => [group.name, group.items.map((item) => item.name)]),
    [
      ['Today', ['11/5 8h', '11/5 0h']],
      ['Yesterday', ['11/4 23h', '11/4 0h']],
      ['Previous 7 days', ['11/3 12h', '10/28 0h']],
      ['Older', ['10/27 23h', '0/1 0h']],
    ],
  );
  assert.deepEqual(groupByDate([at(11, 5, 8)], now).map((group) => group.name), ['Today']);
});
