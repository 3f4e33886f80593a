/**
 * A token bucket per key (a client address, or one shared key for a global limit): `burst` at
 * once, then one more every `refillMs`. Used for wrong API keys (the review measured about 550 a
 * second without it) and for the public CSP-report endpoint. Memory is bounded: full buckets are
 * dropped, and past `maxAddresses` the oldest key goes.
 */
export interface RateLimits {
  burst: number;
  refillMs: number;
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class AddressRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const bucket = this.refilled(address);
    if (!bucket || bucket.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * this.limits.refillMs) / 1000));
  }

  /** Uses one attempt of `address`'s allowance (a wrong key, a report). */
  spend(address: string): void {
    const bucket = this.refilled(address) ?? { tokens: this.limits.burst, updatedAt: this.now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.delete(address);
    this.buckets.set(address, bucket);
    const maxAddresses = this.limits.maxAddresses ?? 10_000;
    while (this.buckets.size > maxAddresses) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) break;
      this.buckets.delete(oldest);
    }
  }

  private refilled(address: string): Bucket | null {
    const bucket = this.buckets.get(address);
    if (!bucket) return null;
    const now = this.now();
    bucket.tokens = Math.min(this.limits.burst, bucket.tokens + (now - bucket.updatedAt) / this.limits.refillMs);
    bucket.updatedAt = now;
    if (bucket.tokens >= this.limits.burst) {
      this.buckets.delete(address);
      return null;
    }
    return bucket;
  }
}
