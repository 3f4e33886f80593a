/**
 * Finds stop sequences in streamed text. Text that could still be the start of a stop sequence
 * is held back until the next delta decides it, so the user never sees a stop sequence (or half
 * of one) even when a token boundary splits it, e.g. "\nUs" + "er:".
 *
 * Linear in the text: each stop sequence runs a Knuth-Morris-Pratt automaton whose state is the
 * longest prefix of it that the text ends with, so every character is looked at a bounded number
 * of times, however long the stop sequence or the held-back text. The previous version searched
 * the held-back text again on every delta: 32k words matching a long stop prefix cost 1 s of CPU.
 */
export class StopSequenceMatcher {
  private readonly automata: KmpAutomaton[];
  /** Held-back text, in the pieces it came in (joined only when emitted, so no piece is copied twice). */
  private pending: string[] = [];
  private pendingLength = 0;
  /** Character comparisons made so far: a witness, for tests, that matching stays linear. */
  steps = 0;

  constructor(stopSequences: readonly string[]) {
    this.automata = stopSequences.filter((stop) => stop.length > 0).map((stop) => new KmpAutomaton(stop));
  }

  /** Returns the text that is safe to emit now, and whether a stop sequence has matched. */
  push(delta: string): { text: string; stopped: boolean } {
    for (let index = 0; index < delta.length; index++) {
      const character = delta[index]!;
      for (const automaton of this.automata) {
        this.steps += automaton.advance(character);
        if (automaton.matched === automaton.stop.length) {
          // The stop sequence ends here: everything before it is the answer's last text.
          const textBeforeStop = this.take(this.pendingLength + index + 1 - automaton.stop.length, delta);
          this.reset();
          return { text: textBeforeStop, stopped: true };
        }
      }
    }
    this.pending.push(delta);
    this.pendingLength += delta.length;
    const holdBack = Math.max(0, ...this.automata.map((automaton) => automaton.matched));
    return { text: this.take(this.pendingLength - holdBack, ''), stopped: false };
  }

  /** Text held back at the end of the stream was not a stop sequence after all. */
  flush(): string {
    const text = this.pending.join('');
    this.reset();
    return text;
  }

  /** Removes and returns the first `count` characters of the held-back text followed by `rest`. */
  private take(count: number, rest: string): string {
    const taken: string[] = [];
    let remaining = count;
    let whole = 0;
    // Whole pieces are dropped with one slice at the end: shifting one by one would be quadratic.
    while (remaining > 0 && whole < this.pending.length) {
      const piece = this.pending[whole]!;
      if (piece.length <= remaining) {
        taken.push(piece);
        remaining -= piece.length;
        whole++;
      } else {
        taken.push(piece.slice(0, remaining));
        this.pending[whole] = piece.slice(remaining);
        remaining = 0;
      }
    }
    if (whole > 0) this.pending = this.pending.slice(whole);
    this.pendingLength = Math.max(0, this.pendingLength - count);
    if (remaining > 0) taken.push(rest.slice(0, remaining));
    return taken.join('');
  }

  private reset(): void {
    this.pending = [];
    this.pendingLength = 0;
    for (const automaton of this.automata) automaton.matched = 0;
  }
}

/** Knuth-Morris-Pratt over one stop sequence: `matched` is the longest prefix the text ends with. */
class KmpAutomaton {
  matched = 0;
  /** failure[i]: the longest proper prefix of stop[0..i] that is also its suffix. */
  private readonly failure: Int32Array;

  constructor(readonly stop: string) {
    this.failure = new Int32Array(stop.length);
    let length = 0;
    for (let index = 1; index < stop.length; index++) {
      while (length > 0 && stop[index] !== stop[length]) length = this.failure[length - 1]!;
      if (stop[index] === stop[length]) length++;
      this.failure[index] = length;
    }
  }

  /** Feeds one character; returns the comparisons it took (amortised constant). */
  advance(character: string): number {
    let steps = 1;
    // After a full match the automaton is reset by the matcher, so `matched` < stop.length here.
    while (this.matched > 0 && character !== this.stop[this.matched]) {
      this.matched = this.failure[this.matched - 1]!;
      steps++;
    }
    if (character === this.stop[this.matched]) this.matched++;
    return steps;
  }
}
