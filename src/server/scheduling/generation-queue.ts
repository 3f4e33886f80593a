import { HttpProblem } from '../http-problem.ts';

/** A place in a backend's queue: wait for `turn`, then call `release` exactly when done. */
export interface QueueTicket {
  /** Resolves when this request may start generating; rejects if its signal aborts first. */
  readonly turn: Promise<void>;
  /** Frees the slot (or leaves the queue). Safe to call more than once. */
  release(): void;
}

interface Waiter {
  state: 'waiting' | 'running' | 'done';
  start: () => void;
}

/**
 * A FIFO in front of one backend: `parallel` generations run at once (the engine's sequences),
 * `maxQueue` more may wait. Past that, `enter` throws 429 at once instead of letting latency grow
 * without bound; TGI does the same with its `max_concurrent_requests`.
 */
export class GenerationQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly parallel: number,
    readonly maxQueue: number,
  ) {
    if (!(parallel >= 1)) throw new Error(`parallel must be ≥ 1, got ${parallel}`);
    if (!(maxQueue >= 0)) throw new Error(`maxQueue must be ≥ 0, got ${maxQueue}`);
  }

  get active(): number {
    return this.running;
  }

  get depth(): number {
    return this.waiting.length;
  }

  /** Takes a place synchronously, so a full queue is reported before anything is written. */
  enter(signal?: AbortSignal): QueueTicket {
    if (signal?.aborted) throw signal.reason;
    if (this.running < this.parallel) {
      this.running++;
      const waiter: Waiter = { state: 'running', start: () => {} };
      return { turn: Promise.resolve(), release: () => this.release(waiter) };
    }
    if (this.waiting.length >= this.maxQueue) {
      throw new HttpProblem(
        429,
        'overloaded',
        `the model is overloaded: ${this.running} generations running and ${this.waiting.length} waiting (limit ${this.maxQueue}); retry later`,
      );
    }
    let resolveTurn!: () => void;
    let rejectTurn!: (reason: unknown) => void;
    const turn = new Promise<void>((resolve, reject) => {
      resolveTurn = resolve;
      rejectTurn = reject;
    });
    // Nobody may await `turn` if the request fails before it; don't let that crash the process.
    turn.catch(() => {});
    const onAbort = () => {
      if (waiter.state !== 'waiting') return;
      this.leave(waiter);
      rejectTurn(signal?.reason ?? new Error('aborted while queued'));
    };
    const waiter: Waiter = {
      state: 'waiting',
      start: () => {
        signal?.removeEventListener('abort', onAbort);
        waiter.state = 'running';
        this.running++;
        resolveTurn();
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.waiting.push(waiter);
    return { turn, release: () => this.release(waiter) };
  }

  private leave(waiter: Waiter): void {
    waiter.state = 'done';
    const index = this.waiting.indexOf(waiter);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  private release(waiter: Waiter): void {
    if (waiter.state === 'waiting') this.leave(waiter);
    if (waiter.state !== 'running') return;
    waiter.state = 'done';
    this.running--;
    this.waiting.shift()?.start();
  }
}
