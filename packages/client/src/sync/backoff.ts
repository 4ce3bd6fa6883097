/**
 * Retry delays: exponential backoff with *full jitter* (uniform in [0, cap]), so a fleet of
 * devices does not retry in lockstep. Full rather than equal jitter (uniform in [cap/2, cap]):
 * the moment that matters is a server coming back with hundreds of devices waiting, and AWS's
 * analysis ("Exponential Backoff And Jitter", 2015) measured full jitter doing the least total
 * work and finishing soonest under such contention; equal jitter keeps a floor of cap/2 that
 * buys nothing here, since a device that is merely offline waits for `online` or its next
 * attempt either way. Retries stay bounded by the cap; the expected delay is cap/2.
 */
export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  initialMs?: number;
  /** Cap. Default 30 s. */
  maxMs?: number;
}

export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(o: BackoffOptions = {}, random: () => number = Math.random) {
    this.#initial = o.initialMs ?? 500;
    this.#max = o.maxMs ?? 30_000;
    this.#random = random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Delay before the next retry: uniform in [0, cap], cap = min(max, initial · 2^attempt). */
  next(): number {
    const cap = Math.min(this.#max, this.#initial * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.#random() * cap);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
