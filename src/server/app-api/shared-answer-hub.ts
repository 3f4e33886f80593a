import type { AnswerNotification } from '../../storage/answer-notifications.ts';
import type { ConversationStore } from '../../storage/conversation-store.ts';
import { createInProcessAnswerHub, type AnswerHub } from './answer-hub.ts';
import { followRemoteAnswer, type RemoteFollowTiming } from './remote-answer-follower.ts';

export interface SharedAnswerHubOptions {
  /** Told when a notification could not be published (the database is unreachable). */
  onPublishError?: (error: unknown) => void;
  timing?: Partial<RemoteFollowTiming>;
}

const defaultTiming: RemoteFollowTiming = { heartbeatMs: 1_000, silenceCheckMs: 3_000 };

/** Missed heartbeats after which a remote follower is taken to have gone. */
const MISSED_HEARTBEATS_BEFORE_GONE = 3;

/**
 * The answer hub for several servers on one database: answers generated here are followed and
 * stopped through the in-process hub (no round trip for the common case), and announced through
 * the store's answer notifications (PostgreSQL LISTEN/NOTIFY, or in-process for PGlite and
 * memory), so a page connected to another server can follow or stop them too. An answer that is
 * not live here but stored as `streaming` is followed through notifications
 * (remote-answer-follower.ts) and stopped with a `stop-request`.
 */
export function createSharedAnswerHub(store: ConversationStore, options: SharedAnswerHubOptions = {}): AnswerHub {
  const local = createInProcessAnswerHub();
  const notifications = store.answerNotifications;
  const timing = { ...defaultTiming, ...options.timing };
  const remoteFollowerLifetimeMs = timing.heartbeatMs * MISSED_HEARTBEATS_BEFORE_GONE;
  const publish = (notification: AnswerNotification) =>
    void notifications.publish(notification).catch((error: unknown) => options.onPublishError?.(error));
  const isStreamingInStore = async (messageId: string) =>
    (await store.getMessage(messageId))?.generation?.status === 'streaming';

  return {
    open(answer, stop, followOptions = {}) {
      const messageId = answer.id;
      let text = answer.content;
      let localFollowers = 0;
      let remoteFollowerUntil = 0;
      let remoteExpiry: NodeJS.Timeout | undefined;
      const remoteFollowed = () => Date.now() < remoteFollowerUntil;
      // Remote followers count as one reader: enough to keep the answer generating.
      const reportFollowers = () => followOptions.onFollowerCount?.(localFollowers + (remoteFollowed() ? 1 : 0));

      const publisher = local.open(answer, stop, {
        onFollowerCount: (count) => {
          localFollowers = count;
          reportFollowers();
        },
      });
      const onNotification = (notification: AnswerNotification) => {
        if (notification.type === 'stop-request') stop();
        if (notification.type !== 'follower-heartbeat') return;
        const wasFollowed = remoteFollowed();
        remoteFollowerUntil = Date.now() + remoteFollowerLifetimeMs;
        clearTimeout(remoteExpiry);
        remoteExpiry = setTimeout(reportFollowers, remoteFollowerLifetimeMs + 1);
        remoteExpiry.unref();
        if (notification.catchUp && text) publish({ type: 'text-delta', messageId, offset: 0, text });
        if (!wasFollowed) reportFollowers();
      };
      const subscription = notifications.subscribeToAnswer(messageId, onNotification).catch((error: unknown) => {
        options.onPublishError?.(error);
        return null;
      });

      return {
        publish(event) {
          if (event.type === 'text-delta') {
            const offset = text.length;
            text += event.text;
            if (remoteFollowed()) publish({ type: 'text-delta', messageId, offset, text: event.text });
          }
          publisher.publish(event);
        },
        close() {
          publisher.close();
          clearTimeout(remoteExpiry);
          // The session closes after its final save, so followers elsewhere read the final answer.
          publish({ type: 'answer-end', messageId });
          void subscription.then((unsubscribe) => unsubscribe?.());
        },
      };
    },

    async follow(messageId, listener) {
      return (await local.follow(messageId, listener)) ?? followRemoteAnswer(store, messageId, listener, timing);
    },

    async stop(messageId) {
      if (await local.stop(messageId)) return true;
      if (!(await isStreamingInStore(messageId))) return false;
      await notifications.publish({ type: 'stop-request', messageId });
      return true;
    },

    async isLive(messageId) {
      return (await local.isLive(messageId)) || isStreamingInStore(messageId);
    },
  };
}
