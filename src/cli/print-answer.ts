import type { GenerationEvent } from '../backends/backend.ts';
import type { ToolCallRecord } from '../chat/tools/tool-call-record.ts';
import type { ToolLoopEvent } from '../chat/tools/tool-loop.ts';
import { adviceFor } from './failure-advice.ts';
import { describeToolUpdate } from './terminal-tools.ts';

export interface PrintedAnswer {
  text: string;
  last: GenerationEvent | undefined;
  /** The tools called, as they ended. */
  toolCalls: ToolCallRecord[];
}

/** Where a thinking model's thoughts go: apart from the answer, so stdout stays the answer alone. */
export interface ReasoningOutput {
  /** null: thinking is not shown (`--hide-reasoning`). */
  stream: NodeJS.WritableStream | null;
  /** Faint (ANSI dim), for a terminal; plain text when the stream is a file or a pipe. */
  dim: boolean;
}

const DIM = '\x1b[2m';
const NOT_DIM = '\x1b[22m';

/** Thinking to stderr, dimmed when stderr is a terminal, or nowhere with `--hide-reasoning`. */
export function reasoningOutput(hide: boolean | undefined): ReasoningOutput {
  return hide ? { stream: null, dim: false } : { stream: process.stderr, dim: process.stderr.isTTY === true };
}

/**
 * Writes text deltas as they arrive and returns the whole text with the event that ended it.
 * Thinking (`reasoning-delta`) goes to `reasoning.stream`, never to `output`, and ends with a line
 * break once the answer starts or the stream ends.
 */
export async function printAnswer(
  events: AsyncIterable<ToolLoopEvent>,
  output: NodeJS.WritableStream,
  reasoning: ReasoningOutput = { stream: null, dim: false },
): Promise<PrintedAnswer> {
  let text = '';
  let last: GenerationEvent | undefined;
  const toolCalls = new Map<string, ToolCallRecord>();
  let thinking = false;
  const endThinking = () => {
    if (!thinking) return;
    thinking = false;
    reasoning.stream?.write(reasoning.dim ? `${NOT_DIM}\n` : '\n');
  };
  try {
    for await (const event of events) {
      if (event.type === 'step-start') continue;
      if (event.type === 'tool-update') {
        // Tool calls and results go to stderr, like thinking: stdout stays the answer alone.
        endThinking();
        toolCalls.set(event.call.id, event.call);
        const line = describeToolUpdate(event.call);
        if (line) process.stderr.write(`${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
        continue;
      }
      last = event;
      if (event.type === 'reasoning-delta' && reasoning.stream) {
        if (!thinking && reasoning.dim) reasoning.stream.write(DIM);
        thinking = true;
        reasoning.stream.write(event.text);
      }
      if (event.type === 'text-delta') {
        endThinking();
        text += event.text;
        output.write(event.text);
      }
    }
  } finally {
    // A terminal left dim after a failure or Ctrl-C would dim the shell's prompt too.
    endThinking();
  }
  return { text, last, toolCalls: [...toolCalls.values()] };
}

/** One line a person can read: what ended the answer, how many tokens, how fast. */
export function describeEnding(event: GenerationEvent | undefined): string {
  if (!event) return 'the stream ended without a result';
  if (event.type === 'error') return `error (${event.code}): ${event.message} — ${adviceFor(event.code)}`;
  if (event.type !== 'finish') return 'the stream ended early';
  // "stopped", as the page says it: one word for an answer cut short by its reader.
  const parts = [`finish: ${event.reason === 'aborted' ? 'stopped' : event.reason}`, `${event.usage.promptTokens} prompt + ${event.usage.completionTokens} new tokens`];
  if (event.timings.tokensPerSecond !== null) parts.push(`${event.timings.tokensPerSecond.toFixed(1)} tokens/s`);
  if (event.timings.timeToFirstTokenMs !== null) parts.push(`first token after ${Math.round(event.timings.timeToFirstTokenMs)} ms`);
  return parts.join(', ');
}

