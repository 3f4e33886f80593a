export type DateGroupName = 'Today' | 'Yesterday' | 'Previous 7 days' | 'Older';

export interface DateGroup<Item> {
  name: DateGroupName;
  items: Item[];
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Conversations under the headings peers use, by when each was last active, in the reader's own
 * time zone (days start at local midnight). Keeps the order given (newest first) and leaves out
 * empty groups.
 */
export function groupByDate<Item extends { updatedAt: string }>(items: readonly Item[], now: Date): DateGroup<Item>[] {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const groups: DateGroup<Item>[] = (['Today', 'Yesterday', 'Previous 7 days', 'Older'] as const).map((name) => ({ name, items: [] }));
  for (const item of items) {
    const time = Date.parse(item.updatedAt);
    const index = time >= startOfToday ? 0 : time >= startOfToday - dayMs ? 1 : time >= startOfToday - 7 * dayMs ? 2 : 3;
    groups[index]!.items.push(item);
  }
  return groups.filter((group) => group.items.length > 0);
}
