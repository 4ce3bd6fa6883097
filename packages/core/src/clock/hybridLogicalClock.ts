import { ClockDriftError, ClockOverflowError, ValidationError } from '../errors.js';
import { MAX_COUNTER, MAX_WALL, formatStamp, isReplicaId, isStamp, parseStamp, type Stamp } from './stamp.js';
import { describeValue } from '../util/describeValue.js';

/** Options of {@link HybridLogicalClock}. */
export interface HybridLogicalClockOptions {
  /** This device's replica id; it breaks ties, so it must be unique per device (and per tab). */
  replica: string;
  /** Wall-clock source in ms; injectable so tests can move time backwards. */
  now?: () => number;
  /**
   * How far (ms) a remote stamp may be ahead of our wall clock before `receive` rejects it.
   * Default 5 minutes: generous for phones with sloppy clocks, small enough that a device set to
   * the year 3000 cannot win every last-write-wins conflict forever.
   */
  maxDrift?: number;
  /** The last stamp issued or received before a restart, so stamps stay monotonic across reloads. */
  last?: Stamp;
}

/** Default `maxDrift`: five minutes. */
export const DEFAULT_MAX_DRIFT = 300_000;

/**
 * Hybrid logical clock (Kulkarni et al.): stamps follow wall time when it moves forward and a
 * counter otherwise, so a replica never issues a stamp lower than one it issued or saw, even if
 * the wall clock goes back. Counter overflow (1.68 million stamps within one millisecond) is
 * handled by advancing the logical wall time by 1 ms; the drift check on the receiving side keeps
 * that bounded.
 */
export class HybridLogicalClock {
  readonly replica: string;
  readonly maxDrift: number;
  private readonly wallNow: () => number;
  private wall = 0;
  private counter = 0;
  private lastStamp: Stamp | undefined;
  /** Cache of the formatted wall part: stamps within one millisecond only re-format the counter. */
  private wallPrefixFor = -1;
  /** Char codes of the stamp being formatted: wall prefix (0-9), counter (10-13), `:replica`. */
  private readonly codes: number[];

  constructor(options: HybridLogicalClockOptions) {
    if (!isReplicaId(options.replica)) {
      throw new ValidationError('clock.replica', 'format', 'replica id must match [A-Za-z0-9_-]{1,64}');
    }
    const maxDrift = options.maxDrift ?? DEFAULT_MAX_DRIFT;
    if (!(maxDrift >= 0)) throw new ValidationError('clock.maxDrift', 'range', 'maxDrift must be >= 0');
    this.replica = options.replica;
    this.codes = Array.from('000000000:0000:' + options.replica, (ch) => ch.charCodeAt(0));
    this.maxDrift = maxDrift;
    this.wallNow = options.now ?? Date.now;
    if (options.last !== undefined) {
      const p = parseStamp(options.last);
      this.wall = p.wall;
      this.counter = p.counter;
      this.lastStamp = options.last;
    }
  }

  /** The last stamp issued or received (undefined before the first). Persist it across restarts. */
  get last(): Stamp | undefined {
    return this.lastStamp;
  }

  /** Issues a new stamp, strictly greater than every stamp issued or received so far. */
  now(): Stamp {
    const physical = Math.floor(this.wallNow());
    if (physical > this.wall) {
      this.wall = physical;
      this.counter = 0;
    } else {
      this.bump();
    }
    return this.issue();
  }

  /**
   * Advances the clock past a remote stamp so that the next local stamp orders after it.
   * Throws `ValidationError` for a malformed stamp and `ClockDriftError` if the stamp is more than
   * `maxDrift` ahead of local wall time; the clock is unchanged in both cases.
   */
  receive(remote: Stamp): void {
    if (!isStamp(remote))
      throw new ValidationError('stamp', 'stamp', `malformed stamp ${describeValue(remote)}`);
    const r = parseStamp(remote);
    const physical = Math.floor(this.wallNow());
    if (r.wall - physical > this.maxDrift)
      throw new ClockDriftError(remote, r.wall - physical, this.maxDrift);
    if (r.wall > this.wall || (r.wall === this.wall && r.counter > this.counter)) {
      this.wall = r.wall;
      this.counter = r.counter;
    }
    if (this.lastStamp === undefined || remote > this.lastStamp) this.lastStamp = remote;
  }

  private bump(): void {
    if (this.counter < MAX_COUNTER) {
      this.counter++;
      return;
    }
    if (this.wall >= MAX_WALL) throw new ClockOverflowError('clock reached the largest representable stamp');
    this.wall++;
    this.counter = 0;
  }

  /** Same output as `formatStamp`, without re-validating parts this class keeps in range. */
  private format(): Stamp {
    if (this.wallPrefixFor !== this.wall) {
      const prefix = formatStamp(this.wall, 0, this.replica);
      for (let i = 0; i < 10; i++) this.codes[i] = prefix.charCodeAt(i);
      this.wallPrefixFor = this.wall;
    }
    // One flat string (a `+` chain would be a rope that every document holding the stamp keeps).
    const codes = this.codes;
    let c = this.counter;
    for (let i = 13; i >= 10; i--) {
      const d = c % 36;
      codes[i] = d < 10 ? 48 + d : 87 + d;
      c = (c - d) / 36;
    }
    return String.fromCharCode.apply(null, codes);
  }

  private issue(): Stamp {
    let s = this.format();
    // A received stamp with equal (wall, counter) but a higher replica id sorts above ours.
    if (this.lastStamp !== undefined && s <= this.lastStamp) {
      this.bump();
      s = this.format();
    }
    this.lastStamp = s;
    return s;
  }
}
