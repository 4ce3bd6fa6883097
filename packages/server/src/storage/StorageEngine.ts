/**
 * The storage engine contract shared by SQLite and PostgreSQL.
 *
 * Why this shape: the engine owns the transaction and the sequence, the caller owns the merge.
 * `commit` loads what the merge needs (known change ids, current doc states) inside the write
 * transaction, hands it to a synchronous `plan` callback (core's CRDT merge, validation,
 * permission checks) and writes the result with freshly assigned sequence numbers before
 * committing. Every tenant has a sequence of its own (1, 2, 3 … per tenant): a tenant's cursor
 * moves only with its own writes, so it tells nothing about other tenants, and writers of
 * different tenants never wait for one sequence. A tenant's writers are serialized, so its
 * sequence numbers become visible in commit order: a reader that has seen sequence N of its
 * tenant has seen every sequence below N (no cursor holes).
 */

/** One document as stored: its CRDT state (core `docToJSON`) and its materialized view. */
export interface StoredDoc {
  id: string;
  type: string;
  /** Server-assigned sequence (of its tenant) of the last accepted write to this document (the cursor). */
  seq: number;
  deleted: boolean;
  /** core `docToJSON(doc)` — what clients merge. Kept as a JSON string to avoid re-encoding. */
  state: string;
  /** core `materialize(doc)` — what read/write rules and partial-sync filters look at. */
  view: string;
}

/** What the merge step decided to write. */
export interface CommitPlan {
  /**
   * Documents to write. Only ids named in the request's `docIds` (and change ids named in its
   * `changeIds` and not already known): an engine that merges outside its write transaction
   * verifies exactly what it loaded, and refuses a plan that writes anything else.
   */
  docs: Array<Omit<StoredDoc, 'seq'>>;
  /**
   * Accepted change ids, each with the document it updated (for idempotency) and the hash of its
   * content (so the same id with other content is recognised as a conflict, not a retry).
   */
  changes: Array<{ id: string; doc: string; hash?: string }>;
  /**
   * Replica ids first used by this request, bound to the user that used them (per tenant). Only
   * replicas named in the request's `replicas` and unbound when loaded.
   */
  bind?: Array<{ replica: string; user: string }>;
}

/** State loaded inside the write transaction for the merge step. */
export interface LoadedState {
  /** Change ids of the request that this tenant already stored (duplicates). */
  known: ReadonlySet<string>;
  /** Content hash of each known change id (absent for ids stored before hashes were kept). */
  hashes: ReadonlyMap<string, string>;
  /** The user each requested replica id is bound to (absent = unbound). */
  owners: ReadonlyMap<string, string>;
  /** Current stored state of the requested documents (absent = new document). */
  docs: ReadonlyMap<string, StoredDoc>;
}

export interface CommitRequest {
  tenant: string;
  changeIds: readonly string[];
  docIds: readonly string[];
  /** Replica ids whose owner the plan needs (see `LoadedState.owners`). */
  replicas?: readonly string[];
}

/**
 * Tenant of a synthetic batch announcing "notifications may have been lost" (after a PostgreSQL
 * LISTEN reconnect; its `from`/`to` mean nothing): listeners re-read what they need from each
 * tenant's head; caches for all tenants are stale. Empty, because a tenant id never is (the
 * protocol boundary refuses it), so no real tenant's batch can be taken for it.
 */
export const ALL_TENANTS = '';

/** A committed write, as seen by realtime listeners. Sequences `from..to` of `tenant` belong to it. */
export interface CommittedBatch {
  tenant: string;
  from: number;
  to: number;
  /** The written documents when this process made the write; absent for writes by other processes. */
  docs?: StoredDoc[];
}

export interface CommitResult {
  /** Written documents with their assigned sequences (empty when nothing changed). */
  docs: StoredDoc[];
  /** Highest sequence of this write, or the tenant's head when nothing was written. */
  cursor: number;
}

export interface PullQuery {
  since: number;
  limit: number;
  /** Only these types (partial sync). */
  types?: readonly string[];
  /** Inclusive upper bound (used by realtime fan-out to read exactly one committed batch). */
  upTo?: number;
  /**
   * Byte budget of the page: it ends before the row whose `state` + `view` (UTF-8) would take
   * the page past it (`more` is then true). The first row is always returned, however large,
   * so a document bigger than the budget still travels, alone. Without it a page of 1,000
   * large documents could exceed what a process can hold (or a JavaScript string can be).
   */
  maxBytes?: number;
}

