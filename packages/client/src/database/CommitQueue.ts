import type { CommitBatch, StorageAdapter, StoredChange, StoredRows } from '../storage/StorageAdapter.js';

/** Where a batch reads the documents it stores, when it is built. */
export interface DocSource {
  /**
   * The current persisted form of a document, or undefined if the document no longer exists in
   * memory (it was evicted after being queued).
   */
  serialize(collection: string, id: string): unknown;
  /**
   * For adapters that accept `rows`: the plain documents among `ids`, by column; every other id
   * still in memory is appended to `others` (and then serialized).
   */
  rows(collection: string, ids: Iterable<string>, others: string[]): StoredRows[];
}

/**
 * One batch in the making. Its parts are created on first use: with an attached adapter only
 * `meta` and `waiters` are, and a batch is opened per awaited write.
 */
interface Pending {
  /** Collection → ids whose current state must be stored. */
  docs: Map<string, Set<string>> | undefined;
  deleteDocs: Map<string, Set<string>> | undefined;
  outboxAdd: StoredChange[] | undefined;
  outboxRemove: string[] | undefined;
  outboxReject: Array<{ id: string; reason: string }> | undefined;
  meta: Map<string, string> | undefined;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
}

/** Schedules the batch's commit after the current tick (a resolved promise: cheaper than Node's `queueMicrotask`). */
const tick = Promise.resolve();

/**
 * Group commit. Writes made in the same tick (a loop of inserts, a transaction) are merged into
 * one storage batch, so 100k inserts cost one SQLite/IndexedDB transaction, not 100k. Document
 * states are serialized when the batch is built, so a document written ten times in a tick is
 * stored once, in its latest state. Only one batch is in flight at a time, which keeps batches in
 * order. Each write's promise resolves when the batch containing it is durable.
 */
