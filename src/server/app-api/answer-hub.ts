import type { StoredMessage } from '../../chat/conversation.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';

export type AnswerListener = (event: AnswerStreamEvent) => void;

/** The handle of an answer being generated in this process. */
export interface AnswerPublisher {
  publish(event: AnswerStreamEvent): void;
  /** The answer has ended (its last event published); followers are detached. */
  close(): void;
}

export interface AnswerFollowOptions {
  /** Told how many follow the answer whenever that changes, so the generator can stop once nobody does. */
  onFollowerCount?: (count: number) => void;
}

/**
 * Who is generating which answer, so that `stop` and re-attaching (`GET /api/messages/:id/stream`)
 * reach it. The in-process hub below covers one server; shared-answer-hub.ts wraps it with the
 * store's answer notifications (LISTEN/NOTIFY on PostgreSQL) so another server can stop or follow
 * an answer too. That one is what buildApp uses.
 */
export interface AnswerHub {
  /** Announces an answer this process is generating. `stop` is called when someone asks it to stop. */
  open(answer: StoredMessage, stop: () => void, options?: AnswerFollowOptions): AnswerPublisher;
  /**
   * Follows a live answer: the listener first gets `answer-start` whose message holds the text so
   * far, then every later event, so "replace on answer-start, append on text-delta" rebuilds the
   * answer whenever one attaches. Resolves to an unsubscribe function, or null when no live answer
   * has this id.
   */
  follow(messageId: string, listener: AnswerListener): Promise<(() => void) | null>;
  /** Asks the answer to stop; resolves true if a live answer with this id was found. */
  stop(messageId: string): Promise<boolean>;
  isLive(messageId: string): Promise<boolean>;
}

interface LiveAnswer {
  start: StoredMessage;
  text: string;
  listeners: Set<AnswerListener>;
  stop: () => void;
  onFollowerCount: ((count: number) => void) | undefined;
}

export function createInProcessAnswerHub(): AnswerHub {
  const live = new Map<string, LiveAnswer>();

  return {
    open(answer, stop, options = {}) {
      const entry: LiveAnswer = { start: answer, text: answer.content, listeners: new Set(), stop, onFollowerCount: options.onFollowerCount };
      live.set(answer.id, entry);
      return {
        publish(event) {
          if (event.type === 'text-delta') entry.text += event.text;
          // A listener that throws (a closed socket) must not stop the others from hearing.
          for (const listener of [...entry.listeners]) {
            try {
              listener(event);
            } catch {
              entry.listeners.delete(listener);
            }
          }
        },
        close() {
          if (live.get(answer.id) === entry) live.delete(answer.id);
          entry.listeners.clear();
        },
      };
    },
    async follow(messageId, listener) {
      const entry = live.get(messageId);
      if (!entry) return null;
      listener({ type: 'answer-start', message: { ...entry.start, content: entry.text } });
      entry.listeners.add(listener);
      entry.onFollowerCount?.(entry.listeners.size);
      return () => {
        if (!entry.listeners.delete(listener)) return;
        entry.onFollowerCount?.(entry.listeners.size);
      };
    },
    async stop(messageId) {
      const entry = live.get(messageId);
      entry?.stop();
      return entry !== undefined;
    },
    async isLive(messageId) {
      return live.has(messageId);
    },
  };
}
