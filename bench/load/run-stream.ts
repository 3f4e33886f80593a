import { checkTokens, echoText, faultyTokens } from './expected-text.ts';
import type { LoadHttpClient } from './http-client.ts';
import type { StreamStep, StreamSurface } from './stream-surfaces.ts';
import type { StreamTally } from './stream-tally.ts';

export interface StreamOptions {
  /** Unique per stream: its words carry it, so a token from another stream is caught. */
  streamId: number;
  wordCount: number;
  /** Keep per-token timings (the concurrent phase); the sequential phase only checks. */
  recordTimings: boolean;
}

interface StreamState {
  received: string;
  tokens: number;
  sentAt: number;
  /** Arrival time of each text event, when timings are recorded. */
  arrivals: number[];
  end: Extract<StreamStep, { kind: 'end' }> | null;
  error: string | null;
}

export interface StreamResult {
  ok: boolean;
  /** The text asked for: what storage must hold for the app API's conversation. */
  expected: string;
  /** The app API's conversation (null for the other surfaces, or when it could not be created). */
  conversationId: string | null;
}

/**
 * One request on one surface, start to end: asks for a known text, reassembles the streamed
 * tokens, and counts the stream as completed only when the text is exact, the server ended it
 * properly, and what the server reports as the whole answer matches too. Anything else is an
 * error with its reason.
 */
export async function runStream(client: LoadHttpClient, surface: StreamSurface, options: StreamOptions, tally: StreamTally): Promise<StreamResult> {
  const expected = echoText(options.streamId, options.wordCount);
  const state: StreamState = { received: '', tokens: 0, sentAt: 0, arrivals: [], end: null, error: null };
  let conversationId: string | null = null;
  tally.started++;
  tally.open++;
  try {
    const prepared = await surface.prepare(client, expected, options.wordCount);
    conversationId = prepared.conversationId;
    state.sentAt = performance.now();
    const outcome = await client.stream(prepared.path, prepared.body, (event, receivedAt) => readEvent(surface, state, event, receivedAt, options.recordTimings));
    if (outcome.status < 200 || outcome.status >= 300) state.error ??= `status ${outcome.status} ${outcome.errorBody ?? ''}`;
  } catch (error) {
    state.error ??= (error as Error).message;
  } finally {
    tally.open--;
  }
  const check = checkTokens(expected, state.received);
  const storedText = state.end?.storedText ?? null;
  const storedDiffers = storedText !== null && storedText !== expected;
  const mismatch = !check.exact || storedDiffers;
  tally.faultyTokens += faultyTokens(check);
  if (mismatch) tally.mismatches++;
  const problem = state.error ?? (state.end === null ? 'the stream ended without its closing event' : state.end.problem);
  if (problem !== null || mismatch) {
    const detail = mismatch
      ? `text mismatch (dropped ${check.dropped}, duplicated ${check.duplicated}, reordered ${check.reordered}, foreign ${check.foreign}${storedDiffers ? ', stored text differs' : ''})`
      : null;
    tally.recordError(surface.name, [problem, detail].filter(Boolean).join('; '));
    return { ok: false, expected, conversationId };
  }
  if (options.recordTimings && state.arrivals.length > 0) {
    const timeToFirstToken = (state.arrivals[0] as number) - state.sentAt;
    tally.timeToFirstTokenMs.push(timeToFirstToken);
    tally.timeToFirstTokenMsBySurface[surface.name].push(timeToFirstToken);
    for (let index = 1; index < state.arrivals.length; index++) tally.interTokenMs.push((state.arrivals[index] as number) - (state.arrivals[index - 1] as number));
  }
  tally.recordCompleted(surface.name, state.tokens);
  return { ok: true, expected, conversationId };
}

function readEvent(surface: StreamSurface, state: StreamState, event: Parameters<StreamSurface['interpret']>[0], receivedAt: number, recordTimings: boolean): void {
  let step: StreamStep;
  try {
    step = surface.interpret(event);
  } catch (error) {
    state.error ??= `unreadable event ${event.data.slice(0, 80)}: ${(error as Error).message}`;
    return;
  }
  if (step.kind === 'ignore') return;
  // Nothing may follow the closing event: a token after it would be lost by any real client.
  if (state.end !== null) state.error ??= `${step.kind} event after the end of the stream`;
  if (step.kind === 'text') {
    state.received += step.text;
    state.tokens++;
    if (recordTimings) state.arrivals.push(receivedAt);
  } else if (step.kind === 'end') state.end ??= step;
  else state.error ??= step.message;
}
