/** Why a generation was cut short by the server rather than ended by the model. */
export type AbortCause = 'client-disconnected' | 'stopped' | 'timeout' | 'shutdown' | 'deleted';

interface RunningGeneration {
  abort(cause: AbortCause): void;
  /** The app-API answer it writes, once stored; null for the TGI and OpenAI APIs. */
  answerId: string | null;
}

export interface GenerationRegistration {
  /**
   * Names the stored answer this generation writes, so stop and delete can find it. The
   * generation then stays registered until the returned function is called too (the answer is
   * saved), so a shutdown waits for that save.
   */
  nameAnswer(answerId: string): () => void;
  /** The generation has ended; safe to call more than once. */
  unregister(): void;
}

/**
 * Every generation running in this process, each registered once (by startGeneration), whatever
 * API asked for it. Stop and delete find an answer's generation here by its message id; a
 * graceful shutdown waits for all of them, then stops the stragglers and waits while they save.
 */
export class RunningGenerations {
  private readonly running = new Set<RunningGeneration>();
  private readonly emptyWaiters: Array<() => void> = [];

  get size(): number {
    return this.running.size;
  }

  register(abort: (cause: AbortCause) => void): GenerationRegistration {
    const generation: RunningGeneration = { abort, answerId: null };
    this.running.add(generation);
    // Who still needs it registered: the run, and once named, its answer until saved.
    let holders = 1;
    const releaseOnce = () => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holders--;
        if (holders > 0 || !this.running.delete(generation)) return;
        if (this.running.size === 0) for (const wake of this.emptyWaiters.splice(0)) wake();
      };
    };
    return {
      nameAnswer: (answerId) => {
        generation.answerId = answerId;
        holders++;
        return releaseOnce();
      },
      unregister: releaseOnce(),
    };
  }

  /** Whether this process generates the answer. */
  isGenerating(answerId: string): boolean {
    return this.find(answerId) !== undefined;
  }

  /** Stops the generation writing this answer; false when this process does not generate it. */
  abortAnswer(answerId: string, cause: AbortCause): boolean {
    const generation = this.find(answerId);
    generation?.abort(cause);
    return generation !== undefined;
  }

  /**
   * Lets running generations finish for up to `graceMs`, then stops the rest and waits up to
   * `saveMs` for them to save what they have. Never takes longer than `graceMs + saveMs`.
   */
  async drain(graceMs: number, saveMs: number): Promise<{ finished: number; aborted: number; unsaved: number }> {
    const before = this.running.size;
    if (before === 0) return { finished: 0, aborted: 0, unsaved: 0 };
    await this.waitUntilEmpty(graceMs);
    const aborted = this.running.size;
    for (const generation of [...this.running]) generation.abort('shutdown');
    await this.waitUntilEmpty(saveMs);
    return { finished: before - aborted, aborted, unsaved: this.running.size };
  }

  private find(answerId: string): RunningGeneration | undefined {
    for (const generation of this.running) if (generation.answerId === answerId) return generation;
    return undefined;
  }

  private waitUntilEmpty(timeoutMs: number): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
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
