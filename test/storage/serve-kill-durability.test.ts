/**
 * Nothing the user wrote is lost, and little the model wrote: a real `anychat serve` child process
 * is killed with SIGKILL mid-answer (no shutdown hook runs), then started again on the same data.
 * The user's message must be there, and the answer up to its last save (the server saves every
 * 500 ms or 32 tokens), on PGlite and on PostgreSQL.
 *
 * The cut answer must not stay `streaming` forever: it is reported `disconnected` (PGlite sweeps
 * at start-up; on PostgreSQL, where other servers may be alive, once nobody has saved it for
 * CUT_ANSWER_SILENCE_MS), re-attaching to it ends at once, and it can be continued.
 *
 * A first kill lands earlier, the moment the answer's row exists and nothing of it is saved yet.
 * After each kill, before the restart, the database is opened directly (on PGlite that is WAL
 * recovery) and checked: consistent, and holding everything committed before.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Conversation, StoredMessage } from '../../src/chat/conversation.ts';
import { CUT_ANSWER_SILENCE_MS } from '../../src/storage/cut-answers.ts';
import { newCrashOutcomes, recordCrashFigures, type CrashOutcomes } from './crash-figures.ts';
import { createCrashTarget, type CrashTarget, type DatabaseKind } from './crash-target.ts';
import type { DatabaseReader } from './database-reader.ts';
import { inspectStoppedDatabase } from './inspect-stopped-database.ts';
import {
  answerEvents,
  emptyAnswer,
  json,
  postJson,
  readAnswer,
  startServer,
  stopServer,
  type RunningServer,
} from './anychat-serve-process.ts';

const WORDS = Array.from({ length: 400 }, (_, index) => `word${index}`);
const QUESTION = WORDS.join(' ');
const SAVE_EVERY_TOKENS = 32;
const ECHO_DELAY_MS = 15;

const outcomes = newCrashOutcomes();

const start = (target: CrashTarget): Promise<RunningServer> =>
  startServer({ dataDir: target.dataDir, environment: target.environment, echoDelayMs: ECHO_DELAY_MS }).catch((error: unknown) => {
    outcomes[target.kind].failedRestarts += 1;
    throw error;
  });

/** The messages of one conversation as stored, read from outside anychat. */
async function storedMessages(reader: DatabaseReader, conversationId: string) {
  return reader.query<{ id: string; parent_id: string | null; role: string; content: string; active: boolean }>(
    `select m.id, m.parent_id, m.role, m.content, c.active_leaf_id = m.id as active
     from messages m join conversations c on c.id = m.conversation_id where m.conversation_id = $1 order by m.insertion_order`,
    [conversationId],
  );
}

/**
 * After a kill mid-answer: the question whole, the answer linked under it as the active leaf,
 * holding a prefix of the echo at least `savedAtLeast` long. Each failure is counted as lost.
 */
function checkCutAnswer(counts: CrashOutcomes, messages: Awaited<ReturnType<typeof storedMessages>>, savedAtLeast: number): void {
  const [question, answer] = messages;
  const problems = [
    messages.length !== 2 && `${messages.length} messages instead of 2`,
    question?.content !== QUESTION && "the user's message is not intact",
    (answer?.parent_id !== question?.id || !answer?.active) && 'the answer is not the active leaf under the question',
    !QUESTION.startsWith(answer?.content ?? '-') && 'the answer is not a prefix of the echo',
    (answer?.content.length ?? 0) < savedAtLeast && `the answer lost saved text: ${answer?.content.length} < ${savedAtLeast} characters`,
  ].filter((problem): problem is string => Boolean(problem));
  counts.rowsLost += problems.length;
  counts.failures.push(...problems);
}

/** Kills the server the moment the answer's row exists (answer-start), before any save. */
async function killAtAnswerStart(target: CrashTarget): Promise<string> {
  const server = await start(target);
  try {
    const conversation = await json<Conversation>(await postJson(`${server.baseUrl}/api/conversations`, { title: 'Killed at answer-start' }));
    const events = answerEvents(await postJson(`${server.baseUrl}/api/conversations/${conversation.id}/messages`, { content: QUESTION }));
    for await (const event of events) if (event.type === 'answer-start') break;
    return conversation.id;
  } finally {
    await stopServer(server, 'SIGKILL');
    outcomes[target.kind].kills += 1;
    outcomes[target.kind].landedMidway += 1;
  }
}

/** Sends the question and returns once `deltaCount` text deltas of the answer have arrived. */
async function sendAndReadDeltas(baseUrl: string, conversationId: string, deltaCount: number) {
  const events = answerEvents(await postJson(`${baseUrl}/api/conversations/${conversationId}/messages`, { content: QUESTION }));
  const answer = await readAnswer(events, emptyAnswer(), deltaCount);
  if (answer.deltas < deltaCount) throw new Error(`the answer ended after ${answer.deltas} deltas`);
  void events.return(undefined);
  return { answerId: answer.messageId, received: answer.text };
}

