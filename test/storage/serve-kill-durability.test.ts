/**
 * Nothing the user wrote is lost, and little the model wrote: a real `anychat serve` child process
 * is killed with SIGKILL mid-answer (no shutdown hook runs), then started again on the same data.
 * The user's message must be there, and the answer up to its last save (the server saves every
 * 500 ms or 32 tokens), on PGlite and on PostgreSQL.
 *
 * The cut answer must not stay `streaming` forever: it is reported `disconnected` (PGlite sweeps
 * at start-up; on PostgreSQL, where other servers may be alive, once nobody has saved it for
 * CUT_ANSWER_SILENCE_MS), re-attaching to it ends at once, and it can be continued.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Conversation, StoredMessage } from '../../src/chat/conversation.ts';
import { CUT_ANSWER_SILENCE_MS } from '../../src/storage/cut-answers.ts';
import {
  answerEvents,
  emptyAnswer,
  json,
  postgresEnvironment,
  postJson,
  readAnswer,
  startServer,
  stopServer,
  type RunningServer,
} from './anychat-serve-process.ts';
import { createTestSchema } from './test-postgres.ts';

const WORDS = Array.from({ length: 400 }, (_, index) => `word${index}`);
const QUESTION = WORDS.join(' ');
const SAVE_EVERY_TOKENS = 32;
const ECHO_DELAY_MS = 15;

const start = (dataDir: string, environment: NodeJS.ProcessEnv): Promise<RunningServer> =>
  startServer({ dataDir, environment, echoDelayMs: ECHO_DELAY_MS });

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

async function killMidAnswerAndRestart(dataDir: string, environment: NodeJS.ProcessEnv) {
  const first = await start(dataDir, environment);
  let conversation: Conversation;
  let answerId: string;
  let received: string;
  try {
    conversation = await json<Conversation>(await postJson(`${first.baseUrl}/api/conversations`, { title: 'Killed mid-answer' }));
    // Past three save points, so at least two saves have certainly completed.
    ({ answerId, received } = await sendAndReadDeltas(first.baseUrl, conversation.id, SAVE_EVERY_TOKENS * 3 + 5));
  } finally {
    await stopServer(first, 'SIGKILL');
  }

  const killedAt = Date.now();
  const second = await start(dataDir, environment);
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
    const twoSavePoints = WORDS.slice(0, SAVE_EVERY_TOKENS * 2).join(' ');
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
  const cleanUps: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanUp of cleanUps) await cleanUp();
  });

  it('PGlite keeps the question and the answer up to its last save', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'anychat-kill-'));
    cleanUps.push(() => rm(dataDir, { recursive: true, force: true }));
    const environment = { ...process.env };
    delete environment.DATABASE_URL;
    await killMidAnswerAndRestart(dataDir, environment);
  });

  it('PostgreSQL keeps the question and the answer up to its last save', async () => {
    const schema = await createTestSchema();
    cleanUps.push(() => schema.drop());
    const dataDir = await mkdtemp(join(tmpdir(), 'anychat-kill-'));
    cleanUps.push(() => rm(dataDir, { recursive: true, force: true }));
    await killMidAnswerAndRestart(dataDir, await postgresEnvironment(schema));
  });
});
