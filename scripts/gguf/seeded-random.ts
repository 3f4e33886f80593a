/**
 * xorshift32: a tiny deterministic generator. The test models must come out byte-identical on
 * every machine so a test that reads the model's greedy output sees the same model everywhere,
 * and it must fill hundreds of megabytes quickly, which `Math.random` can do neither of.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform in [-1, 1). */
  nextSigned(): number {
    return this.nextUint32() / 0x80000000 - 1;
  }

  fill(words: Uint32Array): void {
    let x = this.state;
    for (let index = 0; index < words.length; index++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[index] = x;
    }
    this.state = x >>> 0;
  }
}
