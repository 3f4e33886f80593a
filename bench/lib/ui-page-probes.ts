import type { CDPSession, Page } from 'playwright-core';

/*
 * In-page instrumentation, written as strings: functions passed to page.evaluate() would be
 * compiled by tsx, which may wrap them in helpers that do not exist inside the page.
 */
const installProbes = `(() => {
  window.uiBench = { longTasks: [], frameGaps: [] };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.uiBench.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask' });
  let last = performance.now();
  const tick = (time) => {
    window.uiBench.frameGaps.push({ start: last, duration: time - last });
    last = time;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

export interface TimedSpan {
  start: number;
  duration: number;
}

/** Starts recording long tasks (Long Tasks API: main-thread tasks over 50 ms) and frame gaps. */
export async function startPageProbes(page: Page): Promise<void> {
  await page.evaluate(installProbes);
}

export async function pageNow(page: Page): Promise<number> {
  return page.evaluate('performance.now()') as Promise<number>;
}

/** Long tasks and the longest gaps between animation frames since `since` (page time, ms). */
export async function readPageProbes(page: Page, since: number): Promise<{ longTasks: TimedSpan[]; longestFrameGapMs: number }> {
  const recorded = (await page.evaluate('window.uiBench')) as { longTasks: TimedSpan[]; frameGaps: TimedSpan[] };
  const longTasks = recorded.longTasks.filter((task) => task.start >= since);
  const gaps = recorded.frameGaps.filter((gap) => gap.start >= since).map((gap) => gap.duration);
  return { longTasks, longestFrameGapMs: gaps.length > 0 ? Math.max(...gaps) : 0 };
}

export type MainThreadTimes = { taskMs: number; scriptMs: number; layoutMs: number; styleMs: number };

/** Main-thread time the renderer spent so far, from the DevTools protocol's Performance domain. */
export async function mainThreadTimes(cdp: CDPSession): Promise<MainThreadTimes> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const seconds = (name: string) => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return {
    taskMs: seconds('TaskDuration') * 1000,
    scriptMs: seconds('ScriptDuration') * 1000,
    layoutMs: seconds('LayoutDuration') * 1000,
    styleMs: seconds('RecalcStyleDuration') * 1000,
  };
}

export function subtractTimes(after: MainThreadTimes, before: MainThreadTimes): MainThreadTimes {
  return {
    taskMs: after.taskMs - before.taskMs,
    scriptMs: after.scriptMs - before.scriptMs,
    layoutMs: after.layoutMs - before.layoutMs,
    styleMs: after.styleMs - before.styleMs,
  };
}
