import type { LoadHttpClient } from './http-client.ts';
import { runStream } from './run-stream.ts';
import { streamSurfaces } from './stream-surfaces.ts';
import type { StreamTally } from './stream-tally.ts';

export interface SequentialOutcome {
  /** Conversations whose answer streamed back exactly, with that text. */
  conversations: Map<string, string>;
  wallSeconds: number;
  /** Create + send + read to the end, one conversation at a time. */
  perConversationMs: number[];
}

const appSurface = streamSurfaces.find((surface) => surface.name === 'app')!;

/**
 * One user at a time, `count` times: a new conversation, one message, its answer read to the
 * end and checked. Nothing overlaps, so any slowdown over the run is the server's own (a growing
 * table, a leak), not contention.
 */
export async function runSequentialConversations(
  client: LoadHttpClient,
  count: number,
  wordsPerAnswer: number,
  tally: StreamTally,
  nextStreamId: () => number,
): Promise<SequentialOutcome> {
  const conversations = new Map<string, string>();
  const perConversationMs: number[] = [];
  const startedAt = performance.now();
  for (let index = 0; index < count; index++) {
    const conversationStartedAt = performance.now();
    const result = await runStream(client, appSurface, { streamId: nextStreamId(), wordCount: wordsPerAnswer, recordTimings: false }, tally);
    perConversationMs.push(performance.now() - conversationStartedAt);
    if (result.ok && result.conversationId) conversations.set(result.conversationId, result.expected);
  }
  return { conversations, wallSeconds: (performance.now() - startedAt) / 1000, perConversationMs };
}
