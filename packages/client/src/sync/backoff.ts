/** Retry delays: exponential with "full jitter" so a fleet of devices does not retry in lockstep. */
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

  /** Delay before the next retry: uniform in [cap/2, cap], cap = min(max, initial · 2^attempt). */
  next(): number {
    const cap = Math.min(this.#max, this.#initial * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(cap / 2 + (this.#random() * cap) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