export interface PullPage {
  docs: StoredDoc[];
  /** Resume point: the sequence of the last row examined. */
  cursor: number;
  /** More rows exist after `cursor`. */
  more: boolean;
}

export interface StorageEngine {
  readonly kind: 'sqlite' | 'postgres';
  init(): Promise<void>;
  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult>;
  pull(tenant: string, query: PullQuery): Promise<PullPage>;
  getDoc(tenant: string, id: string): Promise<StoredDoc | undefined>;
  /**
   * The tenant's head: its highest committed sequence (0 for a tenant that never wrote). Never
   * below a cursor pull or SSE handed to the tenant, and it moves only with the tenant's writes.
   */
  tenantHead(tenant: string): Promise<number>;
  /** Reads storage once (health checks: a dead database must not look alive); tells nothing. */
  ping(): Promise<void>;
  /**
   * Identity of this store: random, created when the store is first initialised, replaced by a
   * backup copy or a restore (docs/protocol.md, "Epoch"). Valid after `init()`.
   */
  epoch(): string;
  /** History maintenance (horizon compaction); see `StoreMaintenance`. */
  readonly maintenance: StoreMaintenance;
  /**
   * Committed writes, delivered in sequence order — including writes made by other server
   * processes sharing the same database when the engine supports it (PostgreSQL LISTEN/NOTIFY).
   */
  onCommit(listener: (batch: CommittedBatch) => void): () => void;
  close(): Promise<void>;
}

/**
 * What horizon compaction needs from an engine. Every write is small (a batch of at most `limit`
 * rows in its own transaction, serialized with pushes), so compaction never holds the write path
 * for long; the caller yields between batches. Sequences are per tenant, so everything that
 * names a sequence (marks, `compacted`, `swept`, tombstone removal) is per tenant too.
 */
export interface StoreMaintenance {
  /**
   * Records that every tenant's sequence up to its current head was committed by `now` (ms).
   * (An engine may skip a tenant whose head did not move since its last mark: `headAt` answers
   * the same.)
   */
  mark(now: number): Promise<void>;
  /** The tenant's highest head recorded at or before `time` (0 if none): all of it committed by then. */
  headAt(tenant: string, time: number): Promise<number>;
  /** Drops time marks older than `time`, keeping each tenant's newest of them (headAt still answers). */
  pruneMarks(time: number): Promise<void>;
  /** The tenant's highest cursor whose history may have been compacted (0: none). Pulls below it get 410. */
  compacted(tenant: string): Promise<number>;
  /** Raises the tenant's `compacted` to `upTo` (never lowers it). Set BEFORE removing anything up to it. */
  setCompacted(tenant: string, upTo: number): Promise<void>;
  /** The tenant's highest sequence up to which documents were swept for set tombstones. */
  swept(tenant: string): Promise<number>;
  setSwept(tenant: string, upTo: number): Promise<void>;
  /**
   * Deletes at most `limit` of the tenant's change ids below `below` (ids are stamps, so this is
   * "made before a wall time"); returns how many. A range of the (tenant, id) key: no other index.
   */
  deleteChanges(tenant: string, below: string, limit: number): Promise<number>;
  /** Deletes at most `limit` of the tenant's deleted documents whose last write has sequence ≤ `upTo`. */
  deleteTombstones(tenant: string, upTo: number, limit: number): Promise<number>;
  /** Every tenant that ever wrote (has a sequence). */
  tenants(): Promise<string[]>;
  /**
   * Replaces documents' states without giving them a new sequence (their meaning is unchanged:
   * compaction only). A document that changed since it was read (`seq` differs) is skipped.
   * Returns how many were replaced.
   */
  rewrite(tenant: string, rows: ReadonlyArray<{ id: string; seq: number; state: string }>): Promise<number>;
  /** Assigns a new epoch (after a restore); returns it. The engine answers with it from now on. */
  resetEpoch(): Promise<string>;
}
