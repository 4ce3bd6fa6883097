import type { TypeDef } from '@fieldsync/core';
import type { LoadedState, StorageAdapter } from '../storage/StorageAdapter.js';
import type { SyncClient } from '../sync/SyncClient.js';
import type { SyncHost } from '../sync/SyncHost.js';
import { assembleDatabase, type DatabaseParts } from './assembleDatabase.js';
import { DatabaseClosedError } from './errors.js';
import type { Outbox } from './Outbox.js';
import { TypeStore } from './TypeStore.js';
import type { WritePromise } from '../syncstate/WritePromise.js';

const META_SYNC = 'sync:';

export interface DatabaseInit {
  name: string;
  storage: StorageAdapter;
  loaded: LoadedState;
  replicaId: string | undefined;
  now: (() => number) | undefined;
  /** `'independent'`: no leader election even where Web Locks exist (see DatabaseOptions.tabs). */
  tabs?: 'leader' | 'independent' | undefined;
}

/**
 * The half of `Database` the sync client sees (`SyncHost`): it assembles the database's parts
 * (`assembleDatabase`) and answers the sync client through them — documents and types from the
 * server, refused changes re-issued, the server's clock, sync metadata. `Database` adds what apps
 * use. Each method checks the database is open, hands over to the part that owns the concern,
 * and resolves once what it changed is durable.
 */
export abstract class DatabaseSyncHost implements SyncHost {
  readonly outbox: Outbox;
  /**
   * Every version of every type, with migrations (core's `TypeRegistry`): `db.types.list()`,
   * `db.types.subscribe(fn)`, `db.types.history(name)`. Persisted, and synced through `_types`.
   */
  readonly types = new TypeStore();
  /**
   * Replication with a fieldsync server (`db.sync.start()/stop()/flush()/status/subscribe`);
   * set by `createDatabase({ sync: { url, token } })`, undefined for a local-only database.
   */
  sync: SyncClient | undefined;
  protected readonly parts: DatabaseParts;
  protected readonly storage: StorageAdapter;
  protected closed = false;
  private readonly meta: Map<string, string>;

  constructor(init: DatabaseInit) {
    this.storage = init.storage;
    this.meta = init.loaded.meta;
    this.parts = assembleDatabase({
      storage: init.storage,
      loaded: init.loaded,
      replicaId: init.replicaId,
      now: init.now,
      tabs: init.tabs,
      types: this.types,
      sync: () => this.sync,
      isClosed: () => this.closed,
      assertOpen: () => this.assertOpen(),
      transaction: (fn) => this.transaction(fn),
      retryRejected: (id) => this.retryRejected(id),
      discardRejected: (id) => this.discardRejected(id),
    });
    this.outbox = this.parts.outbox;
  }

  abstract transaction(fn: () => void): WritePromise<void>;
  abstract retryRejected(id: string): Promise<void>;
  abstract discardRejected(id: string): Promise<void>;

  /** Replica id of the stamps this database issues now (SyncHost). */
  get replicaId(): string {
    return this.parts.clock.replica;
  }

  /** SyncHost: types received from the server, before the documents that need them (`TypeSync.receive`). */
  async applyTypes(types: readonly unknown[]): Promise<void> {
    this.assertOpen();
    this.parts.typeSync.receive(types);
    await this.parts.queue.durable();
  }

  /** SyncHost: local type definitions the server has not accepted yet (pushed before changes). */
  typesToPush(): TypeDef[] {
    return this.types.pending();
  }

  /** SyncHost: a type was defined or migrated here (the sync client pushes it right away). */
  onLocalTypes(listener: () => void): () => void {
    return this.types.onLocalDefine(listener);
  }

  /** SyncHost: the server's answer to a pushed definition (`error` = refused for good). */
  async typePushed(def: unknown, error?: string): Promise<void> {
    this.parts.typeSync.pushed(def as TypeDef, error);
    await this.parts.queue.durable();
  }

  /** SyncHost: re-issues refused pending changes under fresh stamps (see `Reissue.reissue`). */
  async reissue(ids: readonly string[], code: string): Promise<string[]> {
    this.assertOpen();
    const out = this.parts.reissue.reissue(ids, code);
    await this.parts.queue.durable();
    return out;
  }

  /** SyncHost: the server's clock, read from a response that took `rttMs` to arrive. */
  serverTime(serverMs: number, rttMs: number): void {
    if (!this.closed) this.parts.clock.serverTime(serverMs, rttMs);
  }

  /** SyncHost: merges server states (see `RemoteMerge.applyRemote`). */
  async applyRemote(docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    this.parts.merge.applyRemote(docs);
    await this.parts.queue.durable();
  }

  /** SyncHost: merges server states and sets a meta key in the same commit (`applyRemoteWithMeta`). */
  async applyRemoteWithMeta(
    docs: readonly unknown[],
    [key, value]: readonly [string, string],
  ): Promise<void> {
    this.assertOpen();
    this.parts.merge.applyRemote(docs); // validates every document first: a throw changes nothing
    this.meta.set(META_SYNC + key, value);
    this.parts.queue.setMeta(META_SYNC + key, value);
    await this.parts.queue.durable();
  }

  /** SyncHost: one page of a resync after the server's store was replaced (`RemoteMerge.resyncMerge`). */
  async resyncMerge(docs: readonly unknown[], seen: Set<string>, ahead: Set<string>): Promise<void> {
    this.assertOpen();
    this.parts.merge.resyncMerge(docs, seen, ahead);
    await this.parts.queue.durable();
  }

  /** SyncHost: resync past the server's history horizon: the server's states replace the local ones. */
  async resyncReplace(ids: readonly string[], docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    this.parts.merge.resetDocs(ids, docs);
    await this.parts.queue.durable();
  }

  /** SyncHost: every version of every type, oldest first per type (re-defined after a restore). */
  typeChains(): TypeDef[] {
    return this.types.list().flatMap((t) => this.types.history(t.name));
  }

  /** SyncHost: the ids of every local document (a resync looks for those the server lacks). */
  docIds(): string[] {
    return this.parts.collections.docIds();
  }

  /** SyncHost: full states (`docToJSON`) of these local documents, to push back after a restore. */
  exportDocs(ids: readonly string[]): unknown[] {
    return this.parts.merge.exportDocs(ids);
  }

  /** SyncHost: documents that left the user's scope. */
  async evict(ids: readonly string[]): Promise<void> {
    this.assertOpen();
    this.parts.merge.evict(ids);
    await this.parts.queue.durable();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(META_SYNC + key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.assertOpen();
    this.meta.set(META_SYNC + key, value);
    this.parts.queue.setMeta(META_SYNC + key, value);
    await this.parts.queue.durable();
  }

  protected assertOpen(): void {
    if (this.closed) throw new DatabaseClosedError();
    const failed = this.parts.queue.failed;
    if (failed !== undefined) throw new DatabaseClosedError(`storage failed: ${String(failed)}`);
  }
}
