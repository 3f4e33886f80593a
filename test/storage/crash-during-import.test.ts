/**
 * kill -9 while `anychat serve` imports a large export file (POST /api/conversations/import),
 * at several points from early to late in the request, on PGlite and on PostgreSQL. An import is
 * one transaction, so after each kill its conversations must be all there or none of them, every
 * one whole; the conversations committed before must be untouched; the database must open (on
 * PGlite that is PostgreSQL's WAL recovery, checked by opening the directory directly) and the
 * server must restart on it. Imports cut by a kill are then sent again, and must come out exactly
 * once under the file's own ids: nothing of the cut attempt was left holding them.
 *
 * Each kill waits for the import to reach its point, seen from outside: on PGlite, the database's
 * files having grown by that share of what a whole import adds to them; on PostgreSQL, the import
 * stopped at that share of its conversations by a transaction of the test holding the next one's id.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Conversation } from '../../src/chat/conversation.ts';
import type { ImportedConversation } from '../../src/storage/conversation-store.ts';
import type { ExportFile } from '../../src/storage/export/export-format.ts';
import { pgliteDirectory } from '../../src/storage/pglite/create-pglite-conversation-store.ts';
import { latestMigrationName, migrations } from '../../src/storage/sql/migrations.ts';
import { answerEvents, emptyAnswer, json, postJson, readAnswer, startServer, stopServer, type RunningServer } from './anychat-serve-process.ts';
import { newCrashOutcomes, recordCrashFigures, type CrashOutcomes } from './crash-figures.ts';
import { waitFor } from '../support/wait-for.ts';
import { createCrashTarget, SERVER_TRANSACTION_WRITING, SERVER_WAITS_FOR_LOCK, type CrashTarget, type DatabaseKind } from './crash-target.ts';
import type { DatabaseReader } from './database-reader.ts';
import { inspectStoppedDatabase } from './inspect-stopped-database.ts';
import { largeExportFile } from './large-export-file.ts';
import { relationBytes, relationGrowth, waitForFileChange } from './watch-migration.ts';

/**
 * Dozens of conversations, hundreds of messages, written in one transaction. The kills are aimed
 * at points seen in the database, not at moments in time, so the import need not be long.
 */
const FILE_SIZE = { conversations: 60, turns: 6, wordsPerMessage: 12 };
/**
 * Where the kills of imports in flight land: a share of the import written (see the top of the
 * file). One more kill, of the server that seeds the database, lands the moment it answers 201 to
 * a whole import, which must mean the import survives it.
 */
const KILL_SHARES = [0.15, 0.45, 0.75];
/** Only a bound on a hang: each wait ends when its point is reached. */
const POINT_TIMEOUT_MS = 120_000;
const ALL_MIGRATIONS = Object.keys(migrations).sort();

const outcomes = newCrashOutcomes();
/** PostgreSQL only: kills that landed while the import's transaction had written rows. */
let killsInsideTransaction = 0;

interface ImportFound {
  /** The file's conversations found in the database, by title. */
  present: number;
  /** Titles found more than once. */
  duplicated: number;
  /** Conversations found with fewer or more messages than the file has. */
  notWhole: number;
}

/** Finds one file's conversations by their titles, which its label makes unique. */
async function findImport(reader: DatabaseReader, file: ExportFile, label: string): Promise<ImportFound> {
  const expected = new Map(file.conversations.map(({ conversation, messages }) => [conversation.title, messages.length]));
  const rows = await reader.query<{ title: string; messages: number }>(
    `select c.title, (select count(*)::int from messages m where m.conversation_id = c.id) as messages
     from conversations c where c.title like $1`,
    [`${label} %`],
  );
  const seen = new Set<string>();
  let duplicated = 0;
  let notWhole = 0;
  for (const row of rows) {
    if (seen.has(row.title)) duplicated += 1;
    seen.add(row.title);
    if (expected.get(row.title) !== row.messages) notWhole += 1;
  }
  return { present: seen.size, duplicated, notWhole };
}

