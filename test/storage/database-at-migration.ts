import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createPgliteDialect } from '../../src/storage/pglite/pglite-dialect.ts';
import { pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import type { ExportFile } from '../../src/storage/export/export-format.ts';
import { MIGRATIONS_TABLE } from '../../src/storage/sql/migrate-to-latest.ts';
import { migrations } from '../../src/storage/sql/migrations.ts';
import type { CrashTarget } from './crash-target.ts';

const ROWS_PER_INSERT = 500;

/**
 * Leaves the target's database as an older anychat would: migrated up to `migrationName` only,
 * holding the file's conversations in that schema's shape. Written before migration 0002, so each
 * answer's prompt is inside its generation record, which 0002 moves out row by row.
 *
 * The target may already hold a newer anychat database, such as a copy of fresh-pglite.ts's
 * template (which spares PGlite's initdb, about 6 s of CPU): its tables are dropped first, so the
 * migrations up to `migrationName` build the schema from nothing, as on a new database.
 */
export async function createDatabaseAtMigration(target: CrashTarget, migrationName: '0001-conversations-and-messages', file: ExportFile): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tables of an old schema, which database-schema.ts no longer describes
  const database = new Kysely<any>({
    dialect:
      target.kind === 'PGlite'
        ? createPgliteDialect(await PGlite.create({ dataDir: pgliteDirectory(target.dataDir) }))
        : new PostgresDialect({ pool: new pg.Pool({ connectionString: target.environment.DATABASE_URL, max: 1 }) }),
  });
  try {
    // anychat's migrations create only tables (with their indexes and identity sequences).
    const tables = await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema()`.execute(database);
    for (const { name } of tables.rows) await sql`drop table if exists ${sql.id(name)} cascade`.execute(database);
    // In this schema only, as migrate-to-latest.ts does: Kysely otherwise finds its tables in any
    // schema of the database, such as a suite's running beside this one, and skips creating its own.
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database);
    const migrator = new Migrator({
      db: database,
      migrationTableSchema: rows[0]?.schema,
      provider: { getMigrations: async () => migrations },
      migrationTableName: MIGRATIONS_TABLE,
      migrationLockTableName: 'anychat_migration_lock',
    });
    const { error } = await migrator.migrateTo(migrationName);
    if (error) throw error;
    const conversationRows = file.conversations.map(({ conversation }) => ({
      id: conversation.id,
      title: conversation.title,
      settings: JSON.stringify(conversation.settings),
      created_at: conversation.createdAt,
      updated_at: conversation.updatedAt,
    }));
    // The generator lists every parent before its children.
    const messageRows = file.conversations.flatMap(({ messages }) =>
      messages.map((message) => ({
        id: message.id,
        conversation_id: message.conversationId,
        parent_id: message.parentId,
        role: message.role,
        content: message.content,
        generation: message.generation ? JSON.stringify(message.generation) : null,
        created_at: message.createdAt,
        updated_at: message.updatedAt,
      })),
    );
    await database.transaction().execute(async (transaction) => {
      for (const rows of batches(conversationRows)) await transaction.insertInto('conversations').values(rows).execute();
      for (const rows of batches(messageRows)) await transaction.insertInto('messages').values(rows).execute();
      for (const { conversation } of file.conversations) {
        await transaction.updateTable('conversations').set({ active_leaf_id: conversation.activeLeafId }).where('id', '=', conversation.id).execute();
      }
    });
  } finally {
    await database.destroy();
  }
}

function batches<T>(rows: T[]): T[][] {
  return Array.from({ length: Math.ceil(rows.length / ROWS_PER_INSERT) }, (_, index) => rows.slice(index * ROWS_PER_INSERT, (index + 1) * ROWS_PER_INSERT));
}
