import type { DocState, HybridLogicalClock, Intent, MigrationStep, TypeDef } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import type { TabSyncPort } from '../tab/TabSyncClient.js';
import { DatabaseSyncHost, type DatabaseInit } from './DatabaseSyncHost.js';
import { SyncStates } from '../syncstate/SyncStates.js';
import type { WritePromise } from '../syncstate/WritePromise.js';
import type { ServerTime } from './ServerTime.js';
import type { RejectedType } from './TypeStore.js';

export type { DatabaseInit } from './DatabaseSyncHost.js';

/** A change the server refused for good, as the app sees it (`db.rejectedChanges()`). */
export interface RejectedChange {
  id: string;
  change: unknown;
  /** The server's reason: `<code>: <message>`. */
  reason: string;
  /** Queue it again as a new write made now. */
  retry(): Promise<void>;
  /** Drop it; its document returns to the server's state (needs the server). */
  discard(): Promise<void>;
}

/**
 * The local database: collections of typed documents, and (through `DatabaseSyncHost`, which
 * assembles its parts) the `SyncHost` the sync client drives. Create it with `createDatabase`.
 * It answers for its parts: each collection owns
 * its write path (validate → change → state, `Collection.write`), recorded by `LocalWrites`;
 * `Transactions` undo; `TypeSync` types; `RemoteMerge` documents from the server and other
 * tabs; `Reissue` refused changes; `TabSync` the tabs sharing its storage; `ReplicaClock` the
 * stamps; `Outbox` and `CommitQueue` what waits for the server and for storage.
 */
export class Database extends DatabaseSyncHost {
  readonly name: string;
  /** Called by `close()`; set by `createDatabase` when a sync client is attached. */
  onClose: Array<() => void | Promise<void>> = [];
  /** Per-document sync state and each write's server acknowledgement (docs/client.md). */
  readonly syncState: SyncStates;

  constructor(init: DatabaseInit) {
    super(init);
    this.name = init.name;
    this.syncState = new SyncStates(this.parts.syncIndex);
  }

  /**
   * How this database shares its device with other tabs: `'solo'` (no shared storage, or no Web
   * Locks: every tab writes and syncs for itself), `'leader'` (this tab stamps, stores and syncs
   * for all tabs) or `'follower'` (writes are validated here, made by the leader, and resolve
   * once durable). See docs/client.md, "Tabs".
   */
  get tabRole(): 'solo' | 'leader' | 'follower' {
    return this.parts.tabs?.role ?? 'solo';
  }

  /** For `TabSyncClient`: leadership and the leader's sync status. */
  tabSyncPort(): TabSyncPort | undefined {
    return this.parts.tabs?.port();
  }

  /** The wall clock of stamps: local time, corrected by the server's once it answered. */
  get time(): ServerTime {
    return this.parts.clock.time;
  }

  /**
   * This device's hybrid logical clock (replaced when it is rewound or the replica rotates: read
   * it here each time, do not keep it).
   */
  get clock(): HybridLogicalClock {
    return this.parts.clock.clock;
  }

  /**
   * Registers a type (version 1 of a new name, or a valid successor of the latest version with
   * its `migrations`); the collection of the same name holds its documents. An identical
   * definition is a no-op, so apps can define their types at every start. Invalid definitions
   * reject with core's `SchemaError` (`path`, `rule`) and change nothing. Synced to the server (which
   * may refuse it: see `db.rejectedTypes()`).
   */
  async defineType(type: TypeDef): Promise<void> {
    this.assertOpen();
    this.parts.typeSync.define(type);
    await this.parts.queue.durable();
  }

  /**
   * Produces, validates and registers the next version of `name` from declarative migration
   * steps (`addField`, `renameField`, `removeField`, `changeType`, `changeMerge`; docs/schema.md).
   * Existing documents are not rewritten: they are upgraded when read, and persisted upgraded by
   * their next write. Throws `SchemaError` naming the failing step (`migrations[0].to: exists`).
   */
  async migrateType(name: string, steps: MigrationStep[]): Promise<TypeDef> {
    this.assertOpen();
    const next = this.parts.typeSync.migrate(name, steps);
    await this.parts.queue.durable();
    return next;
  }

