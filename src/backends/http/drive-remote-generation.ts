import { StopSequenceMatcher } from '../../chat/stop-sequence-matcher.ts';
import { BackendError, type FinishReason, type GenerationEvent } from '../backend.ts';
import { GenerationMeter } from '../generation-meter.ts';
import type { UpstreamGenerationPart } from './upstream-generation-part.ts';

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
}

/**
 * Turns upstream parts into the contract's events: our own StopSequenceMatcher runs on every
 * delta (TGI returns the stop sequence inside the text; OpenAI-compatible servers strip it; this
 * works for both), the caller's signal ends with `aborted`, and any fault becomes one `error`
 * event after the text already produced.
 */
export async function* driveRemoteGeneration(options: RemoteGenerationOptions): AsyncGenerator<GenerationEvent> {
  const { meter, signal } = options;
  const matcher = new StopSequenceMatcher(options.stopSequences);
  const aborted = () => meter.finish('aborted', options.estimatedPromptTokens);
  try {
    for await (const part of options.parts) {
      if (signal?.aborted) {
        yield aborted();
        return;
      }
      if (part.type === 'text') {
        if (part.tokenCount > 0) meter.recordTokens(part.tokenCount);
        const { text, stopped } = matcher.push(part.text);
        if (text) yield part.tokenId === undefined ? { type: 'text-delta', text } : { type: 'text-delta', text, tokenId: part.tokenId };
        if (stopped) {
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
      if (rest) yield { type: 'text-delta', text: rest };
      const completionTokens = part.completionTokens ?? meter.completionTokens;
      const promptTokens = part.promptTokens ?? (await options.countPromptTokens());
      const reason = last.stopped ? 'stop' : decideReason(part.reason, completionTokens, options.maxNewTokens);
      yield meter.finish(reason, promptTokens, completionTokens);
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
    if (rest) yield { type: 'text-delta', text: rest };
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
    return error.status === undefined
      ? { type: 'error', code: error.code, message: error.message }
      : { type: 'error', code: error.code, message: error.message, status: error.status };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { type: 'error', code: 'upstream', message: `${serverLabel}: ${message}` };
}
