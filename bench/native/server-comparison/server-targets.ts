import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '../../../scripts/test-models/repository-root.ts';
import { findFreePort } from '../../lib/free-port.ts';
import { runCommand } from '../../lib/run-command.ts';
import { startServerProcess, type RunningServer } from './server-process.ts';
import type { ApiFamily } from './streaming-request.ts';

export interface ServerSettings {
  modelPath: string;
  /** Sequences generating at once: llama-server's `-np`, anychat's `--parallel`. */
  parallel: number;
  /** Tokens per sequence; llama-server's `-c` is the total, so it gets parallel × this. */
  contextPerSequence: number;
  threads: number;
}

export interface ServerTarget {
  /** A load target: one server and one of its APIs. */
  label: string;
  server: RunningServer;
  api: ApiFamily;
}

export const anychatServeSource = join(repositoryRoot, 'src', 'cli', 'serve.ts');
const anychatEntry = join(repositoryRoot, 'bin', 'anychat.js');

/**
 * With `defaults`, llama-server keeps its own slot count and unified KV cache (and its prompt
 * cache), with the same total KV cells as anychat's `parallel` × `contextPerSequence`.
 */
export async function startLlamaServer(
  serverPath: string,
  settings: ServerSettings,
  choices: { defaults?: boolean; threadsBatch?: number } = {},
): Promise<RunningServer> {
  const port = await findFreePort();
  return startServerProcess({
    program: serverPath,
    argumentList: [
      '-m', settings.modelPath,
      // With its own slot count llama-server also keeps one unified KV cache; with -np it would
      // split the cells per slot unless told, so -kvu keeps that default either way.
      ...(choices.defaults ? [] : ['-np', String(settings.parallel), '-kvu']),
      '-c', String(settings.parallel * settings.contextPerSequence),
      '-t', String(settings.threads),
      ...(choices.threadsBatch === undefined ? [] : ['-tb', String(choices.threadsBatch)]),
      '--host', '127.0.0.1',
      '--port', String(port),
      // The page is not under test, and the build has none (LLAMA_BUILD_UI=OFF).
      '--no-webui',
    ],
    baseUrl: `http://127.0.0.1:${port}`,
    readyPath: '/health',
  });
}

/**
 * Starts `anychat serve` as a user would, reading its --help first so that flags it lacks (the
 * server is young and its options still move) are left out instead of failing the start.
 */
export async function startAnychatServe(settings: ServerSettings, extraArguments: string[] = []): Promise<RunningServer> {
  const port = await findFreePort();
  const { stdout: help } = await runCommand(process.execPath, [anychatEntry, 'serve', '--help'], { timeoutMilliseconds: 30_000 });
  const optional = (flag: string, value: string): string[] => (help.includes(flag) ? [flag, value] : []);
  return startServerProcess({
    program: process.execPath,
    argumentList: [
      anychatEntry, 'serve',
      '--backend', 'llamacpp',
      '--model', settings.modelPath,
      '--port', String(port),
      '--parallel', String(settings.parallel),
      '--threads', String(settings.threads),
      ...optional('--host', '127.0.0.1'),
      ...optional('--context-size', String(settings.contextPerSequence)),
      // Conversations are not stored by the OpenAI and TGI endpoints; memory keeps the bench off the user's data directory.
      ...optional('--data-dir', 'memory://'),
      ...extraArguments,
    ],
    baseUrl: `http://127.0.0.1:${port}`,
    readyPath: '/health',
    environment: { NODE_ENV: 'production' },
  });
}

export function anychatServeExists(): boolean {
  return existsSync(anychatServeSource);
}
