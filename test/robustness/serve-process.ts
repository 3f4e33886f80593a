/**
 * A real `anychat serve` child process (run from src/ through tsx), its stdout (pino's JSON log lines) and
 * stderr captured whole, so a test can read every line the server wrote.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { startAnychat } from '../cli/run-anychat.ts';

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  baseUrl: string;
  /** Everything written so far; read after stop() for the whole run. */
  output: { stdout: string; stderr: string };
  stop(): Promise<void>;
}

export async function startServe(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<ServeProcess> {
  const child = startAnychat(['serve', '--port', '0', ...args], env);
  child.stdin.end();
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anychat serve did not listen within ${timeoutMs} ms:\n${output.stderr}`)), timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
      const port = /listening on http:\/\/[^:]+:(\d+)/.exec(output.stderr)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`anychat serve exited before listening:\n${output.stderr}`));
    });
  });
  return {
    child,
    baseUrl,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
