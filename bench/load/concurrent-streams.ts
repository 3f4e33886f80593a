import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadHttpClient } from './http-client.ts';
import { runStream } from './run-stream.ts';
import { streamSurfaces } from './stream-surfaces.ts';
import type { StreamTally } from './stream-tally.ts';

export interface ConcurrentSettings {
  clients: number;
  /** How long every client keeps a stream open once all have started. */
  holdSeconds: number;
  /** Clients start spread over this long, as users arrive, not in one burst of connections. */
  rampSeconds: number;
  wordsPerStream: number;
}

export interface ConcurrentOutcome {
  /** App API conversations whose answer streamed back exactly, with that text: each must be in storage later. */
  conversations: Map<string, string>;
  wallSeconds: number;
}

/** After a failed stream a client waits this long, so a server refusing everything is not hammered in a tight loop. */
const RETRY_PAUSE_MS = 100;

/**
 * `clients` clients, each on one surface (round robin over TGI, OpenAI and the app API), each
 * keeping one stream open at all times: when its stream ends it starts the next, until the hold
 * time is over. Streams under way then run to their end. Phase changes go to `onPhase`.
 */
export async function runConcurrentStreams(
  client: LoadHttpClient,
  settings: ConcurrentSettings,
  tally: StreamTally,
  nextStreamId: () => number,
  onPhase: (phase: 'ramp' | 'hold' | 'drain') => void,
): Promise<ConcurrentOutcome> {
  const conversations = new Map<string, string>();
  const startedAt = performance.now();
  const rampEndsAt = startedAt + settings.rampSeconds * 1000;
  const deadline = rampEndsAt + settings.holdSeconds * 1000;
  onPhase('ramp');
  const holdTimer = setTimeout(() => onPhase('hold'), rampEndsAt - startedAt);
  // The first client to stop ends the hold, not a timer: on a busy box the timer fires late, and
  // samples taken after clients stopped would count as streams not held.
  let draining = false;
  const stopStreaming = () => {
    if (draining) return;
    draining = true;
    onPhase('drain');
  };

  const keepStreaming = async (clientIndex: number): Promise<void> => {
    await sleep((clientIndex / settings.clients) * settings.rampSeconds * 1000);
    const surface = streamSurfaces[clientIndex % streamSurfaces.length]!;
    while (performance.now() < deadline) {
      const result = await runStream(client, surface, { streamId: nextStreamId(), wordCount: settings.wordsPerStream, recordTimings: true }, tally);
      if (result.ok && result.conversationId) conversations.set(result.conversationId, result.expected);
      if (!result.ok) await sleep(RETRY_PAUSE_MS);
    }
    stopStreaming();
  };
  await Promise.all(Array.from({ length: settings.clients }, (_, index) => keepStreaming(index)));
  clearTimeout(holdTimer);
  return { conversations, wallSeconds: (performance.now() - startedAt) / 1000 };
}