export class CommitQueue {
  private pending: Pending | undefined;
  /** A transaction's writes, held apart until it commits (and dropped if it aborts). */
  private staging: Pending | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;
  /**
   * The adapter reads documents and the outbox from memory (`StorageAdapter.attach`): batches
   * then carry only `meta`, and a write just marks one as due (its promise still waits for it).
   */
  private live = false;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly source: DocSource,
    private readonly onCommitted: (batch: CommitBatch) => void,
  ) {}

  /** The error that broke storage, if any; the database refuses writes after one. */
  get failed(): unknown {
    return this.failure;
  }

  /** From now on documents and outbox changes are not copied into batches (see `live`). */
  readFromMemory(): void {
    this.live = true;
  }

  putDoc(collection: string, id: string): void {
    const p = this.open();
    if (this.live) return;
    p.deleteDocs?.get(collection)?.delete(id);
    idsOf((p.docs ??= new Map()), collection).add(id);
  }

  deleteDoc(collection: string, id: string): void {
    const p = this.open();
    if (this.live) return;
    p.docs?.get(collection)?.delete(id);
    idsOf((p.deleteDocs ??= new Map()), collection).add(id);
  }

  addChange(id: string, change: unknown): void {
    const p = this.open();
    if (!this.live) (p.outboxAdd ??= []).push({ id, change });
  }

  /** Starts holding writes apart (a transaction); they reach storage only after `endStaging(true)`. */
  beginStaging(): void {
    this.staging = emptyPending();
  }

  /**
   * Commit: the staged writes join the next batch. Abort: they are dropped, so nothing of the
   * transaction is ever written, and promises waiting for them reject with `reason`.
   */
  endStaging(commit: boolean, reason?: unknown): void {
    const s = this.staging;
    this.staging = undefined;
    if (!s) return;
    if (!commit) {
      for (const w of s.waiters) w.reject(reason);
      return;
    }
    const p = this.open();
    for (const [c, ids] of s.docs ?? []) for (const id of ids) this.putDoc(c, id);
    for (const [c, ids] of s.deleteDocs ?? []) for (const id of ids) this.deleteDoc(c, id);
    for (const c of s.outboxAdd ?? []) (p.outboxAdd ??= []).push(c);
    for (const id of s.outboxRemove ?? []) (p.outboxRemove ??= []).push(id);
    for (const r of s.outboxReject ?? []) (p.outboxReject ??= []).push(r);
    for (const [k, v] of s.meta ?? []) (p.meta ??= new Map()).set(k, v);
    for (const w of s.waiters) p.waiters.push(w);
  }

  removeChanges(ids: readonly string[]): void {
    const p = this.open();
    if (!this.live) for (const id of ids) (p.outboxRemove ??= []).push(id);
  }

  rejectChange(id: string, reason: string): void {
    const p = this.open();
    if (!this.live) (p.outboxReject ??= []).push({ id, reason });
  }

  setMeta(key: string, value: string): void {
    const p = this.open();
    (p.meta ??= new Map()).set(key, value);
  }

  /** A promise for the durability of everything queued so far (no empty commit if nothing is). */
  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const p = this.staging ?? this.pending;
    if (!p) return this.inFlight ?? Promise.resolve();
    return new Promise((resolve, reject) => p.waiters.push({ resolve, reject }));
  }

  /** Resolves once nothing is pending or in flight. */
  async drain(): Promise<void> {
    while (this.pending || this.inFlight) {
      if (this.inFlight) await this.inFlight.catch(() => undefined);
      else await this.durable().catch(() => undefined);
    }
  }

  private open(): Pending {
    if (this.staging) return this.staging;
    if (this.pending) return this.pending;
    this.pending = emptyPending();
    if (!this.inFlight) void tick.then(() => this.flush());
    return this.pending;
  }

  private flush(): void {
    const p = this.pending;
    if (!p || this.inFlight) return;
    this.pending = undefined;
    const batch = this.build(p);
    this.inFlight = this.storage
      .commit(batch)
      .then(
        () => {
          for (const w of p.waiters) w.resolve();
          this.onCommitted(batch);
        },
        (e: unknown) => {
          // Memory already holds these writes; storage does not. Refuse further writes rather
          // than let memory and disk drift apart silently.
          this.failure = e;
          for (const w of p.waiters) w.reject(e);
          for (const w of this.pending?.waiters ?? []) w.reject(e);
          this.pending = undefined;
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending) this.flush();
      });
  }

  private build(p: Pending): CommitBatch {
    const batch: CommitBatch = {};
    const byColumn = this.storage.acceptsRows === true;
    for (const [collection, ids] of p.docs ?? []) {
      let whole: Iterable<string> = ids;
      if (byColumn) {
        const others: string[] = [];
        const rows = this.source.rows(collection, ids, others);
        if (rows.length > 0) (batch.rows ??= []).push(...rows);
        whole = others;
      }
      for (const id of whole) {
        const state = this.source.serialize(collection, id);
        if (state !== undefined) (batch.docs ??= []).push({ collection, id, state });
      }
    }
    for (const [collection, ids] of p.deleteDocs ?? [])
      for (const id of ids) (batch.deleteDocs ??= []).push({ collection, id });
    if (p.outboxAdd?.length) batch.outboxAdd = p.outboxAdd;
    if (p.outboxRemove?.length) batch.outboxRemove = p.outboxRemove;
    if (p.outboxReject?.length) batch.outboxReject = p.outboxReject;
    if (p.meta?.size) batch.meta = [...p.meta];
    return batch;
  }
}

function emptyPending(): Pending {
  return {
    docs: undefined,
    deleteDocs: undefined,
    outboxAdd: undefined,
    outboxRemove: undefined,
    outboxReject: undefined,
    meta: undefined,
    waiters: [],
  };
}

function idsOf(map: Map<string, Set<string>>, collection: string): Set<string> {
  let ids = map.get(collection);
  if (!ids) map.set(collection, (ids = new Set()));
  return ids;
}
