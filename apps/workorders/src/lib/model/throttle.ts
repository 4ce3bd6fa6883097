/** What `Throttle` needs of time; the browser's clock and timers unless a test passes its own. */
export interface ThrottleClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserClock: ThrottleClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Passes on the latest of a value that changes many times a second while `busy` (the results of
 * a live query during a first sync), at most once per `interval` ms; when not busy, at once.
 *
 * A first sync of 100,000 work orders brings newer orders with every pulled page, so the list's
 * first rows were all replaced ~20 times in ~6 s, and rendering them was a quarter of the sync.
 * Throttled, the first value still shows at once (the first rows of a first sync), later ones
 * at most once per interval, and the last one is never held back: a pending one is passed on when
 * its interval is over, and at once when the caller says it is no longer busy.
 */
export class Throttle<T> {
  readonly #publish: (value: T) => void;
  readonly #interval: number;
  readonly #clock: ThrottleClock;
  #latest: T | undefined;
  #last = Number.NEGATIVE_INFINITY;
  #timer: unknown = undefined;

  constructor(publish: (value: T) => void, interval: number, clock: ThrottleClock = browserClock) {
    this.#publish = publish;
    this.#interval = interval;
    this.#clock = clock;
  }

  /** The source has a new value (or `busy` changed: pushing the same value again is fine). */
  push(value: T, busy: boolean): void {
    this.#latest = value;
    const now = this.#clock.now();
    if (!busy || now - this.#last >= this.#interval) {
      this.#flush(now);
      return;
    }
    if (this.#timer === undefined)
      this.#timer = this.#clock.setTimeout(
        () => {
          this.#timer = undefined;
          this.#flush(this.#clock.now());
        },
        this.#interval - (now - this.#last),
      );
  }

  /** Drops a pending value (the consumer is going away). */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(now: number): void {
    this.dispose();
    this.#last = now;
    this.#publish(this.#latest as T);
  }
}
