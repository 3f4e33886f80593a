import type { StoredMessage } from '../../chat/conversation.ts';
import type { AnswerNotification, AnswerNotifications } from '../../storage/answer-notifications.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import type { AbortCause, RunningGenerations } from '../scheduling/running-generations.ts';
import type { AnswerStreamEvent } from './app-api-events.ts';
import { followRemoteAnswer, type RemoteFollowTiming } from './remote-answer-follower.ts';

export type AnswerListener = (event: AnswerStreamEvent) => void;

/** The handle of an answer being generated in this process. */
export interface AnswerPublisher {
  publish(event: AnswerStreamEvent): void;
  /** The answer has ended (its last event published, its final state saved); followers are detached. */
  close(): void;
  /**
   * Settles once other servers can reach the answer (its transport subscription is listening), so
   * a Stop pressed on another server after the first token is never lost.
   */
  readonly reachable: Promise<void>;
}

export interface AnswerHubOptions {
  store: ConversationStore;
  running: RunningGenerations;
  /**
   * Reaches other servers on the same database: the store's answer notifications (PostgreSQL
   * LISTEN/NOTIFY; in-process for PGlite). Without it the hub serves this process only.
   */
  transport?: AnswerNotifications | null;
  /** Told when a notification could not be published (the database is unreachable). */
  onTransportError?: (error: unknown) => void;
  timing?: Partial<RemoteFollowTiming>;
}

const defaultTiming: RemoteFollowTiming = { heartbeatMs: 1_000, silenceCheckMs: 3_000 };

/** Missed heartbeats after which a remote follower is taken to have gone. */
const MISSED_HEARTBEATS_BEFORE_GONE = 3;

interface LiveAnswer {
  start: StoredMessage;
  text: string;
  /** The thinking so far, relayed to followers on other servers like the text. */
  reasoning: string;
  listeners: Set<AnswerListener>;
  onFollowerCount: ((count: number) => void) | undefined;
  /** The answer as it stands (its thinking included), when the publisher can say. */
  current: (() => StoredMessage) | undefined;
}

/**
 * Fans out the answers generated in this process to whoever follows them (the request that asked,
 * tabs that re-attach), and, through the transport, to followers on other servers. An answer not
 * generated here but stored as `streaming` is followed through the transport
 * (remote-answer-follower.ts). Stopping goes through the registry of running generations here,
 * or as a `stop-request` to the server generating it.
 */
export class AnswerHub {
  private readonly live = new Map<string, LiveAnswer>();
  private readonly timing: RemoteFollowTiming;

  constructor(private readonly options: AnswerHubOptions) {
    this.timing = { ...defaultTiming, ...options.timing };
  }

  /** Announces an answer this process generates. `onFollowerCount` hears how many read it, so it can stop once nobody does. */
  open(answer: StoredMessage, onFollowerCount?: (count: number) => void, current?: () => StoredMessage): AnswerPublisher {
    const messageId = answer.id;
    const entry: LiveAnswer = {
      start: answer,
      text: answer.content,
      reasoning: answer.generation?.reasoning?.text ?? '',
      listeners: new Set(),
      onFollowerCount: undefined,
      current,
    };
    this.live.set(messageId, entry);
    const relay = this.options.transport ? this.relayToOtherServers(entry, onFollowerCount) : null;
    entry.onFollowerCount = relay ? relay.onLocalFollowerCount : onFollowerCount;

    return {
      reachable: relay ? relay.listening : Promise.resolve(),
      publish: (event) => {
        if (event.type === 'text-delta') {
          relay?.onDelta(entry.text.length, event.text, undefined);
          entry.text += event.text;
        }
        if (event.type === 'reasoning-delta') {
          relay?.onDelta(entry.reasoning.length, event.text, 'reasoning');
          entry.reasoning += event.text;
        }
        // A listener that throws (a closed socket) must not stop the others from hearing.
        for (const listener of [...entry.listeners]) {
          try {
            listener(event);
          } catch {
            entry.listeners.delete(listener);
          }
        }
      },
      close: () => {
        if (this.live.get(messageId) === entry) this.live.delete(messageId);
        entry.listeners.clear();
        relay?.close();
      },
    };
  }

