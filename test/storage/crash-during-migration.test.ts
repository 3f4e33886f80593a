/**
 * kill -9 while `anychat serve` migrates its database at start-up, on PGlite and on PostgreSQL.
 *
 * - A first start, killed while it creates the database (PGlite) or its schema (PostgreSQL).
 * - A database an older anychat left at migration 0001, full of answers whose prompts 0002 moves
 *   to a table of their own (a data migration): the server is started and killed three times, at
 *   points seen from outside: the moment the migration began; later, with every prompt moved and
 *   the messages being rewritten; and once it listens, the migration committed. Each kill before
 *   that must leave the database exactly at 0001 (the migrations run in one transaction), the last
 *   one at the latest migration, and none may lose data.
 * - Two servers starting on one PostgreSQL: one migrates while the other waits for the migration
 *   lock; the one migrating is killed, and the other must take over and finish.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { migrations } from '../../src/storage/sql/migrations.ts';
import { pollUntil, waitFor } from '../support/wait-for.ts';
import { spawnServer, startServer, stopServer, type RunningServer, type StartingServer } from './anychat-serve-process.ts';
import { conversationFingerprints } from './conversation-fingerprints.ts';
import { newCrashOutcomes, recordCrashFigures, type CrashOutcomes } from './crash-figures.ts';
import { createCrashTarget, SERVER_TRANSACTION_WRITING, SERVER_WAITS_FOR_LOCK, type CrashTarget, type DatabaseKind } from './crash-target.ts';
import { createDatabaseAtMigration } from './database-at-migration.ts';
import { inspectStoppedDatabase } from './inspect-stopped-database.ts';
import { killAtDiskState } from './kill-at-disk-state.ts';
import { largeExportFile, messageCountOf } from './large-export-file.ts';
import { HOLDS_MIGRATION_LOCK, trackStart, waitForFileChange, waitForMigration, WAITS_FOR_MIGRATION_LOCK } from './watch-migration.ts';

const ALL_MIGRATIONS = Object.keys(migrations).sort();
const OLD_LEVEL = '0001-conversations-and-messages';
/**
 * 408 messages with long prompts for migration 0002 to move. The kills are aimed at points seen in
 * the database, not at moments in time, so the migration need not be long, only have steps.
 */
const OLD_DATA = { conversations: 24, turns: 8, wordsPerMessage: 40, label: 'old' };
/** Where the kills of an old database's migration land, in this order. */
const KILL_POINTS = ['migration began', 'messages being rewritten', 'listening'] as const;
type KillPoint = (typeof KILL_POINTS)[number];
/** Only a bound on a hang: each wait ends when its point is reached. */
const POINT_TIMEOUT_MS = 120_000;

const outcomes = newCrashOutcomes();
let landedAfterMigration = 0;

async function kill(server: StartingServer | RunningServer, counts: CrashOutcomes): Promise<void> {
  await stopServer(server, 'SIGKILL');
  counts.kills += 1;
}

/** Starts the server for good after the kills: it must open, migrate and listen. */
async function restartAndStop(target: CrashTarget, counts: CrashOutcomes): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: 0 });
  } catch (error) {
    counts.failedRestarts += 1;
    throw error;
  }
  await stopServer(server, 'SIGTERM');
}

/** Whether any folder of the data directory has PGlite's `global/`: the new database's files have begun. */
function databaseFolderStarted(dataDir: string): boolean {
  return readdirSync(dataDir).some((entry) => existsSync(join(dataDir, entry, 'global')));
}

/** Whether any has PG_VERSION, which PGlite writes late among them but not last. */
function databaseFilesBeingWritten(dataDir: string): boolean {
  return readdirSync(dataDir).some((entry) => existsSync(join(dataDir, entry, 'PG_VERSION')));
}

