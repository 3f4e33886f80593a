/**
 * Answer notifications across servers, over PostgreSQL LISTEN/NOTIFY.
 *
 * The interface (src/storage/answer-notifications.ts) is three calls:
 *   publish(notification)                      → Promise<void>
 *   subscribeToAnswer(messageId, listener)     → Promise<unsubscribe>
 *   close()
 * with notifications `text-delta` { messageId, offset, text }, `answer-end` { messageId } and
 * `stop-request` { messageId }. See that file for how a follower combines them with the store.
 *
 * How: every server LISTENs on one channel, `anychat_answers`, through one dedicated connection
 * (LISTEN belongs to a session, so it cannot use the pool), opened on the first subscription.
 * Received notifications are handed to this process's listeners by message id. Publishing is
 * `pg_notify` through the pool; PostgreSQL delivers notifications in commit order, and publishes
 * are chained here so that call order is commit order. A NOTIFY payload is limited to 8,000
 * bytes, so long deltas are split into pieces with their own offsets.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import pg from 'pg';
import type { AnswerNotification, AnswerNotifications } from '../answer-notifications.ts';
import { createInProcessAnswerNotifications } from '../in-process-answer-notifications.ts';
import type { Database } from '../sql/database-schema.ts';

export const ANSWER_CHANNEL = 'anychat_answers';

// 1,500 UTF-16 units are at most 4,500 UTF-8 bytes, leaving room for the JSON around them.
const MAX_DELTA_LENGTH = 1_500;
const RECONNECT_DELAY_MS = 1_000;

export interface PostgresAnswerNotificationsOptions {
  connection: pg.ClientConfig;
  /** Where NOTIFY is sent from: the store's pool. */
  publishThrough: Kysely<Database>;
  channel?: string;
}

export function createPostgresAnswerNotifications(options: PostgresAnswerNotificationsOptions): AnswerNotifications {
  const channel = options.channel ?? ANSWER_CHANNEL;
  const local = createInProcessAnswerNotifications();
  const publisher = options.publishThrough;
  let listener: Promise<pg.Client> | null = null;
  let lastPublish: Promise<void> = Promise.resolve();
  let closed = false;

  const listen = async (): Promise<pg.Client> => {
    const client = new pg.Client(options.connection);
    client.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      local.deliver(JSON.parse(message.payload) as AnswerNotification);
    });
    // A dropped listening connection loses what is sent until we are back; followers repair that
    // from the store on `answer-end`. Reconnect only while someone is listening.
    const reconnect = () => {
      listener = null;
      if (closed || local.subscriberCount === 0) return;
      setTimeout(() => {
        if (!closed && !listener && local.subscriberCount > 0) listener = startListening();
      }, RECONNECT_DELAY_MS).unref();
    };
    client.on('error', () => client.end().catch(() => {}));
    client.on('end', reconnect);
    await client.connect();
    await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    return client;
  };

  const startListening = () => {
    const started = listen();
    started.catch(() => (listener = null));
    return started;
  };

  const send = async (notification: AnswerNotification) => {
    for (const piece of splitForPayloadLimit(notification)) {
      await sql`select pg_notify(${channel}, ${JSON.stringify(piece)})`.execute(publisher);
    }
  };

  return {
    async publish(notification) {
      const published = lastPublish.then(() => send(notification));
      lastPublish = published.catch(() => {});
      return published;
    },
    async subscribeToAnswer(messageId, onNotification) {
      const unsubscribe = await local.subscribeToAnswer(messageId, onNotification);
      try {
        listener ??= startListening();
        await listener;
      } catch (error) {
        await unsubscribe();
        throw error;
      }
      return unsubscribe;
    },
    async close() {
      closed = true;
      await local.close();
      const client = await listener?.catch(() => null);
      listener = null;
      await client?.end().catch(() => {});
    },
  };
}

function splitForPayloadLimit(notification: AnswerNotification): AnswerNotification[] {
  if (notification.type !== 'text-delta' || notification.text.length <= MAX_DELTA_LENGTH) return [notification];
  const pieces: AnswerNotification[] = [];
  for (let start = 0; start < notification.text.length; start += MAX_DELTA_LENGTH) {
    pieces.push({
      ...notification,
      offset: notification.offset + start,
      text: notification.text.slice(start, start + MAX_DELTA_LENGTH),
    });
  }
  return pieces;
}
