/**
 * `npm run bench:report`: regenerates BENCHMARKS.md and the chart from bench/results/*.json,
 * keeping the sections other benches wrote themselves. `npm run bench` calls it at the end.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repositoryRoot } from '../../scripts/test-models/repository-root.ts';
import { listResultsFiles, readResultsFile, resultsDirectory } from '../lib/results-file.ts';
import { composeDocument, parseSections } from './benchmarks-document.ts';
import { chartBars } from './chart-bars.ts';
import { renderRatioChart } from './ratio-chart.ts';
import { renderOverview, type LastBenchRun, type ResultsFileStamp } from './render-overview.ts';
import { renderUnknownResults } from './render-unknown-results.ts';
import type { EngineVsNativeResults, MemoryBandwidthResults, ResultsByName, ResultsEnvelope, ServerVsLlamaServerResults } from './results-types.ts';
import { renderedSections, sectionOrder } from './section-registry.ts';
import { checkTargets } from './target-summary.ts';

export const benchmarksPath = join(repositoryRoot, 'BENCHMARKS.md');
const chartFile = 'benchmarks-chart.svg';

export async function generateReport(): Promise<string> {
  const results: ResultsByName = new Map();
  for (const name of await listResultsFiles()) results.set(name, await readResultsFile(name));

  const existing = existsSync(benchmarksPath) ? parseSections(await readFile(benchmarksPath, 'utf8')) : [];
  const existingNames = new Set(existing.map((section) => section.name));
  const rendered = new Map<string, string>();
  for (const section of renderedSections) {
    const body = section.render(results);
    if (body !== null) rendered.set(section.name, body);
  }
  // A results file with no section anywhere (its bench has not learned to write one) still shows.
  const ownResults = new Set(['engine-vs-native', 'memory-bandwidth', 'server-vs-llama-server', 'batch-scaling', 'decode-profile', 'run-all']);
  for (const [name, content] of results) {
    if (ownResults.has(name) || existingNames.has(name) || rendered.has(name)) continue;
    rendered.set(name, renderUnknownResults(name, content));
  }

  const typed = {
    engine: results.get('engine-vs-native') as EngineVsNativeResults | undefined,
    bandwidth: results.get('memory-bandwidth') as MemoryBandwidthResults | undefined,
    server: results.get('server-vs-llama-server') as ServerVsLlamaServerResults | undefined,
  };
  const bars = chartBars(typed);
  let chartPath: string | null = null;
  if (bars.length > 0) {
    await writeFile(join(resultsDirectory, chartFile), renderRatioChart(bars, 'anychat relative to native llama.cpp, llama-server and the bandwidth limit'));
    chartPath = `bench/results/${chartFile}`;
  }
  const envelopes = [...results.entries()]
    .filter((entry): entry is [string, ResultsEnvelope<unknown, unknown>] => typeof entry[1] === 'object' && entry[1] !== null && 'machine' in entry[1])
    .sort((left, right) => left[1].createdAt.localeCompare(right[1].createdAt));
  const stamps: ResultsFileStamp[] = envelopes.map(([name, envelope]) => ({
    name,
    createdAt: envelope.createdAt,
    quick: envelope.quick,
    durationSeconds: envelope.durationSeconds ?? 0,
    loadAverageAtStart: envelope.machine?.loadAverageAtStart ?? null,
    loadAverageAtEnd: envelope.loadAverageAtEnd ?? null,
  }));
  const newest = envelopes.at(-1)?.[1];
  rendered.set(
    'overview',
    renderOverview({
      machine: newest?.machine,
      commit: newest?.revision?.commit ?? null,
      stamps,
      checks: checkTargets(typed),
      chartPath,
      lastRun: results.get('run-all') as LastBenchRun | undefined,
    }),
  );
  const document = composeDocument({ title: '# Benchmarks', existing, rendered, order: sectionOrder });
  await writeFile(benchmarksPath, document);
  return benchmarksPath;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`wrote ${await generateReport()}`);
}
