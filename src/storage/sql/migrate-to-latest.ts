import { Migrator, sql, type Kysely } from 'kysely';
import { latestMigrationName, migrations } from './migrations.ts';

export const MIGRATIONS_TABLE = 'anychat_migrations';
const MIGRATION_LOCK_TABLE = 'anychat_migration_lock';

/** The database was migrated by a newer anychat; opening it could lose data that version wrote. */
export class DatabaseNewerThanCodeError extends Error {
  override readonly name = 'DatabaseNewerThanCodeError';
  constructor(
    readonly databaseDescription: string,
    readonly unknownMigrations: string[],
  ) {
    super(
      `The database at ${databaseDescription} was set up by a newer anychat: it has schema version ` +
        `${unknownMigrations.at(-1)}, and this anychat knows versions up to ${latestMigrationName}. ` +
        `Upgrade anychat to open it.`,
    );
  }
}

/**
 * Applies pending migrations at start-up. Kysely's migrator takes a PostgreSQL advisory lock and
 * runs them in one transaction, so two servers starting together on one database migrate once.
 */
export async function migrateToLatest(database: Kysely<unknown>, databaseDescription: string): Promise<void> {
  const applied = await appliedMigrations(database, databaseDescription);
  // Up to date, as at nearly every start: Kysely's migrator would still list every table and
  // column of the catalog several times (its check that its two tables exist), which costs PGlite
  // a measurable share of serve's start-up for nothing.
  if (Object.keys(migrations).every((name) => applied.has(name))) return;
  // Kysely looks for its two tables in every schema unless told which one: with a table of that
  // name in another schema of the database (another anychat's, another suite's), it would skip
  // creating its own and then fail reading it.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database);
  const migrator = new Migrator({
    db: database,
    migrationTableSchema: rows[0]?.schema,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATIONS_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Could not update the database schema at ${databaseDescription}` +
        `${failed ? ` (migration ${failed})` : ''}: ${cause}`,
      { cause: error },
    );
  }
}

/**
 * The migrations the database has had. Refuses one a newer anychat migrated, checked before the
 * migrator runs: Kysely would only say "corrupted migrations".
 */
async function appliedMigrations(database: Kysely<unknown>, databaseDescription: string): Promise<Set<string>> {
  const { rows } = await sql<{ name: string | null }>`select to_regclass(${MIGRATIONS_TABLE})::text as name`.execute(
    database,
  );
  if (!rows[0]?.name) return new Set();
  const applied = await sql<{ name: string }>`select name from ${sql.table(MIGRATIONS_TABLE)} order by name`.execute(
    database,
  );
  const names = applied.rows.map((row) => row.name);
  const unknown = names.filter((name) => !(name in migrations));
  if (unknown.length > 0) throw new DatabaseNewerThanCodeError(databaseDescription, unknown);
  return new Set(names);
}