/** Reads the conversation until its answer is no longer `streaming`, as a page polling would see it. */
async function readUntilCut(baseUrl: string, conversationId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const opened = await json<{ conversation: Conversation; messages: StoredMessage[] }>(await fetch(`${baseUrl}/api/conversations/${conversationId}`));
    if (opened.messages[1]?.generation?.status !== 'streaming' || Date.now() > deadline) return opened;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function killMidAnswerAndRestart(kind: DatabaseKind) {
  const counts = outcomes[kind];
  // Not about a first start: PGlite starts on a copy of a new, migrated database.
  const target = await createCrashTarget(kind, { startFrom: 'migrated' });
  try {
    const earlyConversationId = await killAtAnswerStart(target);
    const early = await inspectStoppedDatabase(target, counts, new Map(), (reader) => storedMessages(reader, earlyConversationId));
    if (early) checkCutAnswer(counts, early.found, 0);
    await killLaterAndRestart(target, earlyConversationId);
  } finally {
    await target.cleanUp();
  }
  assert.deepEqual(counts.failures, []);
}

async function killLaterAndRestart(target: CrashTarget, earlyConversationId: string) {
  const counts = outcomes[target.kind];
  const first = await start(target);
  let conversation: Conversation;
  let answerId: string;
  let received: string;
  try {
    conversation = await json<Conversation>(await postJson(`${first.baseUrl}/api/conversations`, { title: 'Killed mid-answer' }));
    // Past three save points, so at least two saves have certainly completed.
    ({ answerId, received } = await sendAndReadDeltas(first.baseUrl, conversation.id, SAVE_EVERY_TOKENS * 3 + 5));
  } finally {
    await stopServer(first, 'SIGKILL');
    counts.kills += 1;
    counts.landedMidway += 1;
  }

  const killedAt = Date.now();
  const twoSavePoints = WORDS.slice(0, SAVE_EVERY_TOKENS * 2).join(' ');
  const inspection = await inspectStoppedDatabase(target, counts, new Map(), async (reader) => ({
    early: await storedMessages(reader, earlyConversationId),
    late: await storedMessages(reader, conversation.id),
  }));
  if (inspection) {
    // The early answer is still there as it was cut (a restart in between changes only its status).
    checkCutAnswer(counts, inspection.found.early, 0);
    checkCutAnswer(counts, inspection.found.late, twoSavePoints.length);
  }
  const second = await start(target);
  try {
    // The last save was before the kill, so within the silence (and a little time to read) it reads cut.
    const { conversation: reopened, messages } = await readUntilCut(second.baseUrl, conversation.id, CUT_ANSWER_SILENCE_MS + 5_000 - (Date.now() - killedAt));
    const [question, answer] = messages;
    assert.equal(messages.length, 2);
    assert.equal(question?.role, 'user');
    assert.equal(question?.content, QUESTION, "the user's message is intact");
    assert.equal(answer?.id, answerId);
    assert.equal(answer?.parentId, question?.id);
    assert.equal(reopened.activeLeafId, answerId);
    // Saved up to the last save: at least the first two save points, never text the model did not write.
    assert.ok(answer!.content.length >= twoSavePoints.length, `saved ${answer!.content.length} characters: ${answer!.content}`);
    assert.ok(QUESTION.startsWith(answer!.content), 'the partial answer is a prefix of the full echo');
    assert.ok(received.startsWith(answer!.content.slice(0, received.length)));
    assert.equal(answer?.generation?.status, 'disconnected', 'a cut answer is reported as such, not streaming forever');
    const whole = await json<StoredMessage>(await fetch(`${second.baseUrl}/api/messages/${answerId}`));
    assert.deepEqual(whole.generation?.prompt, { kind: 'messages', messages: [{ role: 'user', content: QUESTION }] });

    // A page re-attaching (it remembered a streaming answer) gets the saved text and an end at once.
    const reattached = await readAnswer(answerEvents(await fetch(`${second.baseUrl}/api/messages/${answerId}/stream`)), emptyAnswer());
    assert.equal(reattached.text, answer!.content);
    assert.equal(reattached.end?.type, 'answer-error', JSON.stringify(reattached.end));

    // Continue carries it on from the saved text.
    const continued = await readAnswer(answerEvents(await postJson(`${second.baseUrl}/api/messages/${answerId}/continue`, { settings: { parameters: { maxNewTokens: 8 } } })), emptyAnswer());
    assert.equal(continued.end?.type, 'answer-finish', JSON.stringify(continued.end));
    assert.equal(continued.messageId, answerId);
    assert.ok(continued.text.startsWith(answer!.content) && continued.text.length > answer!.content.length);

    // The restarted server still works on this conversation.
    const listed = await json<{ conversations: Array<{ id: string; messageCount: number }> }>(
      await fetch(`${second.baseUrl}/api/conversations`),
    );
    assert.equal(listed.conversations.find((summary) => summary.id === conversation.id)?.messageCount, 2);
  } finally {
    await stopServer(second, 'SIGTERM');
  }
}

describe('kill -9 mid-answer, then restart', () => {
  after(() =>
    recordCrashFigures({
      suite: 'crash-safety-streaming',
      title: 'Crash safety: kill -9 while an answer streams',
      testFile: 'test/storage/serve-kill-durability.test.ts',
      during: 'streaming',
      midwayLabel: 'kills with an answer streaming',
      outcomes,
      notes: [
        'Each database: a real anychat serve killed the moment an answer row exists (nothing saved yet), and another after three save points.',
        'After each kill the database is opened directly (PGlite: WAL recovery) and checked before the restart; the restarted server reports the cut answer as disconnected, re-attaches and continues it.',
      ],
    }),
  );

  it('PGlite keeps the question and the answer up to its last save', () => killMidAnswerAndRestart('PGlite'));
  it('PostgreSQL keeps the question and the answer up to its last save', () => killMidAnswerAndRestart('PostgreSQL'));
});
