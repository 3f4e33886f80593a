/**
 * A real `anychat serve` child process with the echo backend, for tests that need what only real
 * processes show: SIGKILL mid-answer, or two servers sharing one PostgreSQL. `--port 0` lets the
 * OS pick a free port; the server prints it on stderr once it listens.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { AnswerStreamEvent } from '../../src/server/app-api/app-api-events.ts';
import { ANYCHAT_COMMAND } from '../cli/run-anychat.ts';
import type { createTestSchema } from './test-postgres.ts';

export interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
}

export interface ServeOptions {
  /** The data directory for PGlite; ignored when `environment` sets DATABASE_URL. */
  dataDir: string;
  environment: NodeJS.ProcessEnv;
  /** Milliseconds the echo backend waits before each word. */
  echoDelayMs: number;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const starting = spawnServer(options);
  return { child: starting.child, baseUrl: await starting.listening };
}

export interface StartingServer {
  child: ChildProcess;
  /** The base URL once the server listens (its storage opened and migrated); rejects if it exits first. */
  listening: Promise<string>;
}

/** Starts the server without waiting for it: for kills during start-up (a migration). */
export function spawnServer(options: ServeOptions): StartingServer {
  const child = spawn(
    process.execPath,
    [...ANYCHAT_COMMAND, 'serve', '--backend', 'echo', '--echo-delay', String(options.echoDelayMs), '--data-dir', options.dataDir, '--port', '0', '--log-level', 'warn'],
    { env: options.environment, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anychat serve did not start in 120 s:\n${stderr}`)), 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
      if (port) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(`http://127.0.0.1:${port}`);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`anychat serve exited with ${code ?? signal} before listening:\n${stderr}`));
    });
  });
  return { child, listening };
}

export async function stopServer(server: { child: ChildProcess }, signal: NodeJS.Signals): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill(signal);
  await exited;
}

/**
 * The environment for a server on the test's own PostgreSQL schema. The server takes only
 * DATABASE_URL; libpq's `options` parameter selects the schema.
 */
export async function postgresEnvironment(schema: Awaited<ReturnType<typeof createTestSchema>>): Promise<NodeJS.ProcessEnv> {
  const client = new pg.Client({ connectionString: schema.databaseUrl });
  await client.connect();
  await client.query(`create schema if not exists ${pg.escapeIdentifier(schema.schema)}`);
  await client.end();
  const url = new URL(schema.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema.schema}`);
  return { ...process.env, DATABASE_URL: url.toString() };
}

export async function json<T>(response: Response): Promise<T> {
  assert.ok(response.ok, `${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

export function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The events of an SSE response of the app API, as they arrive. */
export async function* answerEvents(response: Response): AsyncGenerator<AnswerStreamEvent> {
  if (response.status !== 200) assert.fail(`${response.status} ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((line) => line.startsWith('data: '));
        if (data) yield JSON.parse(data.slice(6)) as AnswerStreamEvent;
      }
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}

/** An answer as a page rebuilds it: replace on answer-start, append on text-delta, until the end. */
export interface FollowedAnswer {
  messageId: string;
  text: string;
  end: AnswerStreamEvent | null;
  deltas: number;
}

/**
 * Reads events into `into` until the stream ends, or until `stopAfterDeltas` deltas have come
 * (then it returns, leaving the rest of the stream unread: a reader that went away).
 */
export async function readAnswer(events: AsyncGenerator<AnswerStreamEvent>, into: FollowedAnswer, stopAfterDeltas = Infinity): Promise<FollowedAnswer> {
  for (;;) {
    if (into.deltas >= stopAfterDeltas) return into;
    const { value: event, done } = await events.next();
    if (done) return into;
    if (event.type === 'answer-start') {
      into.messageId = event.message.id;
      into.text = event.message.content;
    } else if (event.type === 'text-delta') {
      into.text += event.text;
      into.deltas += 1;
    } else if (event.type === 'answer-finish' || event.type === 'answer-error') {
      into.end = event;
      return into;
    }
  }
}

export function emptyAnswer(): FollowedAnswer {
  return { messageId: '', text: '', end: null, deltas: 0 };
}
