import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureCompiled } from '../../scripts/ensure-build.ts';

/**
 * Node's arguments that run the `anychat` command as it ships: the bundled dist/ that bin/anychat.js
 * runs, first rebuilt from src/ if any source changed since (esbuild, about a second), so tests
 * always see src/ as it is now. Through tsx, each start cost two to three times the CPU of the
 * bundle (4.3–5.2 s against 2.3 s for `serve`), and the suites start anychat a few hundred times.
 * `npm run test:unit` builds before it starts the suites, so suites run side by side never rebuild
 * at once.
 */
await ensureCompiled({ quiet: true });
/** With `--liftoff-only`, as the test processes themselves run: see scripts/run-test-suites.ts for why. */
export const ANYCHAT_COMMAND = ['--liftoff-only', fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))];

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
  return spawn(process.execPath, [...ANYCHAT_COMMAND, ...args], { env: { ...cleanEnvironment, ...env }, cwd: fileURLToPath(new URL('.', import.meta.url)) });
}

export function finished(child: ChildProcessWithoutNullStreams): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
