import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteStartParameters } from './pglite-start-parameters.ts';

/**
 * Creates PGlite's database directory on first start, whole or not at all.
 *
 * PGlite creates a database by running initdb in memory and then writing its ~1,000 files into
 * the directory; PG_VERSION, which PGlite takes to mean "a database is here", is written before
 * pg_hba.conf, pg_xact/ and postgresql.conf. A first start killed in between (kill -9, or Ctrl+C
 * before the server listens, when no signal handler is installed yet) left a directory that
 * PGlite tried to open, failed on ("Cannot read properties of undefined (reading 'call')"), and
 * then hung in for a minute, on every start after. So the database is created beside its final
 * path and renamed into place once PGlite has shut it down cleanly: a rename is atomic.
 *
 * Runs under the data directory lock, so no other process is creating it at the same time.
 */
export async function createDatabaseDirectoryOnce(databaseDirectory: string): Promise<void> {
  if (existsSync(join(databaseDirectory, 'PG_VERSION'))) return;
  const creating = `${databaseDirectory}.creating`;
  // Left by a first start that was cut: never opened, so nothing in it can matter.
  await rm(creating, { recursive: true, force: true });
  const database = await PGlite.create({ dataDir: creating, startParams: pgliteStartParameters });
  await database.close();
  // Without PG_VERSION the old directory holds no database PGlite could open, only what a cut
  // first start of an older anychat wrote; PGlite itself would have written over it.
  await rm(databaseDirectory, { recursive: true, force: true });
  await rename(creating, databaseDirectory);
}
