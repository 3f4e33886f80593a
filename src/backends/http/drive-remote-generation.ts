import { AnswerStreamSplitter } from '../../chat/answer-stream-splitter.ts';
import type { ReasoningSyntax } from '../../chat/reasoning/split-reasoning.ts';
import { StopSequenceMatcher } from '../../chat/stop-sequence-matcher.ts';
import { BackendError, type FinishReason, type GenerationEvent } from '../backend.ts';
import { GenerationMeter } from '../generation-meter.ts';
import { shortenUpstreamMessage } from './upstream-error-body.ts';
import type { UpstreamGenerationPart } from './upstream-generation-part.ts';
import { defaultUpstreamLimits, describeUpstreamLimit, type UpstreamLimits } from './upstream-limits.ts';

export interface RemoteGenerationOptions {
  /** Parsed upstream output. Returning early from it must cancel the HTTP request. */
  parts: AsyncIterable<UpstreamGenerationPart>;
  stopSequences: readonly string[];
  maxNewTokens: number;
  signal?: AbortSignal | undefined;
  meter: GenerationMeter;
  /** Prompt tokens when the server does not report them; must not throw. */
  countPromptTokens: () => Promise<number>;
  /** Used for aborted generations, where waiting on one more request would delay the stop. */
  estimatedPromptTokens: number;
  serverLabel: string;
  /** Thinking left inline in the text (`<think>…</think>`) to split off; null: leave the text as it is. */
  reasoning?: ReasoningSyntax | null | undefined;
  /** `maxTokenBytes` is checked here; the SSE reader checks the line and event caps. */
  limits?: UpstreamLimits;
}

/**
 * Turns upstream parts into the contract's events: our own StopSequenceMatcher runs on every
 * delta (TGI returns the stop sequence inside the text; OpenAI-compatible servers strip it; this
 * works for both), the caller's signal ends with `aborted`, and any fault becomes one `error`
 * event after the text already produced. anychat counts tokens itself and ends with `length` at
 * `maxNewTokens`, cutting the upstream: a server that ignores the limit once streamed 938,023
 * events in 30 s to a request asking for 5.
 */
export async function* driveRemoteGeneration(options: RemoteGenerationOptions): AsyncGenerator<GenerationEvent> {
  const { meter, signal } = options;
  const matcher = new StopSequenceMatcher(options.stopSequences);
  // Calls come whole from the upstream parsers; the splitter only separates inline thinking here.
  const answer = new AnswerStreamSplitter({ reasoning: options.reasoning ?? null, tools: [], callRequired: false });
  const toolCalls: GenerationEvent[] = [];
  const aborted = () => meter.finish('aborted', options.estimatedPromptTokens);
  const limits = options.limits ?? defaultUpstreamLimits;
  try {
    for await (const part of options.parts) {
      if (signal?.aborted) {
        yield aborted();
        return;
      }
      const partBytes = part.type !== 'tool-call' && part.type !== 'tool-call-delta' && part.text ? Buffer.byteLength(part.text) : 0;
      if (partBytes > limits.maxTokenBytes) {
        throw new BackendError('protocol', `${options.serverLabel} sent one token of ${partBytes} bytes, larger than ${describeUpstreamLimit(limits, 'maxTokenBytes')}`);
      }
      // A server honouring the limit ends with its finish part by now (TGI sends the last token
      // inside it); more generated text, thinking included, means it ignores the limit. Leaving
      // the loop cancels the request.
      if ((part.type === 'text' || part.type === 'reasoning') && part.tokenCount > 0 && meter.completionTokens >= options.maxNewTokens) {
        const rest = matcher.flush();
        if (rest) yield* answer.push(rest);
        yield* answer.finish().events;
        yield meter.finish('length', await options.countPromptTokens());
        return;
      }
      if (part.type === 'reasoning') {
        if (part.tokenCount > 0) meter.recordTokens(part.tokenCount);
        yield { type: 'reasoning-delta', text: part.text };
        continue;
      }
      if (part.type === 'tool-call-delta') {
        yield { ...part };
        continue;
      }
      if (part.type === 'tool-call') {
        toolCalls.push({ type: 'tool-call', index: toolCalls.length, call: part.call });
        continue;
      }
      if (part.type === 'text') {
        if (part.tokenCount > 0) meter.recordTokens(part.tokenCount);
        const { text, stopped } = matcher.push(part.text);
        if (text || part.logprobs) yield* answer.push(text, part.logprobs, part.tokenId);
        if (stopped) {
          yield* answer.finish().events;
          // Leaving the loop cancels the request, so the server stops generating too.
          yield meter.finish('stop', await options.countPromptTokens());
          return;
        }
        if (signal?.aborted) {
          yield aborted();
          return;
        }
        continue;
      }
      if (part.tokenCount) meter.recordTokens(part.tokenCount);
      const last = matcher.push(part.text ?? '');
      const rest = last.stopped ? last.text : last.text + matcher.flush();
      if (rest) yield* answer.push(rest);
      yield* answer.finish().events;
      yield* toolCalls;
      const completionTokens = part.completionTokens ?? meter.completionTokens;
      const promptTokens = part.promptTokens ?? (await options.countPromptTokens());
      const reason = last.stopped ? 'stop' : toolCalls.length > 0 ? 'tool-calls' : decideReason(part.reason, completionTokens, options.maxNewTokens);
      const finished = meter.finish(reason, promptTokens, completionTokens);
      yield part.promptLogprobs ? { ...finished, promptLogprobs: part.promptLogprobs } : finished;
      return;
    }
    if (signal?.aborted) {
      yield aborted();
      return;
    }
    throw new BackendError('stream-cut', `${options.serverLabel} ended the stream before its final event`);
  } catch (error) {
    if (signal?.aborted) {
      yield aborted();
      return;
    }
    // Text held back as a possible stop-sequence prefix was still produced by the model: keep it.
    const rest = matcher.flush();
    if (rest) yield* answer.push(rest);
    yield* answer.finish().events;
    yield errorEvent(error, options.serverLabel);
  }
}

/** A server that does not say why it stopped most likely hit our limit if it produced exactly that many tokens. */
function decideReason(reason: FinishReason | null, completionTokens: number, maxNewTokens: number): FinishReason {
  if (reason !== null) return reason;
  return completionTokens >= maxNewTokens ? 'length' : 'eos';
}

export function errorEvent(error: unknown, serverLabel: string): GenerationEvent {
  if (error instanceof BackendError) {
    // An error event inside the stream may be as large as the event cap: keep what a person reads.
    const message = shortenUpstreamMessage(error.message);
    return error.status === undefined
      ? { type: 'error', code: error.code, message }
      : { type: 'error', code: error.code, message, status: error.status };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'error', code: 'upstream', message: shortenUpstreamMessage(`${serverLabel}: ${message}`) };
}
