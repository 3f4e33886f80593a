import type { ToolCallRecord } from '../types/api.ts';

export type AnswerPart = { kind: 'text'; text: string } | { kind: 'tools'; calls: ToolCallRecord[] };

/**
 * An answer's text cut where the model called tools (each step's calls sit at the text's length
 * when it made them), so each block of calls shows between the text before it and after it.
 */
export function answerParts(text: string, toolCalls: readonly ToolCallRecord[] | undefined): AnswerPart[] {
  if (!toolCalls || toolCalls.length === 0) return [{ kind: 'text', text }];
  const parts: AnswerPart[] = [];
  const steps = [...new Set(toolCalls.map((call) => call.step))].sort((a, b) => a - b);
  let offset = 0;
  for (const step of steps) {
    const calls = toolCalls.filter((call) => call.step === step);
    const end = Math.max(offset, Math.min(text.length, calls[0]!.textOffset));
    if (end > offset) parts.push({ kind: 'text', text: text.slice(offset, end) });
    parts.push({ kind: 'tools', calls });
    offset = end;
  }
  parts.push({ kind: 'text', text: text.slice(offset) });
  return parts;
}
