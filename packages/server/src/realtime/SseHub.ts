import {
  ALL_TENANTS,
  type CommittedBatch,
  type StorageEngine,
  type StoredDoc,
} from '../storage/StorageEngine.js';
import type { Visibility } from '../sync/SyncFilter.js';
import { sseComment } from './sseFormat.js';
import { syncEvents } from './syncEvents.js';

/** One connected SSE stream. */
export interface Subscriber {
  tenant: string;
  /** The user holding the stream (per-user stream limit). */
  user: string;
  visibility: Visibility;
  /** Highest sequence already delivered to this stream (rows at or below are skipped). */
  cursor: number;
  /** Writes a chunk; returns false when the stream is too far behind (it is then dropped). */
  write(chunk: string | Buffer): boolean;
  close(): void;
  /**
   * Resolves once the stream's unsent bytes are low again (true), or it closed (false). Catch-up
   * awaits it before each page: a reader that does not read holds one page, not the tenant.
   */
  drained(): Promise<boolean>;
  /** Batches that arrived while the stream was catching up from storage. */
  pending?: Array<{ from: number; to: number; rows: StoredDoc[] }>;
  /** Characters of document rows held in `pending`. */
  pendingChars?: number;
  /**
   * Set when `pending` grew past its bound and was emptied: those batches are committed, so
   * catch-up reads them from storage instead (it reads once more before going live).
   */
  pendingDropped?: boolean;
}

/**
 * Fans committed writes out to SSE streams, in sequence order, applying each reader's rules.
 *
 * Batches are processed one at a time through a promise chain: a batch written by another
 * process must be read from storage, and it must still reach every stream before the batches
 * committed after it — otherwise an event id (the cursor) could run ahead of a missing write.
 */
export class SseHub {
  readonly #storage: StorageEngine;
  readonly #byTenant = new Map<string, Set<Subscriber>>();
  readonly #timer: NodeJS.Timeout;
  #chain: Promise<void> = Promise.resolve();
  /** Per tenant (each has its own sequence), the highest sequence dispatched so far (gap detection). */
  readonly #lastTo = new Map<string, number>();
  readonly #unlisten: () => void;
  readonly #maxBytes: number;
  /** Open streams per user (`tenant NUL user`), for the per-user limit. */
  readonly #perUser = new Map<string, number>();
  /**
   * Live batches committed together (one group commit: the engine hands them over in one go),
   * per tenant, merged while their sequences are consecutive; fanned out once the current
   * microtasks are done (process.nextTick), so nothing waits for another event-loop turn.
   */
  readonly #queued = new Map<string, { from: number; to: number; rows: StoredDoc[]; merged: boolean }>();
  #flushScheduled = false;

