import { BackendError } from '../backends/backend.ts';
import { ContextOverflowError } from '../chat/fit-to-context-window.ts';
import { InvalidParametersError } from '../chat/generation-parameters.ts';
import { EmptyMessageError } from '../chat/prepare-generation.ts';
import { ChatTemplateError } from '../chat/templates/jinja-template.ts';
import { StorageConfigError, StorageOpenError } from '../storage/open-conversation-store.ts';
import { CommandFailure } from './command-failure.ts';
import { UsageError } from './usage-error.ts';

export const EXIT_RUNTIME_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure already explained to the user (e.g. by a streamed error event); just exit with the code. */
export class ReportedFailure extends Error {
  constructor(readonly exitCode: number) {
    super('reported');
  }
}

/** One line for the user; the stack only when they asked for it with --verbose. */
export function reportFailure(error: unknown, verbose: boolean): number {
  if (error instanceof ReportedFailure) return error.exitCode;
  const usage = error instanceof UsageError || error instanceof InvalidParametersError || error instanceof EmptyMessageError || error instanceof StorageConfigError;
  const known =
    usage || error instanceof CommandFailure || error instanceof BackendError || error instanceof ContextOverflowError || error instanceof ChatTemplateError || error instanceof StorageOpenError;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`anychat: ${known ? message : `unexpected failure: ${message}`}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else if (!known) process.stderr.write('(run again with --verbose for details)\n');
  return usage ? EXIT_USAGE : EXIT_RUNTIME_FAILURE;
}

/** Wraps a command's action so every failure ends as a one-line message and the right exit code. */
export function runAction<Arguments extends unknown[]>(action: (...args: Arguments) => Promise<void>) {
  return async (...args: Arguments): Promise<void> => {
    try {
      await action(...args);
    } catch (error) {
      const verbose = process.argv.includes('--verbose');
      process.exitCode = reportFailure(error, verbose);
      // The failure is reported; a library that could not start may still hold a timer (PGlite
      // does when it fails to open a data directory), which would keep the process alive forever.
      // Let pending output drain, then leave.
      setTimeout(() => process.exit(), 1_000).unref();
    }
  };
}
