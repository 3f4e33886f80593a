import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ConversationStore } from '../conversation-store.ts';
import type { Database } from '../sql/database-schema.ts';
import { migrateToLatest } from '../sql/migrate-to-latest.ts';
import { createSqlConversationStore } from '../sql/sql-conversation-store.ts';
import { createPostgresAnswerNotifications } from './answer-notifications.ts';
import { describeDatabaseUrl } from './describe-database-url.ts';
import { postgresConnectionConfig } from './postgres-connection-config.ts';

export interface PostgresStoreOptions {
  databaseUrl: string;
  /**
   * A PostgreSQL schema to keep anychat's tables in, created if missing. Default: the connection's
   * search_path (normally `public`). Tests give each suite its own schema.
   */
  schema?: string;
  /** Connections per server; default 10. */
  maxConnections?: number;
}

/** Conversations in a PostgreSQL server, shared by every anychat server pointed at it. */
export async function createPostgresConversationStore(options: PostgresStoreOptions): Promise<ConversationStore> {
  const description = describeDatabaseUrl(options.databaseUrl);
  const connection = postgresConnectionConfig(options.databaseUrl, options.schema);
  if (options.schema) await createSchema(connection, options.schema, description);
  const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10 });
  // An idle client losing its connection (server restart) emits here; without a listener Node exits.
  pool.on('error', () => {});
  const database = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(database).catch((error: unknown) => {
      throw new Error(`Cannot connect to PostgreSQL at ${description}: ${(error as Error).message}`, { cause: error });
    });
    await migrateToLatest(database as Kysely<unknown>, description);
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return createSqlConversationStore(database, {
    answerNotifications: createPostgresAnswerNotifications({ connection, publishThrough: database }),
  });
}

const DUPLICATE_SCHEMA_CODES = new Set(['23505', '42P06']);

// Done on a connection of its own because the pool's connections already name it in search_path.
async function createSchema(connection: pg.ClientConfig, schema: string, description: string): Promise<void> {
  const client = new pg.Client({ ...connection, options: undefined });
  try {
    await client.connect();
    await client.query(`create schema if not exists ${pg.escapeIdentifier(schema)}`);
  } catch (error) {
    // Two servers starting together can both pass "if not exists"; the loser's insert then fails.
    if (DUPLICATE_SCHEMA_CODES.has((error as { code?: string }).code ?? '')) return;
    throw new Error(`Cannot create schema ${schema} in PostgreSQL at ${description}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => {});
  }
}
