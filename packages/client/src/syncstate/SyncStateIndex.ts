import { stampWall } from '@fieldsync/core';
import { DiscardedWriteError, RejectedWriteError } from './errors.js';
import { SYNCED, reasonCode, type SyncState, type WaitingDoc } from './SyncState.js';

/**
 * What the outbox tells the index, as it happens (the outbox's only hook for sync state). Every
 * id is a change id; `doc` and `collection` say whose change it is.
 */
export interface OutboxObserver {
  /** A change is queued (a local write, a mirrored one from another tab, or loaded at open). */
  queued(id: string, doc: string, collection: string): void;
  /** The server stored these changes (pending or set aside). */
  acked(ids: readonly string[]): void;
  /** The server refused a change for good; it is kept aside with the reason. */
  setAside(id: string, doc: string, collection: string, reason: string): void;
  /** Changes left the outbox without an answer from the server (rollback, re-issue, retry). */
  removed(ids: readonly string[]): void;
  /** The app dropped a change for good: a write waiting for it will never be acknowledged. */
  discarded(id: string): void;
}

/** Every change the outbox holds, read once when the index is first used. */
export type OutboxScan = (
  visit: (id: string, doc: string, collection: string, rejected?: string) => void,
) => void;

class DocEntry {
  /** Waiting change ids, oldest (smallest stamp) first. */
  pending: string[] = [];
  rejected: Array<{ id: string; reason: string }> = [];
  state: SyncState = SYNCED;
  constructor(
    readonly id: string,
    readonly collection: string,
  ) {}
}

interface Waiter {
  ids: Set<string>;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** How many discarded change ids are remembered for a late `server` await. */
const GONE_LIMIT = 10_000;

/**
 * The sync state of every document with changes in the outbox, kept up to date from the
 * outbox's events (never by re-reading it): a map from document to its waiting and set-aside
 * change ids, and from change id to document. Built on first use from one scan of the outbox
 * (so a device that never asks pays nothing, and a bulk load of 100,000 inserts stays 16 bytes
 * each), then maintained per event in O(changes of that document).
 *
 * Listeners hear once per tick, with the documents whose state changed; a document's state object
 * is replaced only when it changed. It also captures the change ids each write queues
 * (`capture`), and settles the waiters of `ackOf`.
 */
export class SyncStateIndex implements OutboxObserver {
  private active = false;
  /** While the first scan runs: states are built, nobody is told (nobody could have subscribed). */
  private activating = false;
  private readonly docs = new Map<string, DocEntry>();
  /**
   * The state of every document in `docs`, for `of`. A null-prototype dictionary, not a Map:
   * `of` runs once per rendered row, and V8 probes a dictionary keyed by (internalised) strings
   * in about half the time of `Map.get` (bench/collections/syncState.js).
   */
  private readonly states: Record<string, SyncState> = Object.create(null) as Record<string, SyncState>;
  private readonly entryOf = new Map<string, DocEntry>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly gone = new Map<string, Error>();
  private changed = new Set<string>();
  private scheduled = false;
  private readonly listeners = new Set<(docs: ReadonlySet<string>) => void>();
  private readonly frames = new Set<string[]>();
  private changes = 0;

  constructor(private readonly scan: () => OutboxScan) {}

  // --- OutboxObserver -------------------------------------------------------------------------

  queued(id: string, doc: string, collection: string): void {
    for (const f of this.frames) f.push(id);
    if (!this.active) return;
    const e = this.entry(doc, collection);
    const p = e.pending;
    if (p.length === 0 || (p[p.length - 1] as string) < id) p.push(id);
    else if (!p.includes(id)) {
      let i = p.length;
      while (i > 0 && (p[i - 1] as string) > id) i--;
      p.splice(i, 0, id);
    }
    this.entryOf.set(id, e);
    this.touch(e);
  }

