import type { CommittedBatch, StorageEngine, StoredDoc } from '../storage/StorageEngine.js';
import { deltaJSON, renderDelta } from '../sync/renderDelta.js';
import type { Visibility } from '../sync/SyncFilter.js';
import { sseComment, sseEvent } from './sseFormat.js';

/** The `sync` event (id `to`) of what `vis` sees of `rows` after sequence `after`; null if it sees nothing. */
function syncEvent(rows: StoredDoc[], vis: Visibility, after: number, to: number): string | null {
  const delta = renderDelta(rows, vis, true, after);
  if (delta.docs.length === 0 && delta.gone.length === 0 && delta.types.length === 0) return null;
  return sseEvent('sync', to, deltaJSON(delta, to));
}

/** One connected SSE stream. */
export interface Subscriber {
  tenant: string;
  visibility: Visibility;
  /** Highest sequence already delivered to this stream (rows at or below are skipped). */
  cursor: number;
  /** Writes a chunk; returns false when the stream is too far behind (it is then dropped). */
  write(chunk: string | Buffer): boolean;
  close(): void;
  /** Batches that arrived while the stream was catching up from storage. */
  pending?: Array<{ to: number; rows: StoredDoc[] }>;
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
  /** Highest sequence dispatched so far (gap detection). */
  #lastTo: number | undefined;
  readonly #unlisten: () => void;

  constructor(storage: StorageEngine, heartbeatMs: number) {
    this.#storage = storage;
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

  add(s: Subscriber): void {
    let set = this.#byTenant.get(s.tenant);
    if (!set) this.#byTenant.set(s.tenant, (set = new Set()));
    set.add(s);
  }

  remove(s: Subscriber): void {
    const set = this.#byTenant.get(s.tenant);
    set?.delete(s);
    if (set?.size === 0) this.#byTenant.delete(s.tenant);
  }

  /** Ends the catch-up phase: delivers what arrived meanwhile, then the stream is live. */
  goLive(s: Subscriber): void {
    const pending = s.pending ?? [];
    delete s.pending;
    for (const p of pending) this.#deliver(s, p.to, p.rows);
  }

  async #dispatch(b: CommittedBatch): Promise<void> {
    // A notification was lost (e.g. the LISTEN connection dropped): read the missed range from
    // storage for every tenant with streams, so no stream's cursor ever jumps over a write.
    if (this.#lastTo !== undefined && b.from > this.#lastTo + 1)
      await this.#fillGap(this.#lastTo, b.from - 1);
    this.#lastTo = Math.max(this.#lastTo ?? 0, b.to);
    const subs = this.#byTenant.get(b.tenant);
    if (!subs || subs.size === 0) return;
    let rows = b.docs;
    if (!rows) {
      const page = await this.#storage.pull(b.tenant, {
        since: b.from - 1,
        upTo: b.to,
        limit: b.to - b.from + 1,
      });
      rows = page.docs;
    }
    // Streams with the same visibility key receive the same bytes: render and encode once per
    // key (read rules run once per group), then one socket write per stream.
    const rendered = new Map<string, Buffer | null>();
    for (const s of subs) {
      if (s.pending) {
        s.pending.push({ to: b.to, rows });
        continue;
      }
      if (s.cursor >= b.from) {
        this.#deliver(s, b.to, rows); // already holds part of this batch: render for it alone
        continue;
      }
      let chunk = rendered.get(s.visibility.key);
      if (chunk === undefined) {
        const event = syncEvent(rows, s.visibility, b.from - 1, b.to);
        chunk = event === null ? null : Buffer.from(event);
        rendered.set(s.visibility.key, chunk);
      }
      s.cursor = b.to;
      if (chunk !== null && !s.write(chunk)) this.#drop(s);
    }
  }

  async #fillGap(after: number, upTo: number): Promise<void> {
    for (const [tenant, subs] of this.#byTenant) {
      let since = after;
      for (let pages = 0; pages < 1_000_000; pages++) {
        const page = await this.#storage.pull(tenant, { since, upTo, limit: 1000 });
        for (const s of subs) {
          if (s.pending) s.pending.push({ to: page.more ? page.cursor : upTo, rows: page.docs });
          else this.#deliver(s, page.more ? page.cursor : upTo, page.docs);
        }
        if (!page.more) break;
        since = page.cursor;
      }
    }
  }

  #deliver(s: Subscriber, to: number, rows: StoredDoc[]): void {
    if (to <= s.cursor) return;
    const event = syncEvent(rows, s.visibility, s.cursor, to);
    s.cursor = to;
    if (event !== null && !s.write(event)) this.#drop(s);
  }

  /** A stream too slow to keep up is closed; the client reconnects with Last-Event-ID and catches up. */
  #drop(s: Subscriber): void {
    this.remove(s);
    s.close();
  }

  #heartbeat(): void {
    const ping = Buffer.from(sseComment('ping'));
    for (const set of this.#byTenant.values()) for (const s of set) if (!s.write(ping)) this.#drop(s);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#unlisten();
    await this.#chain;
    for (const set of this.#byTenant.values()) for (const s of set) s.close();
    this.#byTenant.clear();
  }
}
