/**
 * Token-bucket rate limit per bearer token, in memory (per server process).
 *
 * Why per token and not per IP: many field devices share one carrier NAT address, and one
 * misbehaving client (a retry loop without backoff) must not lock out its colleagues.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per token. */
  perSecond: number;
  /** Bucket size: requests allowed in a burst. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #opts: RateLimitOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(opts: RateLimitOptions, now: () => number = Date.now) {
    this.#opts = opts;
    this.#now = now;
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.#opts.burst, at: now };
    b.tokens = Math.min(this.#opts.burst, b.tokens + ((now - b.at) / 1000) * this.#opts.perSecond);
    b.at = now;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 100_000) this.#evictFull(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.#opts.perSecond));
  }

  /** Bounded memory: forget buckets that have refilled (they behave exactly like new ones). */
  #evictFull(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#opts.perSecond >= this.#opts.burst)
        this.#buckets.delete(k);
    }
  }
}
