/**
 * kill -9 while `anychat serve` migrates its database at start-up, on PGlite and on PostgreSQL.
 *
 * - A first start, killed while it creates the database (PGlite) or its schema (PostgreSQL).
 * - A database an older anychat left at migration 0001, full of answers whose prompts 0002 moves
 *   to a table of their own (a data migration, made long by the amount of data): the server is
 *   started and killed again and again, each time a little later after it was seen migrating,
 *   until a kill lands after the migration finished. Every kill before that must leave the
 *   database exactly at 0001 (the migrations run in one transaction), and none may lose data.
 * - Two servers starting on one PostgreSQL: one migrates while the other waits for the migration
 *   lock; the one migrating is killed, and the other must take over and finish.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrations } from '../../src/storage/sql/migrations.ts';
import { spawnServer, startServer, stopServer, type RunningServer, type StartingServer } from './anychat-serve-process.ts';
import { conversationFingerprints } from './conversation-fingerprints.ts';
import { newCrashOutcomes, recordCrashFigures, type CrashOutcomes } from './crash-figures.ts';
import { createCrashTarget, type CrashTarget, type DatabaseKind } from './crash-target.ts';
import { createDatabaseAtMigration } from './database-at-migration.ts';
import { inspectStoppedDatabase } from './inspect-stopped-database.ts';
import { killAtDiskState } from './kill-at-disk-state.ts';
import { largeExportFile, messageCountOf } from './large-export-file.ts';
import { HOLDS_MIGRATION_LOCK, relationFiles, trackStart, waitForMigration, WAITS_FOR_MIGRATION_LOCK } from './watch-migration.ts';

const ALL_MIGRATIONS = Object.keys(migrations).sort();
const OLD_LEVEL = '0001-conversations-and-messages';
/** 3,400 messages with long prompts: about 9 MB for migration 0002 to move. */
const OLD_DATA = { conversations: 200, turns: 8, wordsPerMessage: 40, label: 'old' };
/** Milliseconds between seeing the migration start and the kill, growing until one lands after it. */
const KILL_DELAYS_MS = [0, 100, 300, 700, 1500, 3100, 6300];

const outcomes = newCrashOutcomes();
let landedAfterMigration = 0;

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

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
        while (!databaseFolderStarted(target.dataDir) && !state.exited && !state.listening) await sleep(2);
        assert.ok(await killAtDiskState(starting.child, () => databaseFilesBeingWritten(target.dataDir), 30_000), 'killed while PGlite wrote the database');
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

async function killOldDatabaseMigration(kind: DatabaseKind, report: (line: string) => void): Promise<void> {
  const counts = outcomes[kind];
  const target = await createCrashTarget(kind);
  try {
    const file = largeExportFile(OLD_DATA);
    await createDatabaseAtMigration(target, OLD_LEVEL, file);
    const baseline = await inspectStoppedDatabase(target, counts, new Map(), async () => null);
    assert.ok(baseline);
    assert.deepEqual(baseline.consistency.appliedMigrations, [OLD_LEVEL]);
    const committed = baseline.fingerprints;

    let migrated = false;
    for (const delay of KILL_DELAYS_MS) {
      const filesBefore = kind === 'PGlite' ? relationFiles(target.dataDir) : new Set<string>();
      const starting = spawnServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: 0 });
      let phase: Awaited<ReturnType<typeof waitForMigration>>;
      try {
        phase = await waitForMigration(target, trackStart(starting), filesBefore);
        if (phase === 'migrating') await sleep(delay);
      } finally {
        await stopServer(starting, 'SIGKILL');
      }
      if (phase === 'exited') {
        counts.failedRestarts += 1;
        await starting.listening.catch((error: unknown) => counts.failures.push(`${kind}: ${(error as Error).message}`));
        break;
      }
      counts.kills += 1;
      const inspection = await inspectStoppedDatabase(target, counts, committed, async () => null);
      if (!inspection) break;
      const applied = inspection.consistency.appliedMigrations;
      migrated = applied.length === ALL_MIGRATIONS.length;
      if (!migrated && applied.join() !== OLD_LEVEL) {
        counts.inconsistencies += 1;
        counts.failures.push(`${kind}: a kill left migrations ${applied.join(', ')}`);
      }
      if (phase === 'migrating' && !migrated) counts.landedMidway += 1;
      if (migrated) landedAfterMigration += 1;
      report(`${kind}: killed ${phase === 'migrating' ? `${delay} ms after the migration began` : `once ${phase}`}: database at ${applied.at(-1) ?? 'nothing'}`);
      if (migrated) break;
    }

    await restartAndStop(target, counts);
    const final = await inspectStoppedDatabase(target, counts, committed, async () => null);
    assert.ok(final, counts.failures.join('\n'));
    assert.deepEqual(final.consistency.appliedMigrations, ALL_MIGRATIONS, 'the schema is at the latest migration');
    assert.equal(final.consistency.messages, messageCountOf(file));
    assert.equal(final.consistency.answerPrompts, file.conversations.length * (OLD_DATA.turns + 1), 'every answer has its prompt, once');
    assert.ok(counts.landedMidway >= 1, 'at least one kill landed mid-migration');
    assert.ok(migrated, `a kill up to ${KILL_DELAYS_MS.at(-1)} ms after the migration began landed after it`);
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
    const deadline = Date.now() + 60_000;
    while (migrating < 0) {
      assert.ok(Date.now() < deadline && states.every((state) => !state.exited && !state.listening), 'both servers reach the migration lock');
      for (const [index, name] of names.entries()) {
        const other = names[1 - index]!;
        if ((await target.watchServer(HOLDS_MIGRATION_LOCK, name)) && (await target.watchServer(WAITS_FOR_MIGRATION_LOCK, other))) migrating = index;
      }
      await sleep(10);
    }
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
        `Kills at ${KILL_DELAYS_MS.join(', ')} ms after a real anychat serve was seen migrating a database at ${OLD_LEVEL} ` +
          `(${OLD_DATA.conversations * (OLD_DATA.turns * 2 + 1)} messages), until one landed after it: ` +
          `${landedAfterMigration} did. Every earlier one left the database exactly at ${OLD_LEVEL}.`,
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