  /**
   * Follows an answer: the listener first gets `answer-start` whose message holds the text so far,
   * then every later event, so "replace on answer-start, append on text-delta" rebuilds the answer
   * whenever one attaches. Resolves to an unsubscribe function, or null when no server generates it.
   */
  async follow(messageId: string, store: ConversationStore, listener: AnswerListener): Promise<(() => void) | null> {
    const entry = this.live.get(messageId);
    if (!entry) {
      if (!this.options.transport) return null;
      // Read through the follower's own store: another account's answer reads as gone.
      return followRemoteAnswer(store, messageId, listener, this.timing);
    }
    listener({ type: 'answer-start', message: { ...(entry.current?.() ?? entry.start), content: entry.text } });
    entry.listeners.add(listener);
    entry.onFollowerCount?.(entry.listeners.size);
    return () => {
      if (!entry.listeners.delete(listener)) return;
      entry.onFollowerCount?.(entry.listeners.size);
    };
  }

  /** Stops an answer, here or on the server generating it; resolves true if one was found. */
  async stop(messageId: string, cause: AbortCause = 'stopped', store: ConversationStore = this.options.store): Promise<boolean> {
    if (this.options.running.abortAnswer(messageId, cause)) return true;
    const transport = this.options.transport;
    if (!transport || !(await this.isStreamingInStore(messageId, store))) return false;
    await transport.publish({ type: 'stop-request', messageId });
    return true;
  }

  async isLive(messageId: string, store: ConversationStore = this.options.store): Promise<boolean> {
    return this.options.running.isGenerating(messageId) || (Boolean(this.options.transport) && (await this.isStreamingInStore(messageId, store)));
  }

  private async isStreamingInStore(messageId: string, store: ConversationStore): Promise<boolean> {
    return (await store.getMessage(messageId))?.generation?.status === 'streaming';
  }

  /**
   * Serves followers on other servers: hears their heartbeats (they count as one reader, enough
   * to keep the answer generating) and stop requests, and publishes deltas only while one follows,
   * so answers nobody follows elsewhere cost no notification per token.
   */
  private relayToOtherServers(entry: LiveAnswer, onFollowerCount: ((count: number) => void) | undefined) {
    const transport = this.options.transport!;
    const messageId = entry.start.id;
    const lifetimeMs = this.timing.heartbeatMs * MISSED_HEARTBEATS_BEFORE_GONE;
    let localFollowers = 0;
    let remoteFollowerUntil = 0;
    let remoteExpiry: NodeJS.Timeout | undefined;
    const publish = (notification: AnswerNotification) =>
      void transport.publish(notification).catch((error: unknown) => this.options.onTransportError?.(error));
    const remoteFollowed = () => Date.now() < remoteFollowerUntil;
    const reportFollowers = () => onFollowerCount?.(localFollowers + (remoteFollowed() ? 1 : 0));

    const subscription = transport
      .subscribeToAnswer(messageId, (notification) => {
        if (notification.type === 'stop-request') this.options.running.abortAnswer(messageId, 'stopped');
        if (notification.type !== 'follower-heartbeat') return;
        const wasFollowed = remoteFollowed();
        remoteFollowerUntil = Date.now() + lifetimeMs;
        clearTimeout(remoteExpiry);
        remoteExpiry = setTimeout(reportFollowers, lifetimeMs + 1);
        remoteExpiry.unref();
        if (notification.catchUp && entry.reasoning) publish({ type: 'text-delta', messageId, offset: 0, text: entry.reasoning, part: 'reasoning' });
        if (notification.catchUp && entry.text) publish({ type: 'text-delta', messageId, offset: 0, text: entry.text });
        if (!wasFollowed) reportFollowers();
      })
      .catch((error: unknown) => {
        this.options.onTransportError?.(error);
        return null;
      });

    return {
      listening: subscription.then(() => {}),
      onLocalFollowerCount: (count: number) => {
        localFollowers = count;
        reportFollowers();
      },
      onDelta: (offset: number, text: string, part: 'reasoning' | undefined) => {
        if (remoteFollowed()) publish({ type: 'text-delta', messageId, offset, text, ...(part ? { part } : {}) });
      },
      close: () => {
        clearTimeout(remoteExpiry);
        // Closed after the final save, so followers elsewhere read the final answer.
        publish({ type: 'answer-end', messageId });
        void subscription.then((unsubscribe) => unsubscribe?.());
      },
    };
  }
}
