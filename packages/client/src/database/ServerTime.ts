/** Monotonic milliseconds (not affected by changes of the system clock). */
const monotonic = (): number =>
  (globalThis as { performance?: { now(): number } }).performance?.now() ?? Date.now();

/** A local clock this close to the server's is left alone. */
const TOLERANCE_MS = 1000;

/**
 * The local database's wall clock, corrected by the server's (learned from `Fieldsync-Time` on
 * every response): `now()` is the local clock plus the last measured offset, when that offset is
 * more than a second.
 *
 * Why: the server rejects stamps more than its drift bound ahead of its own clock. A device whose
 * clock runs 10 minutes fast would otherwise have every write refused; following the server's
 * time, its stamps are acceptable and order like everyone else's.
 *
 * The offset is not persisted: after a restart the local clock is trusted until the server first
 * answers (a clock corrected meanwhile must not be "corrected" again by a stale offset). If the
 * system clock jumps while running (the user or NTP sets it), the offset is dropped as well: a jump
 * shows as wall time and monotonic time disagreeing.
 */
export class ServerTime {
  readonly #local: () => number;
  #offset = 0;
  #known = false;
  #anchorWall = 0;
  #anchorMono = 0;

  constructor(local: () => number = Date.now) {
    this.#local = local;
  }

  /** The offset (server minus local, ms) currently applied; 0 until the server answered. */
  get offset(): number {
    this.#checkJump();
    return this.#offset;
  }

  /** True once an offset was learned (and not dropped since). */
  get known(): boolean {
    this.#checkJump();
    return this.#known;
  }

  /** A measurement, taken as the answer arrives: the server's clock said `serverMs` about `rttMs / 2` ago. */
  sample(serverMs: number, rttMs: number): void {
    const offset = serverMs + Math.max(0, rttMs) / 2 - this.#local();
    // Within the tolerance the local clock is the better one (finer than half a round trip, and
    // steady): correcting it by a noisy few milliseconds would only reorder near-simultaneous writes.
    this.#offset = Math.abs(offset) <= TOLERANCE_MS ? 0 : Math.round(offset);
    this.#known = true;
    this.#anchorWall = this.#local();
    this.#anchorMono = monotonic();
  }

  /** Corrected wall time, ms. */
  now(): number {
    return this.#local() + this.offset;
  }

  #checkJump(): void {
    if (!this.#known) return;
    const wall = this.#local() - this.#anchorWall;
    const mono = monotonic() - this.#anchorMono;
    if (Math.abs(wall - mono) > 1000) {
      this.#offset = 0;
      this.#known = false;
    }
  }
}
