import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { findFreePort } from '../lib/free-port.ts';
import type { ServeProcessMessage, ServeProcessReply } from './serve-process.ts';

export interface ServerProcessOptions {
  /** PGlite's directory; its parent is the server's working directory, so it must hold no .env file. */
  dataDirectory: string;
  /** The echo backend's pause between words: 0 answers as fast as the client reads. */
  echoDelayMs: number;
  /** Generations at once, and how many more may wait: both sized to the load, so no request is refused. */
  parallel: number;
  maxQueue: number;
}

export interface ServerProcess {
  baseUrl: string;
  /** For reading its CPU time from /proc. */
  pid: number;
  /** Forces a full GC in the server and returns its memory right after. */
  collectGarbage(): Promise<NodeJS.MemoryUsage>;
  /** SIGTERM (the graceful shutdown a service manager sends); resolves with the exit code. */
  stop(timeoutMilliseconds?: number): Promise<{ exitCode: number | null; signal: string | null; seconds: number }>;
  /** The server's stderr so far: its listening line, and anything it logged at warn or worse. */
  readonly output: () => string;
}

/** Starts `anychat serve` with the echo backend on 127.0.0.1 and waits until it listens. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await findFreePort();
  const child = fork(
    join(import.meta.dirname, 'serve-process.ts'),
    [
      'serve',
      ...['--backend', 'echo', '--echo-delay', String(options.echoDelayMs)],
      ...['--host', '127.0.0.1', '--port', String(port), '--data-dir', options.dataDirectory],
      ...['--parallel', String(options.parallel), '--max-queue', String(options.maxQueue)],
      // Per-request info lines at this rate would cost the server more than the requests; warnings and errors still show.
      ...['--log-level', 'warn'],
    ],
    {
      execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')],
      // Standard output carries pino's log lines; both go to one buffer so a failure can be shown.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Run where no .env file is, with none of the developer's settings: DATABASE_URL would swap PGlite for PostgreSQL.
      cwd: dirname(options.dataDirectory),
      env: environmentWithoutAnychatSettings(),
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    // Keep the tail only: a misbehaving server could log a line per request.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitForListening(child, () => output);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    collectGarbage: () => collectGarbage(child),
    stop: (timeoutMilliseconds = 30_000) => stopProcess(child, timeoutMilliseconds),
    output: () => output,
  };
}

function environmentWithoutAnychatSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ANYCHAT_') && name !== 'DATABASE_URL' && name !== 'PORT'));
}

async function waitForListening(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (!output().includes('anychat: listening on')) {
    if (child.exitCode !== null) throw new Error(`anychat serve exited with ${child.exitCode} before listening:\n${output()}`);
    if (performance.now() > deadline) throw new Error(`anychat serve did not listen within 60 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function collectGarbage(child: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ServeProcessReply) => {
      if (message.type !== 'garbage-collected') return;
      child.off('message', onMessage);
      resolve(message.memory);
    };
    child.on('message', onMessage);
    child.send('collect-garbage' satisfies ServeProcessMessage, (error) => error && reject(error));
  });
}

async function stopProcess(child: ChildProcess, timeoutMilliseconds: number) {
  const startedAt = performance.now();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMilliseconds);
  const [exitCode, signal] = child.exitCode !== null || child.signalCode !== null ? [child.exitCode, child.signalCode] : await exited;
  clearTimeout(timer);
  return { exitCode, signal, seconds: Math.round((performance.now() - startedAt) / 100) / 10 };
}
