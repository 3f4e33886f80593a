/**
 * Nothing the user wrote is lost, and little the model wrote: a real `anychat serve` child process
 * is killed with SIGKILL mid-answer (no shutdown hook runs), then started again on the same data.
 * The user's message must be there, and the answer up to its last save (the server saves every
 * 500 ms or 32 tokens), on PGlite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { Conversation, StoredMessage } from '../../src/chat/conversation.ts';
import { createTestSchema } from './test-postgres.ts';

const anychat = fileURLToPath(new URL('../../bin/anychat.js', import.meta.url));
const WORDS = Array.from({ length: 400 }, (_, index) => `word${index}`);
const QUESTION = WORDS.join(' ');
const SAVE_EVERY_TOKENS = 32;

interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
}

async function startServer(dataDir: string, environment: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [anychat, 'serve', '--backend', 'echo', '--echo-delay', '15', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'],
    { env: environment, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anychat serve did not start in 120 s:\n${stderr}`)), 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anychat serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, baseUrl };
}

async function stopServer(server: RunningServer, signal: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

async function json<T>(response: Response): Promise<T> {
  assert.ok(response.ok, `${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** Sends the question and returns once `deltaCount` text deltas of the answer have arrived. */
async function sendAndReadDeltas(baseUrl: string, conversationId: string, deltaCount: number) {
  const response = await fetch(`${baseUrl}/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: QUESTION }),
  });
  assert.equal(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let received = '';
  let deltas = 0;
  let answerId: string | null = null;
  while (deltas < deltaCount) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the answer ended after ${deltas} deltas`);
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const event = JSON.parse(data.slice(6)) as { type: string; text?: string; message?: StoredMessage };
      if (event.type === 'answer-start') answerId = event.message!.id;
      if (event.type === 'text-delta') {
        received += event.text;
        deltas += 1;
      }
    }
  }
  void reader.cancel().catch(() => {});
  return { answerId: answerId!, received };
}

async function killMidAnswerAndRestart(dataDir: string, environment: NodeJS.ProcessEnv) {
  const first = await startServer(dataDir, environment);
  let conversation: Conversation;
  let answerId: string;
  let received: string;
  try {
    conversation = await json<Conversation>(
      await fetch(`${first.baseUrl}/api/conversations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Killed mid-answer' }),
      }),
    );
    // Past three save points, so at least two saves have certainly completed.
    ({ answerId, received } = await sendAndReadDeltas(first.baseUrl, conversation.id, SAVE_EVERY_TOKENS * 3 + 5));
  } finally {
    await stopServer(first, 'SIGKILL');
  }

  const second = await startServer(dataDir, environment);
  try {
    const { conversation: reopened, messages } = await json<{ conversation: Conversation; messages: StoredMessage[] }>(
      await fetch(`${second.baseUrl}/api/conversations/${conversation.id}`),
    );
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
    assert.notEqual(answer?.generation?.status, 'done', 'a cut answer is not marked finished');
    assert.deepEqual(answer?.generation?.prompt, { kind: 'messages', messages: [{ role: 'user', content: QUESTION }] });

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
    const client = new pg.Client({ connectionString: schema.databaseUrl });
    await client.connect();
    await client.query(`create schema ${pg.escapeIdentifier(schema.schema)}`);
    await client.end();
    // The server takes only DATABASE_URL; libpq's `options` parameter selects the test's schema.
    const url = new URL(schema.databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema.schema}`);
    const dataDir = await mkdtemp(join(tmpdir(), 'anychat-kill-'));
    cleanUps.push(() => rm(dataDir, { recursive: true, force: true }));
    await killMidAnswerAndRestart(dataDir, { ...process.env, DATABASE_URL: url.toString() });
  });
});