  acked(ids: readonly string[]): void {
    if (!this.active) return;
    for (const id of ids) {
      this.forget(id);
      this.settle(id, undefined);
    }
  }

  setAside(id: string, doc: string, collection: string, reason: string): void {
    if (!this.active) return;
    this.forget(id);
    const e = this.entry(doc, collection);
    if (!e.rejected.some((r) => r.id === id)) e.rejected.push({ id, reason });
    e.rejected.sort((a, b) => (a.id < b.id ? -1 : 1));
    this.entryOf.set(id, e);
    this.touch(e);
    this.settle(id, new RejectedWriteError(id, doc, collection, reason));
  }

  removed(ids: readonly string[]): void {
    if (!this.active) return;
    for (const id of ids) this.forget(id);
  }

  discarded(id: string): void {
    if (!this.active) return;
    const e = this.entryOf.get(id);
    this.forget(id);
    const err = new DiscardedWriteError(id, e?.id ?? '');
    this.gone.set(id, err);
    if (this.gone.size > GONE_LIMIT) this.gone.delete(this.gone.keys().next().value as string);
    this.settle(id, err);
  }

  // --- reads ----------------------------------------------------------------------------------

  /** The state of document `id` (`SYNCED` for one with nothing waiting, or unknown). */
  of(id: string): SyncState {
    // Called once per rendered row: kept to one branch and one map probe.
    if (!this.active) this.activate();
    return this.states[id] ?? SYNCED;
  }

