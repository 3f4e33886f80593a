import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';

/**
 * Plain SQL on anychat's tables from outside anychat, for checks after a crash: nothing of
 * anychat's own code runs, so a check cannot be fooled by the code it checks (the start-up sweep,
 * migrations, the data directory lock).
 */
export interface DatabaseReader {
  query<Row>(text: string, parameters?: unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/**
 * Opens a PGlite data directory directly. After a kill -9 this is PostgreSQL's own crash
 * recovery replaying the WAL: if it fails, the directory did not survive the kill.
 * Only while no anychat has it open: two processes on one directory corrupt it.
 */
export async function openPgliteReader(dataDir: string): Promise<DatabaseReader> {
  const database = await PGlite.create({ dataDir: pgliteDirectory(dataDir) });
  return {
    async query<Row>(text: string, parameters: unknown[] = []) {
      return (await database.query<Row>(text, parameters)).rows;
    },
    close: () => database.close(),
  };
}

/**
 * A PostgreSQL connection on anychat's own DATABASE_URL: its `options` select the test's schema.
 * The URL's application_name, which names the server's connections, is left out, so that this
 * connection is never counted as one of them.
 */
export async function openPostgresReader(databaseUrl: string): Promise<DatabaseReader> {
  const url = new URL(databaseUrl);
  url.searchParams.delete('application_name');
  const client = new pg.Client({ connectionString: url.toString(), application_name: 'anychat-test-reader' });
  await client.connect();
  return {
    async query<Row>(text: string, parameters: unknown[] = []) {
      return (await client.query(text, parameters)).rows as Row[];
    },
    close: () => client.end(),
  };
}
