/**
 * Seeing from outside that a starting `anychat serve` is inside its migration, so a kill can be
 * aimed there. PostgreSQL shows it directly: Kysely's migrator holds an advisory lock for the
 * whole migration transaction. PGlite cannot be watched by another process, but its files can:
 * a migration that creates a table (0002 creates answer_prompts) creates that table's file.
 */
import { existsSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { pollUntil } from '../support/wait-for.ts';
import type { StartingServer } from './anychat-serve-process.ts';
import type { CrashTarget } from './crash-target.ts';

export const HOLDS_MIGRATION_LOCK = `exists (select from pg_locks l join pg_stat_activity a on a.pid = l.pid
  where a.application_name = $1 and l.locktype = 'advisory' and l.granted)`;
export const WAITS_FOR_MIGRATION_LOCK = `exists (select from pg_locks l join pg_stat_activity a on a.pid = l.pid
  where a.application_name = $1 and l.locktype = 'advisory' and not l.granted)`;

/** The main fork of every relation in every database of a PGlite data directory. */
export function relationFiles(dataDir: string): Set<string> {
  const base = join(pgliteDirectory(dataDir), 'base');
  if (!existsSync(base)) return new Set();
  return new Set(
    readdirSync(base).flatMap((database) =>
      readdirSync(join(base, database))
        .filter((name) => /^\d+$/.test(name))
        .map((name) => `${database}/${name}`),
    ),
  );
}

/**
 * The bytes of those files together. A transaction that inserts extends its tables' files as it
 * goes, long before it commits, so their growth tells from outside how far a PGlite server's
 * write has got (an import, a data migration).
 */
export function relationBytes(dataDir: string): number {
  const base = join(pgliteDirectory(dataDir), 'base');
  let total = 0;
  for (const file of relationFiles(dataDir)) total += statSync(join(base, file), { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

/** Whether the server has got as far as listening, or died; read without waiting. */
export function trackStart(starting: StartingServer): { listening: boolean; exited: boolean } {
  const state = { listening: false, exited: false };
  starting.listening.then(
    () => (state.listening = true),
    () => (state.exited = true),
  );
  return state;
}

/**
 * Resolves `migrating` as soon as the server is seen inside its migration: on PostgreSQL holding
 * the migration lock, on PGlite having created a relation file that `filesBefore` lacks. Or
 * `listening` / `exited` if it got there first.
 */
export async function waitForMigration(
  target: CrashTarget,
  state: { listening: boolean; exited: boolean },
  filesBefore: ReadonlySet<string>,
): Promise<'migrating' | 'listening' | 'exited'> {
  let phase: 'migrating' | 'listening' | 'exited' | null = null;
  const seen = async () => {
    if (state.exited) phase = 'exited';
    else if (state.listening) phase = 'listening';
    else if (target.kind === 'PostgreSQL' ? await target.watchServer(HOLDS_MIGRATION_LOCK) : [...relationFiles(target.dataDir)].some((file) => !filesBefore.has(file))) phase = 'migrating';
    return phase !== null;
  };
  // A start that hangs fails through spawnServer's own limit (state.exited).
  await pollUntil(seen, Infinity);
  return phase!;
}

/**
 * Resolves true once `reached` holds, looked at once now and then at each change inotify reports
 * in `directory` (a file created, extended or written: `reached` gets its name), or false once
 * `until` settles first (the server listening, exiting, answering). The wait for a state of a
 * PGlite database's files, without polling them.
 */
export function waitForFileChange(directory: string, reached: (fileName: string | null) => boolean, until: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let done = false;
    const watcher = watch(directory);
    const finish = (result: boolean | Error) => {
      if (done) return;
      done = true;
      watcher.close();
      clearTimeout(hang);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    // Only a bound on a hang.
    const hang = setTimeout(() => finish(new Error(`the files in ${directory} did not reach the awaited state in ${timeoutMs} ms`)), timeoutMs);
    watcher.on('change', (_event, fileName) => {
      if (!done && reached(fileName === null ? null : String(fileName))) finish(true);
    });
    watcher.on('error', (error) => finish(error));
    until.then(
      () => finish(false),
      () => finish(false),
    );
    if (reached(null)) finish(true);
  });
}

/**
 * How many bytes the relation files of one PGlite database (`base/OID`) have grown by since this
 * was made, kept up to date from the names of changed files `waitForFileChange` reports.
 */
export function relationGrowth(databaseDirectory: string): { grown(fileName: string | null): number } {
  const sizeOf = (name: string) => statSync(join(databaseDirectory, name), { throwIfNoEntry: false })?.size ?? 0;
  const relations = () => readdirSync(databaseDirectory).filter((name) => /^\d+$/.test(name));
  const sizes = new Map(relations().map((name) => [name, sizeOf(name)]));
  const before = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  let total = before;
  const update = (name: string) => {
    const size = sizeOf(name);
    total += size - (sizes.get(name) ?? 0);
    sizes.set(name, size);
  };
  return {
    grown(fileName) {
      if (fileName === null) relations().forEach(update);
      else if (/^\d+$/.test(fileName)) update(fileName);
      return total - before;
    },
  };
}
