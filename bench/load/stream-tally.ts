import type { SurfaceName } from './stream-surfaces.ts';

/** How many error messages are kept word for word; the rest are only counted. */
const KEPT_ERRORS = 20;

interface SurfaceCounts {
  completed: number;
  errors: number;
  tokens: number;
}

/**
 * Everything the clients saw, added up as streams end: counts, per-token timings and the first
 * few errors verbatim. One tally per phase.
 */
export class StreamTally {
  started = 0;
  completed = 0;
  /** Requests sent and not yet ended: the streams held open right now. */
  open = 0;
  tokens = 0;
  /** Streams whose text differed from the text asked for, or from what the server stored. */
  mismatches = 0;
  /** Tokens dropped, duplicated, reordered or foreign, over all streams. */
  faultyTokens = 0;
  errorCount = 0;
  readonly errors: string[] = [];
  readonly timeToFirstTokenMs: number[] = [];
  /** The same samples by surface: the app API stores the question and the answer before its first token. */
  readonly timeToFirstTokenMsBySurface: Record<SurfaceName, number[]> = { tgi: [], openai: [], app: [] };
  readonly interTokenMs: number[] = [];
  readonly bySurface: Record<SurfaceName, SurfaceCounts> = {
    tgi: { completed: 0, errors: 0, tokens: 0 },
    openai: { completed: 0, errors: 0, tokens: 0 },
    app: { completed: 0, errors: 0, tokens: 0 },
  };

  recordError(surface: SurfaceName, message: string): void {
    this.errorCount++;
    this.bySurface[surface].errors++;
    if (this.errors.length < KEPT_ERRORS) this.errors.push(`${surface}: ${message}`);
  }

  recordCompleted(surface: SurfaceName, tokens: number): void {
    this.completed++;
    this.tokens += tokens;
    this.bySurface[surface].completed++;
    this.bySurface[surface].tokens += tokens;
  }
}
