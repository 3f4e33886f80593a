/** Why a generation was cut short by the server rather than ended by the model. */
export type AbortCause = 'client-disconnected' | 'stopped' | 'timeout' | 'shutdown';

interface LiveWork {
  abort(cause: AbortCause): void;
}

/**
 * Everything generating in this process, so a graceful shutdown can wait for running answers,
 * then stop the stragglers and wait again while they save what they have.
 */
export class LiveGenerations {
  private readonly work = new Set<LiveWork>();
  private readonly emptyWaiters: Array<() => void> = [];

  get size(): number {
    return this.work.size;
  }

  /** Registers work in progress; call the returned function when it has fully ended. */
  add(work: LiveWork): () => void {
    this.work.add(work);
    return () => {
      this.work.delete(work);
      if (this.work.size === 0) for (const wake of this.emptyWaiters.splice(0)) wake();
    };
  }

  /** Lets running work finish for up to `graceMs`, then aborts the rest and waits for them to save. */
  async drain(graceMs: number, saveMs = 5000): Promise<{ finished: number; aborted: number }> {
    const before = this.work.size;
    if (before === 0) return { finished: 0, aborted: 0 };
    await this.waitUntilEmpty(graceMs);
    const aborted = this.work.size;
    for (const work of [...this.work]) work.abort('shutdown');
    await this.waitUntilEmpty(saveMs);
    return { finished: before - aborted, aborted };
  }

  private waitUntilEmpty(timeoutMs: number): Promise<void> {
    if (this.work.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.emptyWaiters.push(done);
    });
  }
}
