import type { FinishReason, GenerationEvent, GenerationTimings, TokenUsage } from './backend.ts';

/**
 * Measures one generation the same way for every backend, so the page can compare them honestly:
 * time to first token from the call, tokens/s over the decode phase only.
 */
export class GenerationMeter {
  private readonly startedAt = performance.now();
  private firstTokenAt: number | null = null;
  private lastTokenAt: number | null = null;
  completionTokens = 0;

  /** Records `count` generated tokens (a text delta may carry several, or a partial one). */
  recordTokens(count = 1): void {
    const now = performance.now();
    this.firstTokenAt ??= now;
    this.lastTokenAt = now;
    this.completionTokens += count;
  }

  timings(): GenerationTimings {
    const now = performance.now();
    const decodeMs = this.firstTokenAt !== null && this.lastTokenAt !== null ? this.lastTokenAt - this.firstTokenAt : 0;
    // The first token closes prompt processing, so the decode rate counts the tokens after it.
    const decodedAfterFirst = this.completionTokens - 1;
    return {
      timeToFirstTokenMs: this.firstTokenAt === null ? null : round(this.firstTokenAt - this.startedAt),
      tokensPerSecond: decodeMs > 0 && decodedAfterFirst > 0 ? round((decodedAfterFirst * 1000) / decodeMs) : null,
      totalMs: round(now - this.startedAt),
    };
  }

  finish(reason: FinishReason, promptTokens: number, completionTokens = this.completionTokens): Extract<GenerationEvent, { type: 'finish' }> {
    const usage: TokenUsage = { promptTokens, completionTokens };
    return { type: 'finish', reason, usage, timings: this.timings() };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