async function killFirstStart(kind: DatabaseKind): Promise<void> {
  const counts = outcomes[kind];
  const target = await createCrashTarget(kind);
  try {
    const starting = spawnServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: 0 });
    try {
      const state = trackStart(starting);
      if (kind === 'PGlite') {
        // PGlite writes the ~1,000 files of a new database in well under a second, after seconds
        // of initdb in memory. The kill lands just after PG_VERSION is written, which used to
        // leave a directory PGlite took for a database but could not open.
        await pollUntil(() => databaseFolderStarted(target.dataDir) || state.exited || state.listening, POINT_TIMEOUT_MS);
        assert.ok(await killAtDiskState(starting.child, () => databaseFilesBeingWritten(target.dataDir), POINT_TIMEOUT_MS), 'killed while PGlite wrote the database');
      } else {
        assert.equal(await waitForMigration(target, state, new Set()), 'migrating');
      }
      assert.ok(!state.listening && !state.exited, 'the kill lands before the first start finished');
      await kill(starting, counts);
    } finally {
      await stopServer(starting, 'SIGKILL');
    }
    if (kind === 'PGlite') {
      // Nothing can be opened before the restart: the database was still being written.
      counts.landedMidway += 1;
    } else {
      const killed = await inspectStoppedDatabase(target, counts, new Map(), async () => null);
      const applied = killed?.consistency.appliedMigrations.length;
      assert.ok(applied === 0 || applied === ALL_MIGRATIONS.length, `no half-created schema, got ${applied} migrations`);
      if (applied === 0) counts.landedMidway += 1;
    }
    await restartAndStop(target, counts);
    const final = await inspectStoppedDatabase(target, counts, new Map(), async () => null);
    assert.deepEqual(final?.consistency.appliedMigrations, ALL_MIGRATIONS);
    assert.deepEqual(counts.failures, []);
  } finally {
    await target.cleanUp();
  }
}

/**
 * PostgreSQL: a transaction of the test that stops the migration at `point`, by holding a lock
 * the migration's next statement needs; released (rolled back) after the kill.
 */
async function holdMigrationAt(target: CrashTarget, point: KillPoint): Promise<{ release(): Promise<void> } | null> {
  if (target.kind !== 'PostgreSQL' || point === 'listening') return null;
  const holder = await target.openReader();
  await holder.query('begin');
  if (point === 'migration began') {
    // Creating answer_prompts, whose foreign key needs a lock on messages, waits at once.
    await holder.query('lock table messages in exclusive mode');
  } else {
    // A row lock on the last answer: answer_prompts is created and filled, then rewriting
    // messages (in their order on disk) waits at that row, every answer before it rewritten.
    await holder.query(`select id from messages where generation -> 'prompt' is not null order by insertion_order desc limit 1 for update`);
  }
  return {
    async release() {
      await holder.query('rollback');
      await holder.close();
    },
  };
}

/**
 * Waits until a starting server on a database at 0001 reaches `point`, then kills it. On PGlite the
 * files show the point, reported by inotify as it happens: the migration's first new table file;
 * the messages' file growing, which rewriting them does, after every prompt was copied out. Either
 * leaves the migration hundreds of ms of work (the rest of 0002, then 0003 to 0020), and the check
 * after the kill tells if it ever landed later. On PostgreSQL the server waits at the point
 * for the lock the test holds. Returns false if the server exited or listened before the point.
 */
async function killAtPoint(target: CrashTarget, starting: StartingServer, point: KillPoint, messagesFile: string): Promise<boolean> {
  const state = trackStart(starting);
  let atPoint: boolean;
  if (point === 'listening') {
    await starting.listening.catch(() => {});
    atPoint = state.listening;
  } else if (target.kind === 'PostgreSQL') {
    atPoint = false;
    await waitFor(
      async () =>
        state.exited ||
        state.listening ||
        (atPoint =
          Boolean(await target.watchServer(HOLDS_MIGRATION_LOCK)) &&
          Boolean(await target.watchServer(SERVER_WAITS_FOR_LOCK)) &&
          (point === 'migration began' || Boolean(await target.watchServer(SERVER_TRANSACTION_WRITING)))),
      { what: `the migration to reach "${point}"`, timeoutMs: POINT_TIMEOUT_MS },
    );
  } else {
    // Both in the database's own folder, which holds the messages' file.
    const databaseDirectory = dirname(messagesFile);
    const isRelation = (name: string) => /^\d+$/.test(name);
    const filesBefore = new Set(readdirSync(databaseDirectory).filter(isRelation));
    const isNew = (name: string) => isRelation(name) && !filesBefore.has(name) && existsSync(join(databaseDirectory, name));
    const messagesBytes = statSync(messagesFile).size;
    const reached =
      point === 'migration began'
        ? (changed: string | null) => (changed === null ? readdirSync(databaseDirectory).some(isNew) : isNew(changed))
        : (changed: string | null) => (changed === null || changed === basename(messagesFile)) && statSync(messagesFile).size > messagesBytes;
    atPoint = await waitForFileChange(databaseDirectory, reached, starting.listening, POINT_TIMEOUT_MS);
  }
  if (atPoint) await stopServer(starting, 'SIGKILL');
  return atPoint;
}

