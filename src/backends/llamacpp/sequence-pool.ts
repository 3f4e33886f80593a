export interface SequencePoolStats {
  /** Sequences generating right now. */
  activeSequences: number;
  /** Requests waiting for a free sequence. */
  queuedRequests: number;
  /** Sequences in the pool: the most generations that run at once. */
  parallel: number;
}

export interface SequenceLease<Sequence> {
  sequence: Sequence;
  release(): void;
}

interface Waiter<Sequence> {
  resolve: (lease: SequenceLease<Sequence>) => void;
  reject: (reason: unknown) => void;
}

/** Picks among free sequences, which come least recently used first. */
export type ChooseSequence<Sequence> = (freeLeastRecentlyUsedFirst: readonly Sequence[]) => Sequence;

/**
 * Hands out the context's sequences one request at a time and queues the rest in arrival order.
 * A waiting request whose AbortSignal fires leaves the queue at once, so a client that gives up
 * never holds a place. Free sequences are kept least recently used first (a released sequence
 * goes to the back), so a chooser can give up the cache that has waited longest.
 */
export class SequencePool<Sequence> {
  private readonly free: Sequence[];
  private readonly waiters: Waiter<Sequence>[] = [];

  /** `choose` is the default chooser; each request may bring its own (the prompt it is for decides). */
  constructor(
    private readonly sequences: readonly Sequence[],
    private readonly choose: ChooseSequence<Sequence> = (free) => free[0] as Sequence,
  ) {
    this.free = [...sequences];
  }

  /**
   * A queued request gets the sequence that frees first: it is then the only free one, so there is
   * nothing to choose between.
   */
  acquire(signal?: AbortSignal, choose: ChooseSequence<Sequence> = this.choose): Promise<SequenceLease<Sequence>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free.length > 0) return Promise.resolve(this.lease(this.take(choose(this.free))));
    return new Promise((resolve, reject) => {
      const waiter: Waiter<Sequence> = {
        resolve: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
        reject,
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  stats(): SequencePoolStats {
    return {
      activeSequences: this.sequences.length - this.free.length,
      queuedRequests: this.waiters.length,
      parallel: this.sequences.length,
    };
  }

  private take(sequence: Sequence): Sequence {
    this.free.splice(this.free.indexOf(sequence), 1);
    return sequence;
  }

  private lease(sequence: Sequence): SequenceLease<Sequence> {
    let released = false;
    return {
      sequence,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) next.resolve(this.lease(sequence));
        else this.free.push(sequence);
      },
    };
  }
}