  /**
   * Returns to the server's version of type `name` after the server refused a version defined
   * or migrated here (`rejectedTypes()`, e.g. 403 without the define-types right): drops the
   * refused version and every local version built on it, drops this device's changes written at
   * those versions (queued or set aside), and replaces the documents they touched — and every
   * document stored at a dropped version — by the server's states. Needs the server (the
   * documents are fetched first; nothing changes if it cannot be reached). Returns the number of
   * changes dropped.
   */
  async discardLocalType(name: string): Promise<number> {
    this.assertOpen();
    const dropped = await this.parts.typeSync.discardLocal(name, () => this.assertOpen());
    await this.parts.queue.durable();
    return dropped;
  }

  /** Type definitions made here that the server refused for good (e.g. no define-types right). */
  rejectedTypes(): RejectedType[] {
    return this.types.rejectedTypes();
  }

  /** The document as readers see it: lazily upgraded to the newest known version of its type. */
  view(state: DocState): Record<string, unknown> {
    return this.parts.typeSync.view(state);
  }

  /** `state` at the newest known version of its type (unchanged when already there or unknown). */
  upgrade(state: DocState): DocState {
    return this.parts.typeSync.upgrade(state);
  }

  /** The type of collection `name`; a `SchemaError` when none is defined. */
  typeOf(name: string): TypeDef {
    return this.parts.typeSync.typeOf(name);
  }

  typeFor(name: string): TypeDef | undefined {
    return this.parts.typeSync.typeFor(name);
  }

  /** The collection of documents of type `name` (created on first use). */
  collection(name: string): Collection {
    return this.parts.collections.get(name);
  }

  /** Writes core intents to document `id` of `collection` (see `Collection.write`). */
  write(collection: Collection, id: string, intents: Intent[]): void {
    collection.write(id, intents);
  }

  /** Resolves when everything written so far is durable (and, in a follower tab, made by the leader). */
  durable(): Promise<void> {
    return this.parts.writes.durable();
  }

  /** Runs `fn` (synchronously); live queries are notified once, at the end. */
  batch<T>(fn: () => T): T {
    return this.parts.collections.batch(fn);
  }

  /**
   * All-or-nothing: if `fn` throws, every write it made is undone in memory and never reaches
   * storage or the outbox, and subscribers see nothing. `fn` must be synchronous (like an
   * IndexedDB transaction). Resolves when all its writes are durable.
   */
  transaction(fn: () => void): WritePromise<void> {
    return this.parts.writes.transaction(fn);
  }

  /**
   * Changes set aside because the server refused them for good (persisted: they survive
   * restarts), each with the server's reason and what the user can do about it:
   * `retry()` queues it again as a new write made now (a fresh stamp: docs/crdt.md, "Wrong
   * clocks"); `discard()` drops it and rolls the document back to what the server has (fetched
   * from the server; local changes still queued for that document are re-applied on top).
   */
  rejectedChanges(): RejectedChange[] {
    // The actions are not enumerable: the entries stay plain data (serializable, comparable).
    return this.outbox.rejected().map(
      (r) =>
        Object.defineProperties(r, {
          retry: { value: () => this.retryRejected(r.id) },
          discard: { value: () => this.discardRejected(r.id) },
        }) as RejectedChange,
    );
  }

  /** Queues a set-aside change again, under a fresh stamp (a new write made now). */
  async retryRejected(id: string): Promise<void> {
    this.assertOpen();
    // A follower tab never stamps (the leader has the same replica id): the leader re-issues it.
    if (this.parts.tabs?.follower) return this.parts.tabs.forwardAction({ kind: 'retry', id });
    this.parts.reissue.retry(id);
    await this.parts.queue.durable();
  }

  /**
   * Drops a set-aside change and returns its document to the server's state (plus this device's
   * other changes to it that are still queued or set aside). Needs the server: rejects, keeping
   * the change, when it cannot be reached.
   */
  async discardRejected(id: string): Promise<void> {
    this.assertOpen();
    if (this.parts.tabs?.follower) return this.parts.tabs.forwardAction({ kind: 'discard', id });
    await this.parts.reissue.discard(id, () => this.assertOpen());
    await this.parts.queue.durable();
  }

  /** Replaces local documents by the server's states, local changes re-applied (`RemoteMerge.resetDocs`). */
  resetDocs(ids: readonly string[], serverDocs: readonly unknown[], typeHint?: string): void {
    this.parts.merge.resetDocs(ids, serverDocs, typeHint);
  }

  /** Waits for pending writes, then closes storage, tab channel and sync. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const f of this.onClose) await f();
    await this.parts.tabs?.drain();
    this.closed = true;
    await this.parts.queue.drain();
    this.parts.tabs?.close();
    await this.storage.close();
  }
}
