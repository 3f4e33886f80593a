/** A runtime failure already worded for the user (e.g. the port is taken): exit code 1, one line, no stack trace. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}