  /** Every document that is not synced: set aside first, then by oldest waiting change. */
  waiting(collection?: string): WaitingDoc[] {
    this.activate();
    const out: WaitingDoc[] = [];
    for (const e of this.docs.values()) {
      if (e.state.status === 'synced' || (collection !== undefined && e.collection !== collection)) continue;
      out.push(Object.freeze({ id: e.id, collection: e.collection, state: e.state }));
    }
    const key = (w: WaitingDoc): string =>
      w.state.status === 'rejected'
        ? `0${w.state.changeId}`
        : `1${(this.docs.get(w.id) as DocEntry).pending[0]}`;
    return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id < b.id ? -1 : 1));
  }

  /** Grows whenever some document's state changes (a snapshot key for bindings). */
  get version(): number {
    this.activate();
    return this.changes;
  }

  /** Number of documents that are not synced. */
  get size(): number {
    this.activate();
    return this.docs.size;
  }

  /** Calls `fn` once per tick with the ids of the documents whose state changed. */
  subscribe(fn: (docs: ReadonlySet<string>) => void): () => void {
    this.activate();
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // --- acknowledgements -----------------------------------------------------------------------

  /** Collects the ids of the changes queued while `frame` is open (see `WriteTracker`). */
  openFrame(frame: string[]): void {
    this.frames.add(frame);
  }

  closeFrame(frame: string[]): void {
    this.frames.delete(frame);
  }

  /**
   * Settles when the server stored every change in `ids` (an id no longer in the outbox was
   * stored already); rejects with `RejectedWriteError` as soon as one is set aside, or
   * `DiscardedWriteError` if one was dropped on this device.
   */
  ackOf(ids: readonly string[]): Promise<void> {
    this.activate();
    const waiting = new Set<string>();
    for (const id of ids) {
      const gone = this.gone.get(id);
      if (gone) return Promise.reject(gone);
      const e = this.entryOf.get(id);
      if (e === undefined) continue;
      const r = e.rejected.find((x) => x.id === id);
      if (r) return Promise.reject(new RejectedWriteError(id, e.id, e.collection, r.reason));
      waiting.add(id);
    }
    if (waiting.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = { ids: waiting, resolve, reject };
      for (const id of waiting) {
        const list = this.waiters.get(id);
        if (list) list.push(w);
        else this.waiters.set(id, [w]);
      }
    });
  }

  /** The change ids of documents `docs` still waiting or set aside (for `whenSynced`). */
  changesOf(docs: readonly string[]): string[] {
    this.activate();
    const out: string[] = [];
    for (const d of docs) {
      const e = this.docs.get(d);
      if (e) out.push(...e.pending, ...e.rejected.map((r) => r.id));
    }
    return out;
  }

  /** Change `from` was re-issued as `to` (a fresh stamp): whoever waits for `from` now waits for `to`. */
  reissued(from: string, to: string): void {
    const list = this.waiters.get(from);
    if (list === undefined) return;
    this.waiters.delete(from);
    for (const w of list) {
      w.ids.delete(from);
      w.ids.add(to);
    }
    const next = this.waiters.get(to);
    this.waiters.set(to, next ? [...next, ...list] : list);
  }

  // --- internals ------------------------------------------------------------------------------

  private activate(): void {
    if (this.active) return;
    this.active = true;
    this.activating = true;
    try {
      this.scan()((id, doc, collection, rejected) => {
        if (rejected === undefined) this.queued(id, doc, collection);
        else this.setAside(id, doc, collection, rejected);
      });
    } finally {
      this.activating = false;
    }
  }

  private entry(doc: string, collection: string): DocEntry {
    let e = this.docs.get(doc);
    if (e === undefined) this.docs.set(doc, (e = new DocEntry(doc, collection)));
    return e;
  }

  /** Removes change `id` from its document (pending or set aside). */
  private forget(id: string): void {
    const e = this.entryOf.get(id);
    if (e === undefined) return;
    this.entryOf.delete(id);
    const i = e.pending.indexOf(id);
    if (i >= 0) e.pending.splice(i, 1);
    else e.rejected = e.rejected.filter((r) => r.id !== id);
    this.touch(e);
  }

  private settle(id: string, error: Error | undefined): void {
    const list = this.waiters.get(id);
    if (list === undefined) return;
    this.waiters.delete(id);
    for (const w of list) {
      if (error) {
        for (const other of w.ids) if (other !== id) this.unwait(other, w);
        w.ids.clear();
        w.reject(error);
      } else {
        w.ids.delete(id);
        if (w.ids.size === 0) w.resolve();
      }
    }
  }

  private unwait(id: string, w: Waiter): void {
    const list = this.waiters.get(id);
    if (list === undefined) return;
    const rest = list.filter((x) => x !== w);
    if (rest.length === 0) this.waiters.delete(id);
    else this.waiters.set(id, rest);
  }

  /** Recomputes a document's state; a changed state is a new object and is announced. */
  private touch(e: DocEntry): void {
    const next = stateOf(e);
    if (sameState(next, e.state)) return;
    e.state = next;
    if (next === SYNCED) {
      this.docs.delete(e.id);
      delete this.states[e.id];
    } else this.states[e.id] = next;
    this.changes++;
    if (this.activating) return;
    this.changed.add(e.id);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const docs = this.changed;
      this.changed = new Set();
      for (const fn of [...this.listeners]) fn(docs);
    });
  }
}

function stateOf(e: DocEntry): SyncState {
  const r = e.rejected[0];
  if (r !== undefined)
    return Object.freeze({
      status: 'rejected',
      reason: r.reason,
      code: reasonCode(r.reason),
      changeId: r.id,
      rejected: e.rejected.length,
      pending: e.pending.length,
    });
  const oldest = e.pending[0];
  if (oldest === undefined) return SYNCED;
  return Object.freeze({ status: 'pending', pending: e.pending.length, since: stampWall(oldest) });
}

function sameState(a: SyncState, b: SyncState): boolean {
  if (a === b) return true;
  if (a.status === 'pending' && b.status === 'pending') return a.pending === b.pending && a.since === b.since;
  if (a.status === 'rejected' && b.status === 'rejected')
    return (
      a.changeId === b.changeId &&
      a.rejected === b.rejected &&
      a.pending === b.pending &&
      a.reason === b.reason
    );
  return false;
}