function postImport(baseUrl: string, body: string): Promise<Response> {
  return fetch(`${baseUrl}/api/conversations/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

async function startOrCount(target: CrashTarget, counts: CrashOutcomes): Promise<RunningServer> {
  try {
    return await startServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: 0 });
  } catch (error) {
    counts.failedRestarts += 1;
    throw error;
  }
}

/** Committed the ordinary way before any import: a question and its streamed answer. */
async function seedOneChat(baseUrl: string): Promise<void> {
  const conversation = await json<Conversation>(await postJson(`${baseUrl}/api/conversations`, { title: 'seeded chat' }));
  const answer = await readAnswer(answerEvents(await postJson(`${baseUrl}/api/conversations/${conversation.id}/messages`, { content: 'one two three' })), emptyAnswer());
  assert.equal(answer.end?.type, 'answer-finish', JSON.stringify(answer.end));
}

interface KilledImport {
  file: ExportFile;
  label: string;
  /** Whether the import was absent after the kill, so it is sent again. */
  cut: boolean;
}

/**
 * Holds back a PostgreSQL import at the conversation `id`: a transaction of the test inserts a
 * conversation under that id and stays open, so the import's own insert of it waits for that
 * transaction, with every conversation before it written. Rolled back after the kill.
 */
async function holdConversationId(target: CrashTarget, id: string): Promise<{ release(): Promise<void> }> {
  const holder = await target.openReader();
  await holder.query('begin');
  await holder.query(`insert into conversations (id, title, settings, created_at, updated_at) values ($1, 'held by the test', '{}', now(), now())`, [id]);
  return {
    async release() {
      await holder.query('rollback');
      await holder.close();
    },
  };
}

/** One import on a fresh start, killed with `share` of it written; the database is then inspected. */
async function killOneImport(
  target: CrashTarget,
  label: string,
  share: number,
  importBytes: number,
  /** PGlite: the folder of anychat's database, whose files the import extends. */
  databaseDirectory: string,
  committed: ReadonlyMap<string, string>,
  report: (line: string) => void,
): Promise<{ killed: KilledImport; committed: ReadonlyMap<string, string> } | null> {
  const counts = outcomes[target.kind];
  const server = await startOrCount(target, counts);
  const file = largeExportFile({ ...FILE_SIZE, label });
  const heldAt = Math.floor(share * file.conversations.length);
  const held = target.kind === 'PostgreSQL' ? await holdConversationId(target, file.conversations[heldAt]!.conversation.id) : null;
  const growth = target.kind === 'PGlite' ? relationGrowth(databaseDirectory) : null;
  let responded = false;
  const response = postImport(server.baseUrl, JSON.stringify(file)).then(
    (answer) => ((responded = true), answer.status),
    () => null,
  );
  let inTransaction: boolean | null;
  try {
    if (growth) {
      await waitForFileChange(databaseDirectory, (changed) => growth.grown(changed) >= share * importBytes, response, POINT_TIMEOUT_MS);
    } else {
      await waitFor(async () => responded || Boolean(await target.watchServer(SERVER_WAITS_FOR_LOCK)), { what: `the import to reach conversation ${heldAt}`, timeoutMs: POINT_TIMEOUT_MS });
    }
    // On PostgreSQL, also whether the kill lands inside the import's transaction, not before it.
    inTransaction = await target.watchServer(SERVER_TRANSACTION_WRITING);
  } finally {
    await stopServer(server, 'SIGKILL');
    // The dead server's connection ends once it is let on: its transaction rolls back, never commits.
    await held?.release();
  }
  const inFlight = !responded;
  const status = await response;
  counts.kills += 1;
  if (inFlight) counts.landedMidway += 1;
  if (inTransaction) killsInsideTransaction += 1;

  const inspection = await inspectStoppedDatabase(target, counts, committed, async (reader, consistency) => {
    if (consistency.appliedMigrations.at(-1) !== latestMigrationName) counts.failures.push(`${target.kind}: migrations ${consistency.appliedMigrations.join(', ')}`);
    return findImport(reader, file, label);
  });
  if (!inspection) return null;
  const { present, duplicated, notWhole } = inspection.found;
  if (!((present === 0 || present === file.conversations.length) && duplicated === 0 && notWhole === 0)) {
    counts.inconsistencies += 1;
    counts.failures.push(`${target.kind}: a kill at ${share} left ${present}/${file.conversations.length} conversations, ${duplicated} duplicated, ${notWhole} not whole`);
  }
  if (status === 201 && present === 0) {
    counts.rowsLost += file.conversations.length;
    counts.failures.push(`${target.kind}: an import answered 201 before the kill is gone`);
  }
  const when = target.kind === 'PGlite' ? `with ${Math.round(share * 100)}% of an import's bytes written` : `held at conversation ${heldAt} of ${file.conversations.length}`;
  report(`${target.kind}: killed ${when}: ${inFlight ? 'in flight' : 'answered'}${inTransaction ? ', inside its transaction' : ''}, ${present} of ${file.conversations.length} conversations there`);
  return { killed: { file, label, cut: present === 0 }, committed: inspection.fingerprints };
}

async function killDuringImports(kind: DatabaseKind, report: (line: string) => void): Promise<void> {
  const counts = outcomes[kind];
  // Not about a first start: PGlite starts on a copy of a new, migrated database.
  const target = await createCrashTarget(kind, { startFrom: 'migrated' });
  try {
    // Seeds a chat and a whole import, measuring (PGlite) how much the import adds to the database's
    // files, to place the later kills; the server is killed the moment the import answers 201.
    let server = await startOrCount(target, counts);
    await seedOneChat(server.baseUrl);
    const seedFile = largeExportFile({ ...FILE_SIZE, label: 'seed' });
    const bytesBeforeSeed = target.kind === 'PGlite' ? relationBytes(target.dataDir) : 0;
    const seedStatus = (await postImport(server.baseUrl, JSON.stringify(seedFile))).status;
    await stopServer(server, 'SIGKILL');
    counts.kills += 1;
    assert.equal(seedStatus, 201);
    const importBytes = target.kind === 'PGlite' ? relationBytes(target.dataDir) - bytesBeforeSeed : 0;
    if (target.kind === 'PGlite') assert.ok(importBytes > 0, 'an import grows the database files');
    const seeded = await inspectStoppedDatabase(target, counts, new Map(), async (reader) => ({
      chat: await reader.query<{ messages: number }>(
        `select (select count(*)::int from messages m where m.conversation_id = c.id) as messages from conversations c where c.title = 'seeded chat'`,
      ),
      found: await findImport(reader, seedFile, 'seed'),
      messagesFile: kind === 'PGlite' ? (await reader.query<{ path: string }>(`select pg_relation_filepath('messages') as path`))[0]!.path : '',
    }));
    assert.ok(seeded, counts.failures.join('\n'));
    if (seeded.found.found.present !== seedFile.conversations.length || seeded.found.chat[0]?.messages !== 2) {
      counts.rowsLost += seedFile.conversations.length - seeded.found.found.present;
      counts.failures.push(`${kind}: what was answered before the kill is gone: ${JSON.stringify(seeded.found)}`);
    }
    report(`${kind}: killed once it answered: ${seeded.found.found.present} of ${seedFile.conversations.length} conversations there`);
    assert.deepEqual(seeded.found.found, { present: seedFile.conversations.length, duplicated: 0, notWhole: 0 });
    assert.deepEqual(seeded.found.chat, [{ messages: 2 }], 'the chat answered before the kill is there');
    const databaseDirectory = join(pgliteDirectory(target.dataDir), dirname(seeded.found.messagesFile));

    let committed: ReadonlyMap<string, string> = seeded.fingerprints;
    const killedImports: KilledImport[] = [];
    for (const [index, share] of KILL_SHARES.entries()) {
      const result = await killOneImport(target, `import-${index}`, share, importBytes, databaseDirectory, committed, report);
      if (!result) break;
      killedImports.push(result.killed);
      committed = result.committed;
    }

    // Sent again, each cut import completes once, under the ids in its file.
    server = await startOrCount(target, counts);
    for (const { file } of killedImports.filter((attempt) => attempt.cut)) {
      const { imported } = await json<{ imported: ImportedConversation[] }>(await postImport(server.baseUrl, JSON.stringify(file)));
      assert.deepEqual(
        imported.map((conversation) => conversation.id),
        file.conversations.map(({ conversation }) => conversation.id),
        'no id of the file was left taken by the cut attempt',
      );
    }
    await stopServer(server, 'SIGTERM');
    const final = await inspectStoppedDatabase(target, counts, committed, async (reader) => {
      const found = [];
      for (const { file, label } of killedImports) found.push({ label, ...(await findImport(reader, file, label)) });
      return found;
    });
    assert.ok(final, counts.failures.join('\n'));
    assert.deepEqual(final.consistency.appliedMigrations, ALL_MIGRATIONS, 'migrations report current');
    for (const { label, ...found } of final.found) {
      assert.deepEqual(found, { present: FILE_SIZE.conversations, duplicated: 0, notWhole: 0 }, `${label} is there once, in full`);
    }
    assert.equal(final.consistency.conversations, (KILL_SHARES.length + 1) * FILE_SIZE.conversations + 1);
    assert.ok(counts.landedMidway >= 1, 'at least one kill landed while the import was running');
    assert.deepEqual(counts.failures, []);
  } finally {
    await target.cleanUp();
  }
}

describe('kill -9 during an import, then restart', () => {
  after(() =>
    recordCrashFigures({
      suite: 'crash-safety-import',
      title: 'Crash safety: kill -9 during an import',
      testFile: 'test/storage/crash-during-import.test.ts',
      during: 'import',
      midwayLabel: 'kills with the import request in flight',
      outcomes,
      extraFigures: [{ label: "kills inside the import's transaction, rows written (PostgreSQL)", value: killsInsideTransaction }],
      notes: [
        `Each database: ${KILL_SHARES.length + 1} kills of a real anychat serve importing ${FILE_SIZE.conversations} conversations ` +
          `(${FILE_SIZE.conversations * (FILE_SIZE.turns * 2 + 1)} messages) over HTTP, at ` +
          `${KILL_SHARES.map((share) => `${share * 100}%`).join(', ')} of the import written ` +
          "(PGlite: that share of a whole import's bytes in the database files; PostgreSQL: the import held at that share of its conversations by a test transaction holding the next one's id), " +
          'and the moment the server answered 201.',
        'After each kill the database is opened directly (PGlite: WAL recovery), checked for consistency and for the import being all there or absent, then the server restarts on it.',
        'Cut imports sent again complete exactly once under their own ids.',
      ],
    }),
  );

  it('PGlite: each import is all there or absent, and sent again completes once', (t) => killDuringImports('PGlite', (line) => t.diagnostic(line)));
  it('PostgreSQL: each import is all there or absent, and sent again completes once', (t) => killDuringImports('PostgreSQL', (line) => t.diagnostic(line)));
});
