/**
 * The chat page's speed, measured in Debian's Chromium against the real server (`npm run bench:ui`):
 *   - first load: JS + CSS gzipped (target ≤ 150 KB);
 *   - streaming: a 4,000-token markdown answer with code blocks at 100 tokens/s (target: no
 *     main-thread task over 50 ms, from the Long Tasks API);
 *   - render cost against answer length, 1k/4k/16k tokens (target: linear);
 *   - opening a 500-message conversation (target: under 1 s).
 * Raw samples go to bench/results/ui.json and a summary into BENCHMARKS.md.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureWebBuild } from '../scripts/ensure-web-build.ts';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import { launchBrowser, sendPrompt, waitForAnswerDone, waitForPageReady } from '../test/e2e/support/browser.ts';
import { startTestServer } from '../test/e2e/support/test-server.ts';
import { parseBenchArguments } from './lib/bench-arguments.ts';
import { replaceMarkdownSection } from './lib/markdown-section.ts';
import { startBenchmark } from './lib/results-file.ts';
import { median, roundTo } from './lib/statistics.ts';
import { measureBundle } from './lib/ui-bundle-size.ts';
import { seedLongConversation } from './lib/ui-long-conversation.ts';
import { markdownAnswer } from './lib/ui-markdown-answer.ts';
import { mainThreadTimes, pageNow, readPageProbes, startPageProbes, subtractTimes } from './lib/ui-page-probes.ts';
import { createScriptedBackend, type AnswerScript } from './lib/ui-scripted-backend.ts';

const { quick } = parseBenchArguments();
const benchmark = startBenchmark('ui', quick);
const kilobytes = (bytes: number) => roundTo(bytes / 1024, 1);
const loadAtStart = roundTo(loadavg()[0] ?? 0, 1);

await ensureWebBuild();
const bundle = await measureBundle(join(repositoryRoot, 'web', 'dist'));
const firstLoadGzipBytes = bundle.firstLoad.reduce((total, asset) => total + asset.gzipBytes, 0);
console.log(`first load: ${kilobytes(firstLoadGzipBytes)} KB gzipped`);

// What the scripted backend streams next; each measurement sets it before sending.
const script: AnswerScript = { tokens: [], tokensPerSecond: 100 };
const server = await startTestServer({ backend: createScriptedBackend(script) });
const browser: Browser = await launchBrowser();

interface StreamSample {
  tokens: number;
  tokensPerSecond: number;
  wallMs: number;
  mainThread: { taskMs: number; scriptMs: number; layoutMs: number; styleMs: number };
  longTasks: { start: number; duration: number }[];
  longestFrameGapMs: number;
}

/** Streams one answer of `tokens` tokens at `tokensPerSecond` into a fresh chat and measures the page. */
async function streamAnswer(tokens: number, tokensPerSecond: number): Promise<StreamSample> {
  script.tokens = markdownAnswer(tokens);
  script.tokensPerSecond = tokensPerSecond;
  // A new tab of its own, with motion, as a user opens the page (the tests' openPage hands out pages
  // used before, with reduced motion, to spare CPU; a measurement wants neither).
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page: Page = await context.newPage();
  await page.goto(server.url);
  await waitForPageReady(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await startPageProbes(page);
  const since = await pageNow(page);
  const before = await mainThreadTimes(cdp);
  const started = performance.now();
  await sendPrompt(page, 'Write a long tutorial with code.');
  await page.locator('article[aria-busy="true"]').waitFor();
  await waitForAnswerDone(page, 300_000);
  const wallMs = performance.now() - started;
  const mainThread = subtractTimes(await mainThreadTimes(cdp), before);
  const probes = await readPageProbes(page, since);
  await context.close();
  return { tokens, tokensPerSecond, wallMs, mainThread, ...probes };
}

const streaming = await streamAnswer(4000, 100);
console.log(`4k tokens at 100/s: ${streaming.longTasks.length} long tasks, longest ${roundTo(Math.max(0, ...streaming.longTasks.map((task) => task.duration)), 1)} ms`);

// Render cost against length: the same rate for each size, so the number of frames grows with the
// length and only the cost per frame can make the total super-linear.
const renderCost: StreamSample[] = [];
for (const tokens of [1000, 4000, 16000]) {
  const sample = await streamAnswer(tokens, 400);
  renderCost.push(sample);
  console.log(`${tokens} tokens at 400/s: main thread ${roundTo(sample.mainThread.taskMs, 0)} ms`);
}

/**
 * Records, inside the page, the animation frame in which the first message row appears and the one
 * in which all `count` rows are present: timing from the test side would also count the CDP round
 * trips, which queue behind the page's own work.
 */
const rowTimingScript = (count: number) => `(() => {
  window.rowTimes = { start: performance.now(), newest: null, all: null };
  const check = () => {
    const rows = document.querySelectorAll('.message-row').length;
    if (rows > 0 && window.rowTimes.newest === null) window.rowTimes.newest = performance.now();
    if (rows >= ${count}) window.rowTimes.all = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})()`;

async function readRowTimes(page: Page, fromNavigation: boolean): Promise<{ newestMs: number; allMs: number }> {
  await page.waitForFunction(() => (window as unknown as { rowTimes?: { all: number | null } }).rowTimes?.all != null, undefined, {
    timeout: 30_000,
  });
  const times = (await page.evaluate('window.rowTimes')) as { start: number; newest: number; all: number };
  const origin = fromNavigation ? 0 : times.start;
  return { newestMs: times.newest - origin, allMs: times.all - origin };
}

async function openLongConversation(messageCount: number, repetitions: number) {
  const conversationId = await seedLongConversation(server.store, messageCount);
  const cold: { newestMs: number; allMs: number }[] = [];
  const switches: { newestMs: number; allMs: number }[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    // Cold: a new tab navigates straight to the conversation.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.addInitScript({ content: rowTimingScript(messageCount) });
    await page.goto(`${server.url}#/c/${conversationId}`);
    cold.push(await readRowTimes(page, true));
    // Switch: from another conversation, click this one in the sidebar.
    await page.getByRole('button', { name: 'New chat' }).first().click();
    await page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
    const link = page.getByRole('link', { name: `${messageCount} messages` });
    await link.waitFor();
    // The clock starts in the page, at the click itself.
    await page.evaluate(`document.querySelector('nav a[href$="${conversationId}"]').addEventListener('click', () => ${rowTimingScript(messageCount)}, { once: true })`);
    await link.click();
    switches.push(await readRowTimes(page, false));
    await context.close();
  }
  return { messageCount, cold, switches };
}

const longConversation = await openLongConversation(500, quick ? 1 : 3);
const medianOf = (samples: { newestMs: number; allMs: number }[], key: 'newestMs' | 'allMs') => roundTo(median(samples.map((sample) => sample[key])), 0);
console.log(
  `500 messages: cold ${medianOf(longConversation.cold, 'newestMs')} ms (all rows ${medianOf(longConversation.cold, 'allMs')} ms), ` +
    `switch ${medianOf(longConversation.switches, 'newestMs')} ms (all rows ${medianOf(longConversation.switches, 'allMs')} ms)`,
);

await browser.close();
await server.close();

const settings = { browser: 'Debian Chromium (headless) via playwright-core', server: 'buildApp, scripted backend, in-memory store' };
const resultsPath = await benchmark.write(settings, { bundle, firstLoadGzipBytes, streaming, renderCost, longConversation });

const longest = (sample: StreamSample) => roundTo(Math.max(0, ...sample.longTasks.map((task) => task.duration)), 1);
const perThousand = (sample: StreamSample) => roundTo(sample.mainThread.taskMs / (sample.tokens / 1000), 0);
const check = (passed: boolean) => (passed ? 'meets target' : '**misses target**');
const lines = [
  '## Chat page (`npm run bench:ui`)',
  '',
  `Measured in headless Debian Chromium against the real server on ${new Date().toISOString().slice(0, 10)}; raw samples: \`bench/results/ui.json\`. The box is shared (2 cores; 1-minute load average ${loadAtStart} at the start, ${roundTo(loadavg()[0] ?? 0, 1)} at the end), so timings carry noise: above ~2, other work competes for the page's main thread.`,
  '',
  '| Measure | Result | Target |',
  '|---|---|---|',
  `| First load, JS + CSS + HTML gzipped | ${kilobytes(firstLoadGzipBytes)} KB (${bundle.firstLoad.map((asset) => `${asset.path} ${kilobytes(asset.gzipBytes)}`).join(', ')}) | ≤ 150 KB, ${check(firstLoadGzipBytes <= 150 * 1024)} |`,
  `| Lazy chunks (only when an answer has code or math) | KaTeX ${kilobytes(bundle.lazy.filter((asset) => asset.path.includes('katex')).reduce((total, asset) => total + asset.gzipBytes, 0))} KB, highlight.js core ${kilobytes(bundle.lazy.find((asset) => asset.path.includes('/core-'))?.gzipBytes ?? 0)} KB + one language ≈ 1–4 KB | — |`,
  `| 4,000-token markdown answer at 100 tokens/s: tasks over 50 ms | ${streaming.longTasks.length} (longest ${longest(streaming)} ms; longest gap between frames ${roundTo(streaming.longestFrameGapMs, 0)} ms) | 0, ${check(streaming.longTasks.length === 0)} |`,
  `| 500-message conversation, new tab (navigation → newest messages on screen; → all 500 rows mounted), median | ${medianOf(longConversation.cold, 'newestMs')} ms; ${medianOf(longConversation.cold, 'allMs')} ms | < 1,000 ms, ${check(medianOf(longConversation.cold, 'allMs') < 1000)} |`,
  `| 500-message conversation, opened from the sidebar (click → newest on screen; → all rows), median | ${medianOf(longConversation.switches, 'newestMs')} ms; ${medianOf(longConversation.switches, 'allMs')} ms | < 1,000 ms, ${check(medianOf(longConversation.switches, 'allMs') < 1000)} |`,
  '',
  'Render cost against answer length (streamed at 400 tokens/s, main-thread time of the page from the DevTools Performance domain, which includes the SSE reading, store updates, markdown, DOM and layout):',
  '',
  '| Answer | Main thread | Per 1k tokens | Script | Layout + style | Tasks over 50 ms |',
  '|---|---|---|---|---|---|',
  ...renderCost.map(
    (sample) =>
      `| ${sample.tokens.toLocaleString('en')} tokens | ${roundTo(sample.mainThread.taskMs, 0)} ms | ${perThousand(sample)} ms | ${roundTo(sample.mainThread.scriptMs, 0)} ms | ${roundTo(sample.mainThread.layoutMs + sample.mainThread.styleMs, 0)} ms | ${sample.longTasks.length} |`,
  ),
  '',
  ...(loadAtStart > availableParallelism()
    ? [
        `The load average exceeded the ${availableParallelism()} cores during this run: a task's wall time then includes time the renderer waited for a CPU, so tasks over 50 ms here may be ordinary frames stretched by other work. Re-run on an idle machine to judge the 50 ms target.`,
        '',
      ]
    : []),
  `Cost per 1k tokens goes from ${perThousand(renderCost[0]!)} ms (1k) to ${perThousand(renderCost[2]!)} ms (16k): ${perThousand(renderCost[2]!) <= perThousand(renderCost[0]!) * 2 ? 'flat, so the total grows linearly, because finished markdown blocks are cached and only the growing block is re-rendered, at most once per frame' : 'growing with length: rendering is not linear'}.`,
];
await replaceMarkdownSection(join(repositoryRoot, 'BENCHMARKS.md'), 'ui', lines.join('\n'));
console.log(`results: ${resultsPath}`);
