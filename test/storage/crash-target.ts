/**
 * One database for crash tests, PGlite or PostgreSQL, with what the tests need around a kill -9:
 * the `anychat serve` environment, a reader from outside anychat, and on PostgreSQL a view of the
 * killed server's connections (named by application_name), which outlive it for a moment.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.ts';
import { postgresEnvironment } from './anychat-serve-process.ts';
import { openPgliteReader, openPostgresReader, type DatabaseReader } from './database-reader.ts';
import { freshDataDirectory } from './fresh-pglite.ts';
import { createTestSchema } from './test-postgres.ts';

export type DatabaseKind = 'PGlite' | 'PostgreSQL';

export interface CrashTarget {
  readonly kind: DatabaseKind;
  readonly dataDir: string;
  readonly environment: NodeJS.ProcessEnv;
  /** On PGlite only while no server has the directory open. */
  openReader(): Promise<DatabaseReader>;
  /**
   * PostgreSQL: a query on the server's connections (`$1` is their application_name), such as
   * whether one holds a transaction that has written. null on PGlite, which nothing outside the
   * server process can watch.
   */
  watchServer(sql: string, applicationName?: string): Promise<boolean | null>;
  /** PostgreSQL: the environment for one more server on the same database, its connections named apart. */
  environmentNamed(applicationName: string): NodeJS.ProcessEnv;
  /**
   * After a kill: waits until the database has ended the dead server's connections, so a COMMIT
   * it sent just before dying has either landed or never will before anything is checked.
   */
  settleAfterKill(applicationName?: string): Promise<void>;
  cleanUp(): Promise<void>;
}

export interface CrashTargetOptions {
  /**
   * What the first `anychat serve` finds: `nothing` (an empty data directory or schema, so it
   * creates and migrates the database), or on PGlite a new database already migrated, copied from
   * fresh-pglite.ts's template, for tests that are not about a first start (a new PGlite database
   * costs about 6 s of CPU in initdb, a copy about 1 s). PostgreSQL schemas always start empty:
   * migrating one there is quick.
   */
  startFrom?: 'nothing' | 'migrated';
}

export async function createCrashTarget(kind: DatabaseKind, { startFrom = 'nothing' }: CrashTargetOptions = {}): Promise<CrashTarget> {
  const dataDir = kind === 'PGlite' && startFrom === 'migrated' ? await freshDataDirectory() : await mkdtemp(join(tmpdir(), 'anychat-crash-'));
  if (kind === 'PGlite') {
    const environment = { ...process.env };
    delete environment.DATABASE_URL;
    return {
      kind,
      dataDir,
      environment,
      openReader: () => openPgliteReader(dataDir),
      watchServer: async () => null,
      environmentNamed: () => environment,
      settleAfterKill: async () => {},
      cleanUp: () => rm(dataDir, { recursive: true, force: true }),
    };
  }

  const schema = await createTestSchema();
  const environment = await postgresEnvironment(schema);
  const applicationName = `anychat-crash-${randomUUID().slice(0, 8)}`;
  const environmentNamed = (name: string) => {
    const url = new URL(environment.DATABASE_URL!);
    url.searchParams.set('application_name', name);
    return { ...environment, DATABASE_URL: url.toString() };
  };
  const monitor = await openPostgresReader(schema.databaseUrl);
  const watchServer = async (sql: string, name = applicationName) =>
    Boolean((await monitor.query<{ answer: boolean }>(`select (${sql}) as answer`, [name]))[0]?.answer);
  return {
    kind,
    dataDir,
    environment: environmentNamed(applicationName),
    openReader: () => openPostgresReader(environment.DATABASE_URL!),
    watchServer,
    environmentNamed,
    async settleAfterKill(name = applicationName) {
      await waitFor(async () => !(await watchServer('exists (select from pg_stat_activity where application_name = $1)', name)), {
        what: 'PostgreSQL to end the killed server’s connections',
        timeoutMs: 30_000,
      });
    },
    async cleanUp() {
      await monitor.close();
      await schema.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A transaction of the server's that has written: on PostgreSQL, proof a kill landed inside it. */
export const SERVER_TRANSACTION_WRITING =
  'exists (select from pg_stat_activity where application_name = $1 and backend_xid is not null)';

/**
 * A server's connection waiting for a lock that a transaction of the test holds: on PostgreSQL,
 * a server stopped at a chosen point of its transaction, to be killed there.
 */
export const SERVER_WAITS_FOR_LOCK = "exists (select from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock')";