async function killOldDatabaseMigration(kind: DatabaseKind, report: (line: string) => void): Promise<void> {
  const counts = outcomes[kind];
  // On PGlite a copy of a new database, rolled back to 0001 by createDatabaseAtMigration.
  const target = await createCrashTarget(kind, { startFrom: 'migrated' });
  try {
    const file = largeExportFile(OLD_DATA);
    await createDatabaseAtMigration(target, OLD_LEVEL, file);
    const baseline = await inspectStoppedDatabase(target, counts, new Map(), async (reader) =>
      kind === 'PGlite' ? (await reader.query<{ path: string }>(`select pg_relation_filepath('messages') as path`))[0]!.path : '',
    );
    assert.ok(baseline);
    assert.deepEqual(baseline.consistency.appliedMigrations, [OLD_LEVEL]);
    const committed = baseline.fingerprints;
    const messagesFile = join(pgliteDirectory(target.dataDir), baseline.found);

    let landedMidMigration = 0;
    for (const point of KILL_POINTS) {
      const held = await holdMigrationAt(target, point);
      const starting = spawnServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: 0 });
      let killed: boolean;
      try {
        killed = await killAtPoint(target, starting, point, messagesFile);
      } finally {
        await stopServer(starting, 'SIGKILL');
        // The dead server's connection ends once it is let on: its transaction rolls back, never commits.
        await held?.release();
      }
      if (!killed) {
        counts.failedRestarts += 1;
        await starting.listening.catch((error: unknown) => counts.failures.push(`${kind}: ${(error as Error).message}`));
        counts.failures.push(`${kind}: the server did not stop at "${point}"`);
        break;
      }
      counts.kills += 1;
      const inspection = await inspectStoppedDatabase(target, counts, committed, async () => null);
      if (!inspection) break;
      const applied = inspection.consistency.appliedMigrations;
      const expected = point === 'listening' ? ALL_MIGRATIONS : [OLD_LEVEL];
      if (applied.join() !== expected.join()) {
        counts.inconsistencies += 1;
        counts.failures.push(`${kind}: a kill at "${point}" left migrations ${applied.join(', ')}`);
      } else if (point === 'listening') landedAfterMigration += 1;
      else {
        counts.landedMidway += 1;
        landedMidMigration += 1;
      }
      report(`${kind}: killed at "${point}": database at ${applied.at(-1) ?? 'nothing'}`);
    }

    await restartAndStop(target, counts);
    const final = await inspectStoppedDatabase(target, counts, committed, async () => null);
    assert.ok(final, counts.failures.join('\n'));
    assert.deepEqual(final.consistency.appliedMigrations, ALL_MIGRATIONS, 'the schema is at the latest migration');
    assert.equal(final.consistency.messages, messageCountOf(file));
    assert.equal(final.consistency.answerPrompts, file.conversations.length * (OLD_DATA.turns + 1), 'every answer has its prompt, once');
    assert.equal(landedMidMigration, KILL_POINTS.length - 1, 'every kill before it listened landed mid-migration');
    assert.deepEqual(counts.failures, []);
  } finally {
    await target.cleanUp();
  }
}

/**
 * The test holds an EXCLUSIVE lock on `messages`, so whichever server takes the migration lock
 * stops inside migration 0002 (creating answer_prompts, whose foreign key needs a lock on
 * messages) and stays there: the other is then certainly waiting for the migration lock.
 */
