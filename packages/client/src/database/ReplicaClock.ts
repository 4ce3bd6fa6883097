import { ClockDriftError, createDocId, formatStamp, HybridLogicalClock, parseStamp } from '@fieldsync/core';
import type { CommitQueue } from './CommitQueue.js';
import { ServerTime } from './ServerTime.js';

export const META_REPLICA = 'replicaId';
export const META_CLOCK = 'clock';

/** How the clock is set up (see `ReplicaClock`'s constructor). */
export interface ReplicaClockInit {
  queue: CommitQueue;
  meta: ReadonlyMap<string, string>;
  /** A fixed replica id (else the persisted one, else a new one). */
  replicaId: string | undefined;
  now: (() => number) | undefined;
  /** Tabs share this storage (IndexedDB): without leader election each needs its own replica id. */
  shared: boolean;
  /** Tabs elect a leader, which alone stamps: the device keeps one replica id. */
  elect: boolean;
}

/**
 * The hybrid logical clock of this device's stamps, and the replica id it stamps under: both
 * persisted (meta `replicaId`, `clock`), corrected by the server's time, rewound when it ran
 * ahead, and moved to a new replica id when the server says another user holds ours.
 */
export class ReplicaClock {
  /** The wall clock of stamps: local time, corrected by the server's once it answered. */
  readonly time: ServerTime;
  #clock: HybridLogicalClock;
  readonly #queue: CommitQueue;
  readonly #shared: boolean;
  readonly #elect: boolean;

  constructor(init: ReplicaClockInit) {
    this.#queue = init.queue;
    this.#shared = init.shared;
    this.#elect = init.elect;
    let base = init.replicaId ?? init.meta.get(META_REPLICA);
    base ??= createDocId();
    if (base !== init.meta.get(META_REPLICA)) init.queue.setMeta(META_REPLICA, base);
    this.time = new ServerTime(init.now);
    this.#clock = this.#make(this.#replicaFor(base), init.meta.get(META_CLOCK));
    // A clock persisted far ahead (the system clock ran fast, then was corrected) would stamp
    // every new write beyond the server's drift bound: start again from the corrected time.
    this.rewindIfAhead(this.#clock.maxDrift);
  }

  /** The clock (replaced when it is rewound or the replica rotates: read it here each time). */
  get clock(): HybridLogicalClock {
    return this.#clock;
  }

  get replica(): string {
    return this.#clock.replica;
  }

  /** Queues the clock's last stamp for the next storage batch (after stamping a write). */
  persist(): void {
    this.#queue.setMeta(META_CLOCK, this.#clock.last as string);
  }

  /**
   * Moves the clock past a stamp seen in remote data. A stamp beyond the drift bound is not
   * adopted (core's rule: reject, never clamp); the data still merges, and the server is where
   * such a change should have been refused.
   */
  receive(stamp: string): void {
    try {
      this.#clock.receive(stamp);
      this.persist();
    } catch (e) {
      if (!(e instanceof ClockDriftError)) throw e;
    }
  }

  /** The server's clock, read from a response that took `rttMs` to arrive. */
  serverTime(serverMs: number, rttMs: number): void {
    this.time.sample(serverMs, rttMs);
    this.rewindIfAhead(this.#clock.maxDrift);
  }

  /**
   * Restarts the clock at the corrected time if its last stamp is more than `aheadMs` ahead of it.
   * Stamps then go back in time under the same replica id; the server's change identity check
   * (same id, other content → `id_conflict`, re-issued) keeps a repeated id from being taken for
   * a duplicate. See docs/crdt.md, "Wrong clocks".
   */
  rewindIfAhead(aheadMs: number): boolean {
    const last = this.#clock.last;
    const now = Math.floor(this.time.now());
    if (last === undefined || parseStamp(last).wall - now <= aheadMs) return false;
    const restart = formatStamp(now, 0, this.#clock.replica);
    this.#clock = this.#make(this.#clock.replica, restart);
    this.#queue.setMeta(META_CLOCK, restart);
    return true;
  }

  /** Moves to a new replica id (another user of the tenant holds ours: `replica_taken`). */
  rotate(): void {
    const base = createDocId();
    this.#queue.setMeta(META_REPLICA, base);
    this.#clock = this.#make(this.#replicaFor(base), undefined);
  }

  /** A throwaway clock at the same point, to validate a write another tab will stamp. */
  scratch(): HybridLogicalClock {
    const last = this.#clock.last;
    return new HybridLogicalClock({ replica: this.replica, ...(last ? { last } : {}) });
  }

  /**
   * The replica id stamps carry. With leader election only the leader stamps, so every tab uses
   * the device's id. Without it each tab needs its own, or two tabs could issue the same stamp
   * (= the same change id) in the same millisecond.
   */
  #replicaFor(base: string): string {
    return this.#shared && !this.#elect ? `${base}-${createDocId().replace(/[-_]/g, '').slice(0, 8)}` : base;
  }

  #make(replica: string, last: string | undefined): HybridLogicalClock {
    return new HybridLogicalClock({ replica, ...(last ? { last } : {}), now: () => this.time.now() });
  }
}
