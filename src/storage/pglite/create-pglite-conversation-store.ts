import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { ConversationStore } from '../conversation-store.ts';
import { defaultDataDirectory } from '../default-data-directory.ts';
import { createInProcessAnswerNotifications } from '../in-process-answer-notifications.ts';
import type { Database } from '../sql/database-schema.ts';
import { migrateToLatest } from '../sql/migrate-to-latest.ts';
import { createSqlConversationStore } from '../sql/sql-conversation-store.ts';
import { sweepCutAnswers } from '../sql/sweep-cut-answers.ts';
import { createDatabaseDirectoryOnce } from './create-database-directory.ts';
import { lockDataDirectory } from './data-directory-lock.ts';
import { createPgliteDialect } from './pglite-dialect.ts';
import { pgliteStartParameters } from './pglite-start-parameters.ts';

export const IN_MEMORY = 'memory://';

export interface PgliteStoreOptions {
  /**
   * anychat's data directory (the database lives in its `pglite/` folder), or `memory://` for a
   * throwaway database (tests). Default: defaultDataDirectory().
   */
  dataDir?: string;
  /**
   * With `memory://` only: a database to start from, as PGlite's dumpDataDir() wrote it, instead
   * of a new one. Tests use a dump of a new, migrated database to skip initdb (about 5 s of CPU).
   */
  initialData?: Blob;
}

/** The default store: embedded PostgreSQL (WebAssembly), nothing to install. One process at a time. */
export async function createPgliteConversationStore(options: PgliteStoreOptions = {}): Promise<ConversationStore> {
  const dataDir = options.dataDir ?? defaultDataDirectory();
  if (dataDir === IN_MEMORY) {
    const pglite = await PGlite.create({ startParams: pgliteStartParameters, ...(options.initialData ? { loadDataDir: options.initialData } : {}) });
    return openStore(pglite, 'memory://', async () => {});
  }
  if (options.initialData) throw new Error('initialData is only for a memory:// database');

  const databaseDirectory = pgliteDirectory(dataDir);
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDirectory(dataDir);
  try {
    await createDatabaseDirectoryOnce(databaseDirectory);
    return await openStore(await PGlite.create({ dataDir: databaseDirectory, startParams: pgliteStartParameters }), databaseDirectory, unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** Where the PGlite files of a data directory are. */
export function pgliteDirectory(dataDir: string): string {
  return join(dataDir, 'pglite');
}

async function openStore(pglite: PGlite, description: string, unlock: () => Promise<void>) {
  const database = new Kysely<Database>({ dialect: createPgliteDialect(pglite) });
  try {
    await migrateToLatest(database as Kysely<unknown>, description);
    const cutAnswers = await sweepCutAnswers(database);
    if (cutAnswers > 0) process.emitWarning(`${cutAnswers} answer(s) cut by an earlier crash are kept as disconnected partial answers`);
  } catch (error) {
    await database.destroy();
    throw error;
  }
  return createSqlConversationStore(database, {
    answerNotifications: createInProcessAnswerNotifications(),
    onClose: unlock,
    listMessagesAsJson: true,
  });
}
