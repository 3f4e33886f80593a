import { fixed, markdownTable } from './markdown-format.ts';
import type { BatchScalingResults } from './results-types.ts';

export function renderBatchScaling(results: BatchScalingResults): string {
  const { settings } = results;
  const [single] = results.results.conversations;
  const conversationRows = results.results.conversations.map((level) => [
    level.conversations,
    fixed(level.aggregateTokensPerSecond),
    fixed(level.steadyDecodeTokensPerSecond),
    single?.steadyDecodeTokensPerSecond && level.steadyDecodeTokensPerSecond ? `${fixed(level.steadyDecodeTokensPerSecond / single.steadyDecodeTokensPerSecond, 2)}×` : '–',
    fixed(level.perConversationDecodeTokensPerSecond),
    fixed(level.timeToFirstTokenMs, 0),
    fixed(1000 / level.aggregateTokensPerSecond, 1),
  ]);
  const historyRows = results.results.history.map((level) => {
    const native = results.results.nativeHistory?.find((row) => row.historyTokens === level.historyTokens);
    return [
      level.historyTokens,
      fixed(level.timeToFirstTokenMs, 0),
      fixed(level.promptTokensPerSecond),
      fixed(native?.promptTokensPerSecond),
      fixed(level.decodeTokensPerSecond),
      fixed(native?.decodeTokensPerSecond),
      native?.decodeTokensPerSecond ? fixed(level.decodeTokensPerSecond / native.decodeTokensPerSecond, 3) : '–',
    ];
  });
  return [
    '## 4. Scaling with batch and with history',
    '',
    `anychat's \`llamacpp\` backend, ${settings.model}, ${settings.threads} threads, ${settings.repetitions} repetition(s). ` +
      `Concurrent conversations share one context (one sequence each, batched by node-llama-cpp), each with ${settings.conversationHistoryTokens} tokens of history and ${settings.newTokens} new tokens; ` +
      'end-to-end tokens/s counts every completion token over the wall time, prompt processing included; “all decoding” counts only the tokens made while every conversation was past its prompt and not yet finished.',
    '',
    markdownTable(['Conversations', 'End-to-end tok/s', 'Decode tok/s, all decoding', 'Decode speed-up', 'Per conversation decode tok/s', 'TTFT median ms', 'Wall ms per token'], conversationRows),
    '',
    'One conversation as its history grows: time to first token (the whole history is the prompt) and decode speed after it, next to llama-bench at the same depth (`-p N` and `-n … -d N`) when measured.',
    '',
    markdownTable(['History tokens', 'TTFT ms', 'Prompt tok/s', 'llama-bench prompt tok/s', 'Decode tok/s', 'llama-bench decode tok/s', 'Decode ratio'], historyRows),
    ...(results.results.skipped?.length ? ['', ...results.results.skipped.map((line) => `- skipped: ${line}`)] : []),
  ].join('\n');
}
