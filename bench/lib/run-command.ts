import { spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunCommandOptions {
  cwd?: string;
  /** Kills the child after this long; benchmarks must end within their budget. */
  timeoutMilliseconds?: number;
  /** Streams the child's output to ours as well, for long builds the user should see progress of. */
  echo?: boolean;
  /** Added to this process's environment for the child. */
  environment?: Record<string, string>;
}

/** Runs a program and collects its output; throws when it exits non-zero so callers can't miss a failed step. */
export function runCommand(program: string, argumentList: string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, argumentList, {
      cwd: options.cwd,
      env: options.environment ? { ...process.env, ...options.environment } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    const timer = options.timeoutMilliseconds
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMilliseconds)
      : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const exitCode = code ?? (signal ? 128 : 1);
      if (exitCode !== 0) {
        const tail = (stderr || stdout).split('\n').slice(-15).join('\n');
        reject(new Error(`${program} ${argumentList.join(' ')} exited with ${signal ?? exitCode}\n${tail}`));
        return;
      }
      resolve({ stdout, stderr, exitCode });
    });
  });
}
