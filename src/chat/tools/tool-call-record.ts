import { z } from 'zod';
import type { ChatMessage } from '../message.ts';

/**
 * Where a tool call stands. `pending`: made by the model, waiting its turn; `awaiting-approval`: the user is asked (policy `ask`); `running`;
 * then `done` (its result), `error` (a tool error, also what the model reads), `denied` by the
 * user, or `cancelled` (Stop, or the answer ended before it ran).
 */
export const toolCallStatusSchema = z.enum(['pending', 'awaiting-approval', 'running', 'done', 'error', 'denied', 'cancelled']);
export type ToolCallStatus = z.infer<typeof toolCallStatusSchema>;

/**
 * One call the model made while answering, stored in the answer's generation record. The calls
 * and the answer's text interleave: `textOffset` is how much of the answer's text came before it,
 * and the calls of one model turn share a `step`.
 */
export const toolCallRecordSchema = z.strictObject({
  id: z.string().min(1).max(200),
  /** The name the model called (`server__tool`). */
  name: z.string().min(1).max(200),
  server: z.string().max(200),
  tool: z.string().max(200),
  /** The arguments as the model wrote them (JSON text). */
  arguments: z.string(),
  step: z.number().int().min(0),
  textOffset: z.number().int().min(0),
  status: toolCallStatusSchema,
  /** The result (`done`) or the error the model is told (`error`, `denied`, `cancelled`). */
  result: z.string().nullable(),
  startedAt: z.iso.datetime({ offset: true }).nullable(),
  durationMs: z.number().min(0).nullable(),
});
export type ToolCallRecord = z.infer<typeof toolCallRecordSchema>;

/** What the model reads for a call: its result, or what became of it. */
export function toolMessageContent(call: ToolCallRecord): string {
  switch (call.status) {
    case 'done':
      return call.result ?? '';
    case 'error':
      return `Error: ${call.result ?? 'the tool failed'}`;
    case 'denied':
      return 'The user denied this tool call.';
    default:
      return 'The tool call was cancelled before it finished.';
  }
}

/**
 * A stored answer as the messages the model saw: for each step, the text before its calls with
 * the calls, then one `tool` message per result; then the text after the last step.
 */
export function answerMessages(content: string, toolCalls: readonly ToolCallRecord[] | undefined): ChatMessage[] {
  if (!toolCalls || toolCalls.length === 0) return [{ role: 'assistant', content }];
  const messages: ChatMessage[] = [];
  let offset = 0;
  const steps = [...new Set(toolCalls.map((call) => call.step))].sort((a, b) => a - b);
  for (const step of steps) {
    const calls = toolCalls.filter((call) => call.step === step);
    const end = Math.max(offset, Math.min(content.length, calls[0]!.textOffset));
    messages.push({
      role: 'assistant',
      content: content.slice(offset, end),
      toolCalls: calls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })),
    });
    for (const call of calls) messages.push({ role: 'tool', content: toolMessageContent(call), toolCallId: call.id });
    offset = end;
  }
  const tail = content.slice(offset);
  if (tail !== '') messages.push({ role: 'assistant', content: tail });
  return messages;
}