  /** `maxBytes`: largest `sync` event (see `Limits.maxPageBytes`); also bounds catch-up's pending batches. */
  constructor(storage: StorageEngine, heartbeatMs: number, maxBytes = 4 * 1024 * 1024) {
    this.#storage = storage;
    this.#maxBytes = maxBytes;
    this.#unlisten = storage.onCommit((b) => {
      this.#chain = this.#chain
        .then(() => this.#dispatch(b))
        .catch((e: unknown) => console.error('[fieldsync] realtime fan-out failed', e));
    });
    this.#timer = setInterval(() => this.#heartbeat(), heartbeatMs);
    this.#timer.unref();
  }

  get size(): number {
    let n = 0;
    for (const s of this.#byTenant.values()) n += s.size;
    return n;
  }

  /** Streams one user holds open now. */
  streamsOf(tenant: string, user: string): number {
    return this.#perUser.get(`${tenant}\u0000${user}`) ?? 0;
  }

  add(s: Subscriber): void {
    let set = this.#byTenant.get(s.tenant);
    if (!set) this.#byTenant.set(s.tenant, (set = new Set()));
    if (set.has(s)) return;
    set.add(s);
    const k = `${s.tenant}\u0000${s.user}`;
    this.#perUser.set(k, (this.#perUser.get(k) ?? 0) + 1);
  }

  remove(s: Subscriber): void {
    const set = this.#byTenant.get(s.tenant);
    if (!set?.delete(s)) return;
    if (set.size === 0) this.#byTenant.delete(s.tenant);
    const k = `${s.tenant}\u0000${s.user}`;
    const n = (this.#perUser.get(k) ?? 1) - 1;
    if (n <= 0) this.#perUser.delete(k);
    else this.#perUser.set(k, n);
  }

  /** Ends the catch-up phase: delivers what arrived meanwhile, then the stream is live. */
  goLive(s: Subscriber): void {
    const pending = s.pending ?? [];
    delete s.pending;
    delete s.pendingChars;
    for (const p of pending) this.#deliver(s, p.from, p.to, p.rows);
  }

  async #dispatch(b: CommittedBatch): Promise<void> {
    if (b.tenant === ALL_TENANTS) return this.#refill();
    // A notification of this tenant was lost: read the missed range from storage, so no stream's
    // cursor ever jumps over a write.
    const last = this.#lastTo.get(b.tenant);
    if (last !== undefined && b.from > last + 1) await this.#fillGap(b.tenant, last, b.from - 1);
    this.#lastTo.set(b.tenant, Math.max(this.#lastTo.get(b.tenant) ?? 0, b.to));
    const subs = this.#byTenant.get(b.tenant);
    if (!subs || subs.size === 0) return;
    if (b.docs) {
      this.#queueLive(b.tenant, b.from, b.to, b.docs);
      return;
    }
    // Written by another process: read it from storage, a byte-bounded page at a time.
    this.#flushTenant(b.tenant);
    for (let since = b.from - 1; ;) {
      const page = await this.#storage.pull(b.tenant, {
        since,
        upTo: b.to,
        limit: b.to - since,
        maxBytes: this.#maxBytes,
      });
      const to = page.more ? page.cursor : b.to;
      this.#fanOut(subs, since + 1, to, page.docs);
      if (!page.more) return;
      since = page.cursor;
    }
  }

  /**
   * Why batches committed together go out together: with N streams every fan-out costs N socket
   * writes (N syscalls), whatever it carries. Under load many pushes commit in one group (the
   * engine answers all of them at once); merged, they cost N writes and one event per stream
   * instead of N per push. A lone batch is sent as soon as the current microtasks are done.
   */
  #queueLive(tenant: string, from: number, to: number, rows: StoredDoc[]): void {
    const q = this.#queued.get(tenant);
    if (q && q.to + 1 === from) {
      if (!q.merged) q.rows = [...q.rows]; // the committed batch's own array is never changed
      q.merged = true;
      for (const r of rows) q.rows.push(r);
      q.to = to;
      return;
    }
    if (q) this.#flushTenant(tenant);
    this.#queued.set(tenant, { from, to, rows, merged: false });
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => {
      this.#flushScheduled = false;
      for (const t of [...this.#queued.keys()]) this.#flushTenant(t);
    });
  }

  /** Fans out the tenant's queued batches (before anything later of that tenant is sent). */
  #flushTenant(tenant: string): void {
    const q = this.#queued.get(tenant);
    if (!q) return;
    this.#queued.delete(tenant);
    const subs = this.#byTenant.get(tenant);
    if (subs && subs.size > 0) this.#fanOut(subs, q.from, q.to, q.rows);
  }

  /** Sends the rows of sequences `from..to` to every stream of one tenant. */
  #fanOut(subs: Set<Subscriber>, from: number, to: number, rows: StoredDoc[]): void {
    // Streams with the same visibility key receive the same bytes: render and encode once per
    // key (read rules run once per group), then one socket write per stream and event.
    const rendered = new Map<string, Buffer[]>();
    for (const s of subs) {
      if (s.pending) {
        this.#hold(s, from, to, rows);
        continue;
      }
      if (s.cursor >= from) {
        this.#deliver(s, from, to, rows); // already holds part of this batch: render for it alone
        continue;
      }
      if (s.cursor < from - 1) {
        this.#skipping(s, from);
        continue;
      }
      let chunks = rendered.get(s.visibility.key);
      if (chunks === undefined) {
        chunks = syncEvents(rows, s.visibility, from - 1, to, this.#maxBytes).map((e) => Buffer.from(e));
        rendered.set(s.visibility.key, chunks);
      }
      s.cursor = to;
      for (const chunk of chunks) {
        if (!s.write(chunk)) {
          this.#drop(s);
          break;
        }
      }
    }
  }

  /**
   * Keeps a batch for a stream still catching up, within a bound: past `maxBytes` of rows the
   * held batches are let go and catch-up reads them from storage, so a stream that never
   * leaves catch-up (its reader never reads) cannot pin every later write in memory.
   */
  #hold(s: Subscriber, from: number, to: number, rows: StoredDoc[]): void {
    let chars = s.pendingChars ?? 0;
    for (const r of rows) chars += r.state.length + r.view.length;
    if (chars > this.#maxBytes) {
      s.pending = [];
      s.pendingChars = 0;
      s.pendingDropped = true;
      return;
    }
    s.pending?.push({ from, to, rows });
    s.pendingChars = chars;
  }

  /**
   * Notifications may have been lost (PostgreSQL's LISTEN connection dropped and came back):
   * every tenant with streams is read from where its streams are up to its head now. A batch
   * whose notification arrives later is then below what was delivered, and skipped.
   */
  async #refill(): Promise<void> {
    for (const [tenant, subs] of [...this.#byTenant]) {
      let after = this.#lastTo.get(tenant);
      if (after === undefined) for (const s of subs) after = Math.min(after ?? s.cursor, s.cursor);
      const head = await this.#storage.tenantHead(tenant);
      if (after !== undefined && head > after) await this.#fillGap(tenant, after, head);
      this.#lastTo.set(tenant, Math.max(this.#lastTo.get(tenant) ?? 0, head));
    }
  }

  /** Reads the tenant's sequences `after+1..upTo` from storage and sends them to its streams. */
  async #fillGap(tenant: string, after: number, upTo: number): Promise<void> {
    this.#flushTenant(tenant);
    let since = after;
    for (let pages = 0; pages < 1_000_000; pages++) {
      const page = await this.#storage.pull(tenant, { since, upTo, limit: 1000, maxBytes: this.#maxBytes });
      // (Streams opened or closed meanwhile are looked up again per page.)
      for (const s of this.#byTenant.get(tenant) ?? []) {
        if (s.pending) this.#hold(s, since + 1, page.more ? page.cursor : upTo, page.docs);
        else this.#deliver(s, since + 1, page.more ? page.cursor : upTo, page.docs);
      }
      if (!page.more) break;
      since = page.cursor;
    }
  }

  /** Sends the rows of sequences `from..to` that `s` lacks (it may hold a prefix of them). */
  #deliver(s: Subscriber, from: number, to: number, rows: StoredDoc[]): void {
    if (to <= s.cursor) return;
    if (s.cursor < from - 1) return this.#skipping(s, from);
    const events = syncEvents(rows, s.visibility, s.cursor, to, this.#maxBytes);
    s.cursor = to;
    for (const event of events) {
      if (!s.write(event)) {
        this.#drop(s);
        return;
      }
    }
  }

  /**
   * A stream is about to be sent sequences from `from` while it holds only up to its cursor:
   * sending them would make its client's cursor jump over the ones between. That must never
   * happen (batches reach the hub in sequence order and gaps are read from storage); if it does,
   * the stream is closed instead, and its client resumes from its last event id, reading the
   * missing range from storage. Logged, since it means a bug.
   */
  #skipping(s: Subscriber, from: number): void {
    console.warn(
      `[fieldsync] SSE stream of tenant ${JSON.stringify(s.tenant)} at ${s.cursor} was to receive from ${from}: closed, it resumes from storage`,
    );
    this.#drop(s);
  }

  /** A stream too slow to keep up is closed; the client reconnects with Last-Event-ID and catches up. */
  #drop(s: Subscriber): void {
    this.remove(s);
    s.close();
  }

  #heartbeat(): void {
    const ping = Buffer.from(sseComment('ping'));
    // Not to streams catching up: they write only once drained, and are not idle while they do.
    for (const set of this.#byTenant.values())
      for (const s of set) if (!s.pending && !s.write(ping)) this.#drop(s);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#unlisten();
    await this.#chain;
    for (const tenant of [...this.#queued.keys()]) this.#flushTenant(tenant);
    for (const set of this.#byTenant.values()) for (const s of set) s.close();
    this.#byTenant.clear();
  }
}
