/**
 * Shutdown with answers streaming (issue 12, finding 1), on real `anychat serve` processes with
 * the default --shutdown-timeout (10 s), on PGlite and on PostgreSQL: an answer streams on each
 * API at SIGTERM, and the process must exit 0 within the timeout plus a small margin, having
 * saved the answers, closed storage (the data folder's lock released: a restart on it works) and
 * logged no error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { StoredMessage } from '../../src/chat/conversation.ts';
import { json, postgresEnvironment, postJson } from '../storage/anychat-serve-process.ts';
import { createTestSchema } from '../storage/test-postgres.ts';
import { recordRobustnessFigures } from './robustness-figures.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Closing the HTTP server, storage and the engine after the drain; the process's own exit. */
const MARGIN_MS = 3_000;
const WORDS = Array.from({ length: 1_000 }, (_, index) => `w${index}`).join(' ');

const results: Array<{ storage: string; exitMs: number; lockReleased: boolean; errors: number }> = [];

/** Starts a request and resolves once its first streamed bytes arrive, leaving it streaming. */
async function streaming(url: string, body: unknown): Promise<{ rest: Promise<string> }> {
  const response = await postJson(url, body);
  assert.equal(response.status, 200, `${url}: ${response.status}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!/"(text|token|choices|generated_text)"/.test(text)) {
    const { value, done } = await reader.read();
    assert.ok(!done, `${url} ended before streaming: ${text}`);
    text += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return text;
      text += value;
    }
  })();
  return { rest };
}

function logErrors(server: ServeProcess): string[] {
  const lines = server.output.stdout.split('\n').filter(Boolean);
  return lines.filter((line) => {
    try {
      return (JSON.parse(line) as { level: number }).level >= 50;
    } catch {
      return true;
    }
  });
}

function describeShutdown(storage: string, setup: () => Promise<{ args: string[]; env: Record<string, string>; cleanUp(): Promise<void> }>) {
  describe(`graceful shutdown with an answer streaming on each API: ${storage}`, () => {
    it('exits 0 within the default timeout plus a margin, answers saved, storage closed, no error logged', async () => {
      const { args, env, cleanUp } = await setup();
      try {
        const server = await startServe(['--backend', 'echo', '--echo-delay', '50', ...args], env);
        const conversation = await json<{ id: string }>(await postJson(`${server.baseUrl}/api/conversations`, {}));
        const streams = await Promise.all([
          streaming(`${server.baseUrl}/api/conversations/${conversation.id}/messages`, { content: WORDS, settings: { parameters: { maxNewTokens: 1_000 } } }),
          streaming(`${server.baseUrl}/generate_stream`, { inputs: WORDS, parameters: { max_new_tokens: 1_000 } }),
          streaming(`${server.baseUrl}/v1/chat/completions`, { messages: [{ role: 'user', content: WORDS }], stream: true, max_tokens: 1_000 }),
        ]);

        const signalledAt = performance.now();
        await server.stop();
        const exitMs = Math.round(performance.now() - signalledAt);
        const errors = logErrors(server);
        assert.equal(server.child.exitCode, 0, server.output.stderr);
        assert.ok(exitMs <= DEFAULT_SHUTDOWN_TIMEOUT_MS + MARGIN_MS, `exited after ${exitMs} ms`);
        assert.deepEqual(errors, [], 'no error in the log');
        assert.match(server.output.stdout, /"msg":"generations drained for shutdown"/);
        assert.match(server.output.stdout, /"aborted":3\b/, 'each answer counted once');
        assert.match(server.output.stdout, /"msg":"stopped"/);
        for (const stream of streams) await stream.rest;

        // Storage was closed and its lock released: a new server opens the same data.
        const restarted = await startServe(['--backend', 'echo', ...args], env);
        try {
          const { messages } = await json<{ messages: StoredMessage[] }>(await fetch(`${restarted.baseUrl}/api/conversations/${conversation.id}`));
          const answer = messages.find((message) => message.role === 'assistant');
          assert.equal(answer?.generation?.status, 'stopped', 'the answer was saved as stopped before storage closed');
          assert.ok(answer.content.length > 0);
        } finally {
          await restarted.stop();
        }
        results.push({ storage, exitMs, lockReleased: true, errors: errors.length });
      } finally {
        await cleanUp();
      }
    });
  });
}

describeShutdown('PGlite', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'anychat-shutdown-'));
  return { args: ['--data-dir', dataDir], env: {}, cleanUp: () => rm(dataDir, { recursive: true, force: true }) };
});

describeShutdown('PostgreSQL', async () => {
  const schema = await createTestSchema();
  const { DATABASE_URL } = await postgresEnvironment(schema);
  return { args: [], env: { DATABASE_URL: DATABASE_URL! }, cleanUp: () => schema.drop() };
});

after(async () => {
  if (results.length === 0) return;
  await recordRobustnessFigures({
    suite: 'shutdown',
    title: 'Graceful shutdown',
    runBy: 'npm test (test/robustness/graceful-shutdown.test.ts)',
    figures: [
      { label: 'shutdowns with answers streaming on the app, TGI and OpenAI APIs', value: results.length },
      { label: 'slowest exit after SIGTERM, in ms (default --shutdown-timeout 10 s)', value: Math.max(...results.map((result) => result.exitMs)) },
      { label: 'restarts on the same data that found it locked', value: results.filter((result) => !result.lockReleased).length, mustBeZero: true },
      { label: 'errors logged while shutting down', value: results.reduce((sum, result) => sum + result.errors, 0), mustBeZero: true },
    ],
    notes: [
      `Real \`anychat serve\` processes on ${results.map((result) => result.storage).join(' and ')}; each exited 0 within the timeout plus ${MARGIN_MS / 1000} s, its answers saved as stopped, its storage closed.`,
    ],
  });
});
