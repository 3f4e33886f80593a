/** Bad usage (a wrong flag value, a missing argument): exit code 2, one line, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
