import type { GenerationEvent } from '../../backends/backend.ts';
import type { ToolLoopEvent } from '../../chat/tools/tool-loop.ts';
import type { ServedModel } from '../models/served-model.ts';
import type { ServerMetrics } from '../observability/server-metrics.ts';
import type { AbortCause, RunningGenerations } from './running-generations.ts';

/** What the request log line reports about a generation. */
export interface GenerationStats {
  model: string;
  promptTokens: number | null;
  completionTokens: number;
  timeToFirstTokenMs: number | null;
  tokensPerSecond: number | null;
  outcome: string | null;
  /** Resolves when the generation has ended and these numbers are final. */
  ended: Promise<void>;
}

export interface GenerationRun<Event extends ToolLoopEvent = GenerationEvent> {
  readonly events: AsyncIterable<Event>;
  readonly stats: GenerationStats;
  abort(cause: AbortCause): void;
  /** Why the server cut this generation short, if it did. */
  readonly abortCause: AbortCause | null;
  /**
   * Names the app-API answer this run writes, so stop and delete reach it by message id; it stays
   * registered (a shutdown waits for it) until the returned function says the answer is saved.
   */
  nameAnswer(answerId: string): () => void;
}

export interface RunDependencies {
  metrics: ServerMetrics;
  running: RunningGenerations;
  limits: { requestTimeoutMs: number };
  scrubSecrets: (text: string) => string;
}

/**
 * Runs one generation through its model's queue. `enter` happens here, synchronously, so a full
 * queue throws its 429 before the route writes anything. The run then waits for its turn, streams
 * the backend's events, measures them, and frees the slot the moment it ends — including when the
 * client goes away, which aborts the backend's signal so the engine's sequence is freed.
 * A timeout ends the run with an `error` event (code `timeout`) after any text already produced.
 */
export function startGeneration<Event extends ToolLoopEvent = GenerationEvent>(
  model: ServedModel,
  produce: (signal: AbortSignal) => AsyncIterable<Event>,
  dependencies: RunDependencies,
): GenerationRun<Event> {
  const controller = new AbortController();
  let abortCause: AbortCause | null = null;
  let iterating = false;
  const ticket = model.queue.enter(controller.signal);
  // Registered from the start, so a shutdown also stops runs still waiting in the queue.
  const registration = dependencies.running.register((cause) => abort(cause));
  const abort = (cause: AbortCause) => {
    if (controller.signal.aborted) return;
    abortCause = cause;
    controller.abort(cause);
    // A run whose events nobody has started reading would otherwise hold its place forever.
    if (!iterating) {
      clearTimeout(timer);
      ticket.release();
      markEnded();
    }
  };
  const startedAt = performance.now();
  const timer = setTimeout(() => abort('timeout'), dependencies.limits.requestTimeoutMs);
  timer.unref();
  let markEnded!: () => void;
  const stats: GenerationStats = {
    ended: new Promise<void>((resolve) => {
      markEnded = () => {
        registration.unregister();
        // After the queue has let go (release comes first): the model may now count as idle.
        model.noteUsed();
        resolve();
      };
    }),
    model: model.id,
    promptTokens: null,
    completionTokens: 0,
    timeToFirstTokenMs: null,
    tokensPerSecond: null,
    outcome: null,
  };
  const { metrics } = dependencies;
  const labels = { model: model.id };
  // Bound once per run: label lookup on every token would cost more than the observation itself.
  const timeToFirstToken = metrics.timeToFirstToken.labels(labels);
  const interTokenDelay = metrics.interTokenDelay.labels(labels);

  async function* events(): AsyncGenerator<Event> {
    iterating = true;
    let lastDeltaAt: number | null = null;
    try {
      try {
        await ticket.turn;
      } catch {
        // Aborted while waiting in the queue: nothing was generated.
        yield* endAborted();
        return;
      }
      try {
        for await (const event of produce(controller.signal)) {
          if (event.type === 'text-delta' || event.type === 'reasoning-delta') {
            // Thinking is generated tokens too: the first thought is the first token.
            const now = performance.now();
            if (lastDeltaAt === null) {
              stats.timeToFirstTokenMs = Math.round(now - startedAt);
              timeToFirstToken.observe((now - startedAt) / 1000);
            } else {
              interTokenDelay.observe((now - lastDeltaAt) / 1000);
            }
            lastDeltaAt = now;
            yield event;
          } else if (event.type === 'tool-call' || event.type === 'tool-call-delta' || event.type === 'tool-update' || event.type === 'step-start') {
            // The app API's tool loop runs inside one run: its queue slot and timeout cover every step.
            yield event;
          } else if (event.type === 'finish') {
            stats.promptTokens = event.usage.promptTokens;
            stats.completionTokens = event.usage.completionTokens;
            stats.tokensPerSecond = event.timings.tokensPerSecond;
            metrics.generatedTokens.inc(labels, event.usage.completionTokens);
            if (event.reason === 'aborted' && abortCause === 'timeout') {
              yield* endTimedOut();
              return;
            }
            stats.outcome = event.reason;
            metrics.generations.inc({ ...labels, outcome: event.reason });
            yield event;
            return;
          } else {
            stats.outcome = `error:${event.code}`;
            metrics.generations.inc({ ...labels, outcome: 'error' });
            yield { ...event, message: dependencies.scrubSecrets(event.message) } as Event;
            return;
          }
        }
      } catch (error) {
        // The contract says backends never throw; one that does still must not take the server down.
        stats.outcome = 'error:generation';
        metrics.generations.inc({ ...labels, outcome: 'error' });
        yield { type: 'error', code: 'generation', message: dependencies.scrubSecrets(error instanceof Error ? error.message : String(error)) } as Event;
      }
    } finally {
      clearTimeout(timer);
      ticket.release();
      markEnded();
    }
  }

  function* endAborted(): Generator<Event> {
    if (abortCause === 'timeout') {
      yield* endTimedOut();
      return;
    }
    stats.outcome = 'aborted';
    metrics.generations.inc({ ...labels, outcome: 'aborted' });
    yield {
      type: 'finish',
      reason: 'aborted',
      usage: { promptTokens: 0, completionTokens: 0 },
      timings: { timeToFirstTokenMs: null, tokensPerSecond: null, totalMs: Math.round(performance.now() - startedAt) },
    } as Event;
  }

  function* endTimedOut(): Generator<Event> {
    stats.outcome = 'error:timeout';
    metrics.generations.inc({ ...labels, outcome: 'error' });
    yield { type: 'error', code: 'timeout', message: `the request took longer than ${dependencies.limits.requestTimeoutMs / 1000} s and was stopped` } as Event;
  }

  return {
    events: events(),
    stats,
    abort,
    get abortCause() {
      return abortCause;
    },
    nameAnswer: registration.nameAnswer,
  };
}
