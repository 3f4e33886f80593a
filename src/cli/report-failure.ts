import { BackendError } from '../backends/backend.ts';
import { ContextOverflowError } from '../chat/fit-to-context-window.ts';
import { InvalidParametersError } from '../chat/generation-parameters.ts';
import { EmptyMessageError } from '../chat/prepare-generation.ts';
import { ChatTemplateError } from '../chat/templates/jinja-template.ts';
import { StorageConfigError, StorageOpenError } from '../storage/storage-errors.ts';
import { EXIT_RUNTIME_FAILURE, EXIT_USAGE, ReportedFailure } from './run-action.ts';
import { CommandFailure } from './command-failure.ts';
import { UsageError } from './usage-error.ts';

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
