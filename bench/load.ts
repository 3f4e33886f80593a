/**
 * `npm run bench:load [-- --quick]`: a load benchmark of `anychat serve` as a separate process
 * (echo backend, fresh PGlite directory), not a test. Three questions:
 *   1. Does it hold 1000 concurrent streams for 60 s over TGI, OpenAI and the app API, every
 *      token arriving exactly once and in order?
 *   2. Are 10 000 sequential app API conversations all stored with the right messages (and the
 *      first server's conversations still there after a graceful restart)?
 *   3. Does the live heap come back to its baseline once the load is over?
 * --quick: 200 streams for 10 s and 1000 conversations. Writes bench/results/load.json, the
 * `load` section of BENCHMARKS.md, and the `load` figures for ROBUSTNESS.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from '../scripts/test-models/repository-root.ts';
import { parseBenchArguments } from './lib/bench-arguments.ts';
import { replaceMarkdownSection } from './lib/markdown-section.ts';
import { readResultsFile, startBenchmark } from './lib/results-file.ts';
import { runConversationsServer } from './load/conversations-server-run.ts';
import { summarizeLoad } from './load/load-results.ts';
import { loadSettings } from './load/load-settings.ts';
import { printLoadSummary } from './load/print-load-summary.ts';
import { recordLoadFigures } from './load/record-load-figures.ts';
import { runStreamsServer } from './load/streams-server-run.ts';
import { renderLoad } from './report/render-load.ts';
import type { LoadResults } from './report/results-types.ts';

const { quick } = parseBenchArguments();
// `--clients 1000 --hold-seconds 15 --conversations 500`: one dimension at full size while iterating.
const { values: overrides } = parseArgs({ options: { clients: { type: 'string' }, 'hold-seconds': { type: 'string' }, conversations: { type: 'string' } }, strict: false });
const settings = loadSettings(quick, {
  clients: Number(overrides.clients) || undefined,
  holdSeconds: Number(overrides['hold-seconds']) || undefined,
  sequentialConversations: Number(overrides.conversations) || undefined,
});
const benchmark = startBenchmark('load', quick);
let streamCounter = 0;
const nextStreamId = () => ++streamCounter;

const workDirectory = await mkdtemp(join(tmpdir(), 'anychat-load-'));
const dataDirectory = join(workDirectory, 'conversations');
try {
  process.stderr.write(`${settings.clients} concurrent streams for ${settings.holdSeconds} s (data in ${dataDirectory})\n`);
  const streams = await runStreamsServer(settings, dataDirectory, nextStreamId);
  process.stderr.write(`${streams.tally.completed} streams completed, ${streams.tally.errorCount} errors; ${settings.sequentialConversations} sequential conversations next\n`);
  const conversations = await runConversationsServer(settings, dataDirectory, nextStreamId, streams.conversations);
  const summary = summarizeLoad(streams, conversations);
  const resultsPath = await benchmark.write(settings, summary);
  // The same renderer as `npm run bench:report`, so this section reads alike either way.
  await replaceMarkdownSection(join(repositoryRoot, 'BENCHMARKS.md'), 'load', renderLoad((await readResultsFile('load')) as LoadResults));
  await recordLoadFigures(settings, summary, quick);
  printLoadSummary(settings, summary);
  process.stderr.write(`wrote ${resultsPath}, BENCHMARKS.md and .cache/robustness/load.json\n`);
  const failed = summary.totals.errors + summary.totals.faultyTokens + summary.totals.conversationsLost > 0 || !summary.totals.backToBaseline;
  if (failed) process.exitCode = 1;
} finally {
  await rm(workDirectory, { recursive: true, force: true });
}