async function killTheMigratingOneOfTwo(): Promise<void> {
  const counts = outcomes.PostgreSQL;
  const target = await createCrashTarget('PostgreSQL');
  const blocker = await target.openReader();
  let servers: StartingServer[] = [];
  try {
    await createDatabaseAtMigration(target, OLD_LEVEL, largeExportFile({ ...OLD_DATA, conversations: 20 }));
    const committed = await conversationFingerprints(blocker);
    await blocker.query('begin');
    await blocker.query('lock table messages in exclusive mode');
    const names = ['anychat-first', 'anychat-second'].map((name) => `${name}-${process.pid}`);
    servers = names.map((name) => spawnServer({ dataDir: target.dataDir, environment: target.environmentNamed(name), echoDelayMs: 0 }));
    const states = servers.map(trackStart);
    let migrating = -1;
    await waitFor(
      async () => {
        assert.ok(
          states.every((state) => !state.exited && !state.listening),
          'both servers reach the migration lock',
        );
        for (const [index, name] of names.entries()) {
          const other = names[1 - index]!;
          if ((await target.watchServer(HOLDS_MIGRATION_LOCK, name)) && (await target.watchServer(WAITS_FOR_MIGRATION_LOCK, other))) migrating = index;
        }
        return migrating >= 0;
      },
      { what: 'one server to hold the migration lock and the other to wait for it', timeoutMs: POINT_TIMEOUT_MS },
    );
    await kill(servers[migrating]!, counts);
    counts.landedMidway += 1;
    await blocker.query('commit');
    await target.settleAfterKill(names[migrating]);

    const survivor = servers[1 - migrating]!;
    await survivor.listening.catch((error: unknown) => {
      counts.failedRestarts += 1;
      throw error;
    });
    await stopServer(survivor, 'SIGTERM');
    await target.settleAfterKill(names[1 - migrating]);
    const final = await inspectStoppedDatabase(target, counts, committed, async () => null);
    assert.deepEqual(final?.consistency.appliedMigrations, ALL_MIGRATIONS, 'each migration recorded once');
    assert.deepEqual(counts.failures, []);
  } finally {
    for (const server of servers) await stopServer(server, 'SIGKILL');
    await blocker.close();
    await target.cleanUp();
  }
}

describe('kill -9 during a migration, then restart', () => {
  after(() =>
    recordCrashFigures({
      suite: 'crash-safety-migration',
      title: 'Crash safety: kill -9 during a migration',
      testFile: 'test/storage/crash-during-migration.test.ts',
      during: 'migration',
      midwayLabel: 'kills that landed mid-migration',
      outcomes,
      notes: [
        `A real anychat serve migrating a database at ${OLD_LEVEL} (${OLD_DATA.conversations * (OLD_DATA.turns * 2 + 1)} messages) killed ` +
          'the moment the migration began, then with every prompt moved and the messages being rewritten (PGlite: seen in its files, killed frozen; ' +
          'PostgreSQL: held there by a lock of the test), then once it listened. Every kill before it listened left the database exactly at ' +
          `${OLD_LEVEL}; ${landedAfterMigration} kills after it left it at the latest migration.`,
        'Also a first start killed while PGlite writes its new database, or while PostgreSQL gets its first schema; and, on PostgreSQL, ' +
          'the one of two servers holding the migration lock killed while the other waits: the other takes over.',
        'Found and fixed: a first PGlite start killed while PGlite wrote the new database (PG_VERSION written, pg_hba.conf not yet) left a ' +
          'directory no start could open again. The database is now created beside its place and renamed in (create-database-directory.ts).',
        'Found and fixed: after a kill -9, a restart that got the dead server’s pid (anychat is pid 1 in a container) was refused forever as ' +
          '"in use by this process already"; a pid reused by another program after a reboot likewise. The lock now records when its process ' +
          'started and knows which locks this process holds (data-directory-lock.ts, test/storage/data-directory-lock.test.ts).',
      ],
    }),
  );

  it('PGlite: a first start killed while it writes the new database starts again', () => killFirstStart('PGlite'));
  it('PostgreSQL: a first start killed while it creates the schema starts again', () => killFirstStart('PostgreSQL'));
  it('PGlite: kills during a data migration leave it unapplied, then it completes', (t) => killOldDatabaseMigration('PGlite', (line) => t.diagnostic(line)));
  it('PostgreSQL: kills during a data migration leave it unapplied, then it completes', (t) => killOldDatabaseMigration('PostgreSQL', (line) => t.diagnostic(line)));
  it('PostgreSQL: when the server migrating is killed, the one waiting for the lock migrates', () => killTheMigratingOneOfTwo());
});
