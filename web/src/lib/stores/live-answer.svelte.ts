/**
 * Deltas arrive far more often than is worth drawing (several per frame at 100 tokens/s), and each
 * draw re-renders the growing markdown block and repaints the view. They are buffered and applied
 * in an animation frame at most every `minimumIntervalMs` (30 per second), which reads as smooth
 * streaming and halves the main-thread cost of drawing every frame.
 */
const minimumIntervalMs = 33;

/** The text of an answer while it streams. */
export class LiveAnswer {
  text = $state('');
  /** Deltas applied so far: each is about one token from every backend, what the context meter adds while generating. */
  deltas = $state(0);
  #buffer = '';
  #bufferedDeltas = 0;
  #lastFlush = 0;
  #cancelScheduledFlush: (() => void) | null = null;

  constructor(initialText: string) {
    this.text = initialText;
  }

  append(delta: string): void {
    this.#buffer += delta;
    this.#bufferedDeltas++;
    if (this.#cancelScheduledFlush) return;
    if (document.hidden) {
      // Hidden tabs get no animation frames; a timeout keeps their text current for when they return.
      const timer = setTimeout(() => this.flush(), 250);
      this.#cancelScheduledFlush = () => clearTimeout(timer);
      return;
    }
    let frame = 0;
    const wait = Math.max(0, this.#lastFlush + minimumIntervalMs - performance.now());
    const timer = setTimeout(() => (frame = requestAnimationFrame(() => this.flush())), wait);
    this.#cancelScheduledFlush = () => {
      clearTimeout(timer);
      cancelAnimationFrame(frame);
    };
  }

  /** Applies the buffered text now (also called when the answer ends). */
  flush(): void {
    this.#cancelScheduledFlush?.();
    this.#cancelScheduledFlush = null;
    this.#lastFlush = performance.now();
    if (!this.#buffer) return;
    this.text += this.#buffer;
    this.deltas += this.#bufferedDeltas;
    this.#buffer = '';
    this.#bufferedDeltas = 0;
  }
}

/** A thinking model's thoughts while they stream, and how long it thought (the page's clock, ms since the epoch). */
export class LiveThinking extends LiveAnswer {
  readonly startedAt: number;
  /** When its answer text started; null while it still thinks. */
  endedAt = $state<number | null>(null);

  constructor(initialText: string, startedAt: number, endedAt: number | null = null) {
    super(initialText);
    this.startedAt = startedAt;
    this.endedAt = endedAt;
  }

  end(): void {
    if (this.endedAt !== null) return;
    this.flush();
    this.endedAt = Date.now();
  }
}
