/**
 * Records uncaught exceptions and unhandled rejections while a suite runs: a fuzzed request that
 * breaks something outside its own request (a background save, a stream callback) shows up here
 * even when its response looked fine.
 */
export class CrashWatch {
  readonly events: string[] = [];
  private readonly onException = (error: unknown) => this.events.push(`uncaught exception: ${String(error)}`);
  private readonly onRejection = (reason: unknown) => this.events.push(`unhandled rejection: ${String(reason)}`);

  constructor() {
    // The monitor variant only observes; it leaves node:test's own handling (and failure) in place.
    process.on('uncaughtExceptionMonitor', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  stop(): void {
    process.off('uncaughtExceptionMonitor', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }
}
