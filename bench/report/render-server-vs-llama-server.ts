import { fixed, markdownTable, spread, verdict, verdictWithNoise } from './markdown-format.ts';
import type { ServerVsLlamaServerResults } from './results-types.ts';

export const MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS = 5;
export const MINIMUM_THROUGHPUT_RATIO = 1;

export function renderServerVsLlamaServer(results: ServerVsLlamaServerResults): string {
  const { settings } = results;
  const rows = Object.entries(results.results.summary).flatMap(([label, levels]) =>
    Object.entries(levels).map(([clients, level]) => {
      const comparison = level.comparison;
      const met = comparison
        ? comparison.throughputRatio.median >= MINIMUM_THROUGHPUT_RATIO && comparison.extraTimeToFirstTokenP50Ms <= MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS
        : null;
      return [
        label,
        clients,
        fixed(level.aggregateTokensPerSecond),
        comparison ? `**${fixed(comparison.throughputRatio.median, 3)}**${spread(comparison.throughputRatio.relativeSpread)}` : 'reference',
        `${fixed(level.timeToFirstTokenMs.p50, 0)} / ${fixed(level.timeToFirstTokenMs.p99, 0)}`,
        comparison ? `${comparison.extraTimeToFirstTokenP50Ms >= 0 ? '+' : ''}${fixed(comparison.extraTimeToFirstTokenP50Ms, 1)}` : '',
        fixed(level.interTokenDelayMs.p99, 0),
        `${level.requests}${level.failedRequests ? ` (${level.failedRequests} failed)` : ''}${level.retriedRequests ? `, ${level.retriedRequests} retried` : ''}`,
        label === settings.reference ? '' : met === null || !comparison ? verdict(met) : verdictWithNoise(met, comparison.throughputRatio.relativeSpread),
      ];
    }),
  );
  return [
    '## 3. Server against llama-server',
    '',
    `Model ${settings.model}, ${settings.parallel} parallel slots, ${settings.contextPerSequence} tokens of context per slot, ${settings.threads} threads; ` +
      `each client streams ${settings.requestsPerClient} request(s) back to back of up to ${settings.maxTokens} tokens; ${settings.repetitions} interleaved repetition(s). ` +
      `Targets: aggregate tokens/s ratio ≥ ${MINIMUM_THROUGHPUT_RATIO} and at most ${MAXIMUM_EXTRA_TIME_TO_FIRST_TOKEN_MS} ms extra median time to first token.`,
    '',
    rows.length > 0
      ? markdownTable(['Target', 'Clients', 'Aggregate tok/s', 'Ratio to llama-server', 'TTFT p50 / p99 ms', 'Extra TTFT p50 ms', 'Inter-token p99 ms', 'Requests', 'Target'], rows)
      : '_No server was measured._',
    ...(results.results.notes.length > 0 ? ['', ...results.results.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
