/**
 * One document's persisted CRDT state (core's `docToJSON` output, or the `DocState` itself for
 * adapters with `keepsLiveState`), keyed by collection and id.
 */
export interface StoredDoc {
  collection: string;
  id: string;
  state: unknown;
}

/**
 * Documents of one collection made only of last-writer-wins registers written by one change
 * (every register at the row's stamp: no history, no tombstone, no other field kind), by column.
 * Row `i` stands for the `StoredDoc` `{ collection, id: ids[i], state: { id, type, v, fields } }`
 * with `fields[names[k]] = { v: values[i * names.length + k], s: stamps[i] }` — core's
 * `docToJSON` form (`rowsToDocs` builds it). Every row has every register of `names`.
 */
export interface StoredRows {
  collection: string;
  type: string;
  v: number;
  names: string[];
  ids: string[];
  stamps: string[];
  /** Row-major: `names.length` values per row. */
  values: unknown[];
}

/** A local change waiting for the server; `rejected` is set once the server refused it for good. */
export interface StoredChange {
  id: string;
  change: unknown;
  rejected?: string;
}

/** Everything a database needs to resume exactly where it stopped. */
export interface LoadedState {
  docs: StoredDoc[];
  /** Ordered by change id (stamps of one replica sort in creation order). */
  outbox: StoredChange[];
  meta: Map<string, string>;
}

/**
 * One atomic unit of persistence. A local write puts the new document state, its change in the
 * outbox and the clock (`meta`) in a single batch, so after a crash either all of a write is
 * there or none of it.
 */
export interface CommitBatch {
  docs?: StoredDoc[];
  /**
   * More documents, by column (only for adapters that set `acceptsRows`): the common plain
   * documents of a bulk insert or a pulled page without an object per document.
   */
  rows?: StoredRows[];
  /** Documents to forget (evicted: left the user's scope). */
  deleteDocs?: Array<{ collection: string; id: string }>;
  outboxAdd?: StoredChange[];
  outboxRemove?: string[];
  outboxReject?: Array<{ id: string; reason: string }>;
  meta?: Array<[string, string]>;
}

/**
 * The database's own documents and outbox, read on demand by an in-process adapter that
 * `attach`es to it instead of keeping a copy of each.
 */
export interface LiveState {
  /** Every document's current state (`DocState` objects). */
  docs(): StoredDoc[];
  /** The outbox, pending and rejected changes, ordered by change id. */
  outbox(): StoredChange[];
}

/**
 * The single interface every storage backend implements. The database keeps all live
 * documents in memory (reads are instant) and uses the adapter only to load at open and to
 * make each commit durable before the write's promise resolves.
 *
 * Adapters own the objects passed to `commit` (the database never mutates them afterwards).
 */
export interface StorageAdapter {
  open(): Promise<LoadedState>;
  /** Atomic and durable: resolves only when the whole batch would survive a process kill. */
  commit(batch: CommitBatch): Promise<void>;
  close(): Promise<void>;
  /**
   * Set by adapters whose data other tabs/processes can open at the same time (IndexedDB), so
   * the database announces its commits to them (see `tab/TabChannel`).
   */
  readonly sharedName?: string;
  /**
   * Set by in-process adapters that keep the database's own `DocState` objects instead of a
   * serialized copy (the memory adapter): storing is then free, and `open()` hands the same
   * objects back. Such adapters must never be shared between live databases.
   */
  readonly keepsLiveState?: boolean;
  /**
   * Set by adapters that store `CommitBatch.rows` (IndexedDB: it encodes them by column). The
   * others get every document in `docs`, so an adapter that predates `rows` loses nothing.
   */
  readonly acceptsRows?: boolean;
  /**
   * Offered by a `keepsLiveState` adapter that can hold the database itself instead of one
   * entry per document and per outbox change (the memory adapter: 100,000 documents are then
   * not held twice). Called once, right after `open()`; from then on the batches it commits
   * carry only `meta`, and it reads documents and outbox through `live` when reopened.
   */
  attach?(live: LiveState): void;
}
