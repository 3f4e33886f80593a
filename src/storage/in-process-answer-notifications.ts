import type { AnswerListener, AnswerNotification, AnswerNotifications } from './answer-notifications.ts';

/**
 * Answer notifications within one process: for PGlite, which only one process may open, and for
 * the in-memory store. PostgreSQL's version is in postgres/answer-notifications.ts.
 */
export function createInProcessAnswerNotifications(): AnswerNotifications & {
  /** Delivers to this process's listeners; the PostgreSQL version feeds received notifications here. */
  deliver(notification: AnswerNotification): void;
  readonly subscriberCount: number;
} {
  const listenersByMessageId = new Map<string, Set<AnswerListener>>();

  const deliver = (notification: AnswerNotification) => {
    for (const listener of listenersByMessageId.get(notification.messageId) ?? []) {
      // One faulty listener (a page whose socket just closed) must not stop the others or the publisher.
      try {
        listener(notification);
      } catch (error) {
        process.emitWarning(`an answer listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  return {
    deliver,
    get subscriberCount() {
      return [...listenersByMessageId.values()].reduce((count, listeners) => count + listeners.size, 0);
    },
    async publish(notification) {
      deliver(notification);
    },
    async subscribeToAnswer(messageId, listener) {
      const listeners = listenersByMessageId.get(messageId) ?? new Set<AnswerListener>();
      listenersByMessageId.set(messageId, listeners);
      // A wrapper, so subscribing the same function twice gives two independent subscriptions.
      const subscription: AnswerListener = (notification) => listener(notification);
      listeners.add(subscription);
      return async () => {
        listeners.delete(subscription);
        if (listeners.size === 0) listenersByMessageId.delete(messageId);
      };
    },
    async close() {
      listenersByMessageId.clear();
    },
  };
}
