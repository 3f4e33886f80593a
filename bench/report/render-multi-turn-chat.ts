import { fixed, markdownTable, verdict } from './markdown-format.ts';
import type { MultiTurnChatResults } from './results-types.ts';

/** Issue 14's targets: ratios within one run. */
export const MAXIMUM_OVERFLOW_TTFT_RATIO = 2;
export const MAXIMUM_TAKING_TURNS_TTFT_RATIO = 1.5;
export const MINIMUM_ROTATION_THROUGHPUT_RATIO = 1;

export function renderMultiTurnChat(results: MultiTurnChatResults): string {
  const { settings } = results;
  const { rotation, overflow, takingTurns, notes } = results.results;
  const reference = rotation?.['llama-server'];
  const rotationRows = Object.entries(rotation ?? {}).map(([label, summary]) => {
    const throughputRatio = reference && label !== 'llama-server' ? summary.completionTokensPerSecond / reference.completionTokensPerSecond : null;
    const met = reference && label !== 'llama-server' ? (throughputRatio as number) >= MINIMUM_ROTATION_THROUGHPUT_RATIO && summary.timeToFirstTokenMs.p95 <= reference.timeToFirstTokenMs.p95 : null;
    return [
      label,
      fixed(summary.wallSeconds, 1),
      fixed(summary.completionTokensPerSecond, 1),
      throughputRatio === null ? 'reference' : `**${fixed(throughputRatio, 2)}**`,
      `${fixed(summary.timeToFirstTokenMs.p50, 0)} / ${fixed(summary.timeToFirstTokenMs.p95, 0)}`,
      `${fixed(summary.promptEvaluatedPerTurn.mean, 0)} / ${fixed(summary.promptEvaluatedPerTurn.p50, 0)} / ${fixed(summary.promptEvaluatedPerTurn.p95, 0)}`,
      `${summary.turns}${summary.failedTurns ? ` (${summary.failedTurns} failed)` : ''}${summary.retries ? `, ${summary.retries} retried` : ''}`,
      String(summary.turnsWithDroppedHistory),
      label === 'llama-server' ? '' : verdict(met),
    ];
  });
  const anychat = rotation?.['anychat serve'];
  const gapNote =
    anychat && reference && anychat.completionTokensPerSecond < reference.completionTokensPerSecond
      ? [
          '',
          `- The gap is not cache reuse: both servers evaluated about the same prompt tokens per turn (mean ${fixed(anychat.promptEvaluatedPerTurn.mean, 0)} against ` +
            `${fixed(reference.promptEvaluatedPerTurn.mean, 0)}). The two servers ran one after the other, not interleaved, on a machine whose load average was ` +
            `${fixed(results.machine?.loadAverageAtStart, 1)} at the start and ${fixed(results.loadAverageAtEnd, 1)} at the end, so part of it is the load; the rest ` +
            '(state save and restore on every turn, with 8 users on 4 sequences, and the per-token cost the single-turn comparison above shows) was not profiled in this run.',
        ]
      : [];
  return [
    '## 3b. Multi-turn, multi-user chat',
    '',
    `\`npm run bench:multi-turn\`. Model ${settings.model}, ${settings.threads} decode thread(s) and ${settings.threadsBatch} prompt thread(s) on both servers, greedy, ` +
      `answers of up to ${settings.maxTokens} tokens, ${settings.window} tokens of window per conversation, ~40-token questions, over /v1/chat/completions on both sides.`,
    '',
    `**Rotation**: ${settings.users} users × ${settings.turns} turns, one request at a time in rotation, so every user comes back after all the others. ` +
      `Histories pass the window: the client leaves out whole quarter-window pages of old turns (counted with the model's tokenizer), identically for both servers, ` +
      `so both get the same messages. anychat: \`--parallel ${settings.slots}\` and its default prompt cache; llama-server: its defaults (unified KV cache, automatic slots, ` +
      `\`--cache-ram\` 8192 MiB) with \`-c ${settings.slots * settings.window}\`, the same KV cells. Prompt tokens evaluated: llama-server's \`timings.prompt_n\`, anychat's ` +
      `\`anychat_engine_prompt_tokens_total{source="evaluated"}\`. Failed requests are sent again (up to twice) and counted. ` +
      `Target: throughput ≥ ${MINIMUM_ROTATION_THROUGHPUT_RATIO}× llama-server's and p95 TTFT no higher.`,
    '',
    rotationRows.length > 0
      ? markdownTable(['Server', 'Total s', 'Tokens/s', 'Ratio', 'TTFT p50 / p95 ms', 'Prompt tokens evaluated per turn, mean / p50 / p95', 'Turns', 'Turns with history left out', 'Target'], rotationRows)
      : '_Not measured._',
    '',
    overflow
      ? `**Overflow** (anychat defaults, one conversation of ${settings.overflowTurns} turns sent whole, so anychat's drop-oldest fits it): median TTFT ` +
        `${fixed(overflow.medianTimeToFirstTokenBeforeMs, 0)} ms over ${overflow.turnsBeforeFull} turns before the window filled, ` +
        `${fixed(overflow.medianTimeToFirstTokenAfterMs, 0)} ms over ${overflow.turnsAfterFull} turns after: **${fixed(overflow.ratio, 2)}×** ` +
        `(target ≤ ${MAXIMUM_OVERFLOW_TTFT_RATIO}×) ${verdict(overflow.ratio <= MAXIMUM_OVERFLOW_TTFT_RATIO)}`
      : '**Overflow**: not measured.',
    '',
    takingTurns
      ? `**Taking turns** (anychat defaults: \`--parallel 1\`, prompt cache on): ${settings.takingTurns.conversations} conversations in rotation, median TTFT of their later turns ` +
        `${fixed(takingTurns.togetherMedianTimeToFirstTokenMs, 0)} ms against ${fixed(takingTurns.aloneMedianTimeToFirstTokenMs, 0)} ms for one conversation alone: ` +
        `**${fixed(takingTurns.ratio, 2)}×** (target ≤ ${MAXIMUM_TAKING_TURNS_TTFT_RATIO}×) ${verdict(takingTurns.ratio <= MAXIMUM_TAKING_TURNS_TTFT_RATIO)}`
      : '**Taking turns**: not measured.',
    ...(notes.length > 0 ? ['', ...notes.map((note) => `- ${note}`)] : []),
    ...gapNote,
  ].join('\n');
}
