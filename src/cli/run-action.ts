export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure already explained to the user (e.g. by a streamed error event); just exit with the code. */
export class ReportedFailure extends Error {
  constructor(readonly exitCode: number) {
    super('reported');
  }
}

/**
 * Wraps a command's action so every failure ends as a one-line message and the right exit code.
 * The action is loaded when its command runs (a dynamic import), so `anychat --help` reads only
 * the command table, not the engines, the server and the database behind each command.
 */
export function runAction<Arguments extends unknown[]>(action: (...args: Arguments) => Promise<void>) {
  return async (...args: Arguments): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      // Already told to the user: exit with its code, without loading the failure reporter.
      if (error instanceof ReportedFailure) {
        process.exitCode = error.exitCode;
        return;
      }
      const { reportFailure } = await import('./report-failure.ts');
      process.exitCode = reportFailure(error, process.argv.includes('--verbose'));
      // The failure is reported; a library that could not start may still hold a timer (PGlite
      // does when it fails to open a data directory), which would keep the process alive forever.
      // Let pending output drain, then leave.
      setTimeout(() => process.exit(), 1_000).unref();
    }
  };
}
