/**
 * Finds stop sequences in streamed text. Text that could still be the start of a stop sequence
 * is held back until the next delta decides it, so the user never sees a stop sequence (or half
 * of one) even when a token boundary splits it, e.g. "\nUs" + "er:".
 */
export class StopSequenceMatcher {
  private pending = '';

  constructor(private readonly stopSequences: readonly string[]) {}

  /** Returns the text that is safe to emit now, and whether a stop sequence has matched. */
  push(delta: string): { text: string; stopped: boolean } {
    this.pending += delta;
    let earliest = -1;
    for (const stop of this.stopSequences) {
      const index = this.pending.indexOf(stop);
      if (index !== -1 && (earliest === -1 || index < earliest)) earliest = index;
    }
    if (earliest !== -1) {
      const text = this.pending.slice(0, earliest);
      this.pending = '';
      return { text, stopped: true };
    }
    const holdBack = this.longestStopPrefixAtEnd();
    const text = this.pending.slice(0, this.pending.length - holdBack);
    this.pending = this.pending.slice(this.pending.length - holdBack);
    return { text, stopped: false };
  }

  /** Text held back at the end of the stream was not a stop sequence after all. */
  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  private longestStopPrefixAtEnd(): number {
    let longest = 0;
    for (const stop of this.stopSequences) {
      for (let length = Math.min(stop.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
