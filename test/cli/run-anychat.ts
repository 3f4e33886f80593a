import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Node's arguments that run the `anychat` command from its TypeScript sources, through tsx: tests
 * see src/ as it is now, with no build first. bin/anychat.js runs the compiled dist/ instead,
 * which test/package/packed-package.test.ts checks from a packed and installed tarball.
 */
export const ANYCHAT_FROM_SOURCE = ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))];

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `anychat` command as a user would, with stdin given and the environment cleaned of ANYCHAT_* settings. */
export function runAnychat(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CommandResult> {
  const child = startAnychat(args, options.env);
  child.stdin.end(options.stdin ?? '');
  return finished(child);
}

export function startAnychat(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const cleanEnvironment = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ANYCHAT_') && name !== 'HF_TOKEN' && name !== 'HF_API_KEY'),
  );
  return spawn(process.execPath, [...ANYCHAT_FROM_SOURCE, ...args], { env: { ...cleanEnvironment, ...env }, cwd: fileURLToPath(new URL('.', import.meta.url)) });
}

export function finished(child: ChildProcessWithoutNullStreams): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
