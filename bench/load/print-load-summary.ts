import type { LoadSettings } from './load-settings.ts';
import type { LoadSummary } from './load-results.ts';

/** The figures a reader of the terminal wants, one line each. */
export function printLoadSummary(settings: LoadSettings, summary: LoadSummary): void {
  const { concurrent, sequential, storage, memory, totals, shutdown } = summary;
  const lines = [
    '',
    `concurrent: ${settings.clients} clients × ${settings.holdSeconds} s; held fewest ${concurrent.streamsHeld.fewest}, median ${concurrent.streamsHeld.median} (server generations median ${concurrent.serverActiveSequences.median})`,
    `  ${concurrent.streamsCompleted}/${concurrent.streamsStarted} streams completed, ${concurrent.tokens} tokens (${concurrent.tokensPerSecond}/s), ${concurrent.errors} errors, ${concurrent.faultyTokens} bad tokens; listen overflows ${concurrent.listenOverflows ?? 'n/a'}`,
    `  TTFT p50 ${concurrent.timeToFirstTokenMs.p50} ms (tgi ${concurrent.timeToFirstTokenMsBySurface.tgi.p50}, openai ${concurrent.timeToFirstTokenMsBySurface.openai.p50}, app ${concurrent.timeToFirstTokenMsBySurface.app.p50}), p99 ${concurrent.timeToFirstTokenMs.p99} ms; inter-token p50 ${concurrent.interTokenMs.p50} ms, p99 ${concurrent.interTokenMs.p99} ms, max ${concurrent.interTokenMs.max} ms`,
    `sequential: ${sequential.conversationsCompleted}/${sequential.conversationsStarted} conversations in ${sequential.wallSeconds} s (${sequential.conversationsPerSecond}/s), p50 ${sequential.perConversationMs.p50} ms, p99 ${sequential.perConversationMs.p99} ms; first tenth ${sequential.firstTenthMedianMs} ms, last tenth ${sequential.lastTenthMedianMs} ms`,
    `storage: ${storage.sequential.checked - storage.sequential.lost}/${storage.sequential.expected} sequential and ${storage.streamedAfterRestart.checked - storage.streamedAfterRestart.lost}/${storage.streamedAfterRestart.expected} streamed conversations exact after restart; listed ${storage.sequential.listed}+${storage.streamedAfterRestart.listed} of ${storage.sequential.listedInAll}`,
    ...(['streamsServer', 'conversationsServer'] as const).map((name) => {
      const server = memory[name];
      return `memory (${name}): heap ${server.baseline.heapUsedMiB} → peak ${server.peak.heapUsedMiB} → ${server.afterSettle.heapUsedMiB} MiB (${server.heapGrowthKiB >= 0 ? '+' : ''}${server.heapGrowthKiB} KiB, ${server.backToBaseline ? 'back to baseline' : 'NOT back to baseline'}); RSS ${server.baseline.residentMiB} → ${server.peak.residentMiB} → ${server.afterSettle.residentMiB} MiB`;
    }),
    `shutdown: exit ${shutdown.streamsServer.exitCode} in ${shutdown.streamsServer.seconds} s, exit ${shutdown.conversationsServer.exitCode} in ${shutdown.conversationsServer.seconds} s; server warnings/errors logged: ${summary.serverWarnings.count}`,
    `totals: ${totals.errors} errors, ${totals.faultyTokens} bad tokens, ${totals.conversationsLost} conversations lost, ${totals.tokensChecked} tokens checked`,
    ...[...concurrent.errorExamples, ...sequential.errorExamples, ...storage.sequential.lostExamples, ...storage.streamedAfterRestart.lostExamples].slice(0, 10).map((line) => `  ! ${line}`),
    ...summary.serverWarnings.examples.map((line) => `  server: ${line}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
