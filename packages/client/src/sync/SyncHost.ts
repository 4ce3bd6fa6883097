/**
 * The narrow surface the sync client needs from the local database.
 *
 * Why an interface and not the `Database` class: the sync client must not know about
 * collections, indexes or storage adapters, and tests can drive it with a tiny in-memory host.
 * `Database` (packages/client) implements it; see docs/internals.md, "Client ↔ sync".
 *
 * Types come from the wire (`unknown` JSON) on purpose: the sync client never interprets CRDT
 * state, it hands documents to the host, which merges them with core.
 */
export interface SyncHost {
  /** Stable id of this replica; sent with pushes so the server can log who wrote what. */
  readonly replicaId: string;
  /**
   * Persisted outbox of local changes not yet acknowledged by the server.
   * Why persisted: a change whose local write resolved must survive a restart until acked.
   */
  readonly outbox: SyncOutbox;
  /**
   * Merge documents received from the server (each is core's `docToJSON` output) into the
   * local store WITHOUT queuing them in the outbox (they came from the server; re-pushing
   * them would loop).
   */
  applyRemote(docs: readonly unknown[]): Promise<void>;
  /**
   * Optional: `applyRemote`, and `setMeta(key, value)` in the same durable commit, made only if
   * the documents merged. The sync client stores a pull page's cursor with the page this way: the
   * cursor is never durable without the documents it covers, and a page costs one storage
   * transaction instead of two (a first sync of 100,000 documents is 20 of them, not 40).
   */
  applyRemoteWithMeta?(docs: readonly unknown[], meta: readonly [key: string, value: string]): Promise<void>;
  /** Remove documents that left this user's scope (server "gone" records). */
  evict(ids: readonly string[]): Promise<void>;
  /**
   * Type definitions received from the server's `_types` collection, delivered before the
   * documents of the same page so they can be validated (every version, with its migrations).
   */
  applyTypes?(types: readonly unknown[]): Promise<void>;
  /**
   * Type definitions made on this device that the server has not accepted yet (oldest version
   * first). Pushed before any change, so the server never sees a change at a version it lacks.
   */
  typesToPush?(): unknown[];
  /** The server accepted a pushed definition (`error` undefined) or refused it for good. */
  typePushed?(def: unknown, error?: string): Promise<void>;
  /** Subscribe to "a type was defined or migrated on this device" (so it is pushed promptly). */
  onLocalTypes?(listener: () => void): () => void;
  /**
   * The server's wall clock (`Fieldsync-Time`), read from an answer that took `rttMs` to
   * arrive: the host bounds the clock of its stamps by it.
   */
  serverTime?(serverMs: number, rttMs: number): void;
  /**
   * The server refused these pending changes for a reason a fresh stamp cures (`clock_drift`,
   * `id_conflict`, `replica_taken`): re-issue each as a new write made now, queued again;
   * returns the new change ids.
   */
  reissue?(ids: readonly string[], code: string): Promise<string[]>;
  /**
   * Resync after the server's store was replaced: merge a page of a full pull, adding to `seen`
   * the ids the server has and to `ahead` those whose local state holds more than the server's.
   */
  resyncMerge?(docs: readonly unknown[], seen: Set<string>, ahead: Set<string>): Promise<void>;
  /**
   * Resync past the server's history horizon: replace documents `ids` by the server's states
   * `docs` (an id without one is dropped), re-applying this device's own queued changes on top.
   */
  resyncReplace?(ids: readonly string[], docs: readonly unknown[]): Promise<void>;
  /** Every version of every local type, oldest first per type (defined again after a restore). */
  typeChains?(): unknown[];
  /** Ids of every local document. */
  docIds?(): string[];
  /** Full states (`docToJSON`) of these local documents. */
  exportDocs?(ids: readonly string[]): unknown[];
  /** Small persisted key/value store for sync metadata (the pull cursor). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

/** The persisted queue of local changes, oldest first. */
export interface SyncOutbox {
  /** Oldest `n` changes still pending (not acked, not rejected), in the order they were made. */
  peek(n: number): Promise<unknown[]>;
  /** The server stored these (or already had them): drop them from the queue. */
  ack(ids: readonly string[]): Promise<void>;
  /**
   * The server permanently refused this change: move it aside (kept, visible to the app)
   * so it never blocks the changes behind it.
   */
  reject(id: string, reason: string): Promise<void>;
  /** Number of pending changes (for `status.pending`). */
  count(): Promise<number>;
  /** Number of changes set aside (for `status.rejected`: what is really set aside, across restarts). */
  rejectedCount?(): Promise<number>;
  /**
   * Subscribe to "a local change entered the queue" so the sync client pushes right after a
   * write instead of polling. Optional: without it the sync client checks the outbox every
   * `pollMs`. (The one such hook: it belongs to the queue it reports on.)
   */
  onChange?(listener: () => void): () => void;
}
