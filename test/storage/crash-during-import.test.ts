/**
 * kill -9 while `anychat serve` imports a large export file (POST /api/conversations/import),
 * at several moments from early to late in the request, on PGlite and on PostgreSQL. An import is
 * one transaction, so after each kill its conversations must be all there or none of them, every
 * one whole; the conversations committed before must be untouched; the database must open (on
 * PGlite that is PostgreSQL's WAL recovery, checked by opening the directory directly) and the
 * server must restart on it. Imports cut by a kill are then sent again, and must come out exactly
 * once under the file's own ids: nothing of the cut attempt was left holding them.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Conversation } from '../../src/chat/conversation.ts';
import type { ImportedConversation } from '../../src/storage/conversation-store.ts';
import type { ExportFile } from '../../src/storage/export/export-format.ts';
import { latestMigrationName, migrations } from '../../src/storage/sql/migrations.ts';
import { answerEvents, emptyAnswer, json, postJson, readAnswer, startServer, stopServer, type RunningServer } from './anychat-serve-process.ts';
import { newCrashOutcomes, recordCrashFigures, type CrashOutcomes } from './crash-figures.ts';
import { createCrashTarget, SERVER_TRANSACTION_WRITING, type CrashTarget, type DatabaseKind } from './crash-target.ts';
import type { DatabaseReader } from './database-reader.ts';
import { inspectStoppedDatabase } from './inspect-stopped-database.ts';
import { largeExportFile } from './large-export-file.ts';

/** Hundreds of conversations, thousands of messages: an import that takes a while. */
const FILE_SIZE = { conversations: 200, turns: 6, wordsPerMessage: 12 };
/**
 * When each kill lands: a share of how long a whole import took on the same server, or the moment
 * the server answers 201, which must mean the import survives any kill after it.
 */
const KILL_POINTS: Array<number | 'answered'> = [0.15, 0.45, 0.75, 'answered'];
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

/** One import on a fresh start, killed at `killPoint`; the database is then inspected. */
async function killOneImport(
  target: CrashTarget,
  label: string,
  killPoint: number | 'answered',
  wholeImportMs: number,
  committed: ReadonlyMap<string, string>,
  report: (line: string) => void,
): Promise<{ killed: KilledImport; committed: ReadonlyMap<string, string> } | null> {
  const counts = outcomes[target.kind];
  const server = await startOrCount(target, counts);
  const file = largeExportFile({ ...FILE_SIZE, label });
  let responded = false;
  const response = postImport(server.baseUrl, JSON.stringify(file)).then(
    (answer) => ((responded = true), answer.status),
    () => null,
  );
  if (killPoint === 'answered') await response;
  else await new Promise((resolve) => setTimeout(resolve, killPoint * wholeImportMs));
  const inFlight = !responded;
  // On PostgreSQL, also whether the kill lands inside the import's transaction, not before it.
  const inTransaction = await target.watchServer(SERVER_TRANSACTION_WRITING);
  await stopServer(server, 'SIGKILL');
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
    counts.failures.push(`${target.kind}: a kill at ${killPoint} left ${present}/${file.conversations.length} conversations, ${duplicated} duplicated, ${notWhole} not whole`);
  }
  if (status === 201 && present === 0) {
    counts.rowsLost += file.conversations.length;
    counts.failures.push(`${target.kind}: an import answered 201 before the kill is gone`);
  }
  const when = killPoint === 'answered' ? 'once it answered' : `at ${Math.round(killPoint * wholeImportMs)} ms of ${Math.round(wholeImportMs)}`;
  report(`${target.kind}: killed ${when}: ${inFlight ? 'in flight' : 'answered'}${inTransaction ? ', inside its transaction' : ''}, ${present} of ${file.conversations.length} conversations there`);
  return { killed: { file, label, cut: present === 0 }, committed: inspection.fingerprints };
}

async function killDuringImports(kind: DatabaseKind, report: (line: string) => void): Promise<void> {
  const counts = outcomes[kind];
  const target = await createCrashTarget(kind);
  try {
    // Seeds, and times one whole import to place the kills.
    let server = await startOrCount(target, counts);
    await seedOneChat(server.baseUrl);
    const seedFile = largeExportFile({ ...FILE_SIZE, label: 'seed' });
    const seedStarted = performance.now();
    assert.equal((await postImport(server.baseUrl, JSON.stringify(seedFile))).status, 201);
    const wholeImportMs = performance.now() - seedStarted;
    await stopServer(server, 'SIGTERM');
    const seeded = await inspectStoppedDatabase(target, counts, new Map(), (reader) => findImport(reader, seedFile, 'seed'));
    assert.ok(seeded, counts.failures.join('\n'));
    assert.deepEqual(seeded.found, { present: seedFile.conversations.length, duplicated: 0, notWhole: 0 });

    let committed: ReadonlyMap<string, string> = seeded.fingerprints;
    const killedImports: KilledImport[] = [];
    for (const [index, killPoint] of KILL_POINTS.entries()) {
      const result = await killOneImport(target, `import-${index}`, killPoint, wholeImportMs, committed, report);
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
    assert.equal(final.consistency.conversations, (KILL_POINTS.length + 1) * FILE_SIZE.conversations + 1);
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
        `Each database: ${KILL_POINTS.length} kills of a real anychat serve importing ${FILE_SIZE.conversations} conversations ` +
          `(${FILE_SIZE.conversations * (FILE_SIZE.turns * 2 + 1)} messages) over HTTP, at ` +
          `${KILL_POINTS.map((point) => (point === 'answered' ? 'the moment it answered 201' : `${point * 100}%`)).join(', ')} of a whole import's time.`,
        'After each kill the database is opened directly (PGlite: WAL recovery), checked for consistency and for the import being all there or absent, then the server restarts on it.',
        'Cut imports sent again complete exactly once under their own ids.',
      ],
    }),
  );

  it('PGlite: each import is all there or absent, and sent again completes once', (t) => killDuringImports('PGlite', (line) => t.diagnostic(line)));
  it('PostgreSQL: each import is all there or absent, and sent again completes once', (t) => killDuringImports('PostgreSQL', (line) => t.diagnostic(line)));
});
