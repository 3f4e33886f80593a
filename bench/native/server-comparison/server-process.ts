import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningServer {
  baseUrl: string;
  process: ChildProcess;
  /** The last lines the server printed, for the error message when it fails. */
  outputTail(): string;
  stop(): Promise<void>;
}

/**
 * Starts a server as a child process and resolves once `readyPath` answers 200, or rejects with
 * the server's own output when it exits or does not get ready in time.
 */
export async function startServerProcess(options: {
  program: string;
  argumentList: string[];
  baseUrl: string;
  readyPath: string;
  readyTimeoutMilliseconds?: number;
  environment?: Record<string, string>;
}): Promise<RunningServer> {
  const child = spawn(options.program, options.argumentList, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.environment },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const server: RunningServer = {
    baseUrl: options.baseUrl,
    process: child,
    outputTail: () => lines.join('\n'),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(killTimer);
    },
  };
  const deadline = performance.now() + (options.readyTimeoutMilliseconds ?? 120_000);
  while (performance.now() < deadline) {
    if (exited) throw new Error(`${options.program} exited before it was ready:\n${server.outputTail()}`);
    try {
      const response = await fetch(`${options.baseUrl}${options.readyPath}`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return server;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await server.stop();
  throw new Error(`${options.program} did not answer ${options.readyPath} within the time allowed:\n${server.outputTail()}`);
}
