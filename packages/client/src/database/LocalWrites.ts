import type { Change, DocState, HybridLogicalClock, Intent, TypeDef } from '@fieldsync/core';
import type { Collection, WriteHost } from '../collection/Collection.js';
import { trackWrite, type WritePromise } from '../syncstate/WritePromise.js';
import type { SyncStateIndex } from '../syncstate/SyncStateIndex.js';
import { insertNew, type BulkInsertHost } from './BulkInsert.js';
import type { TabSync } from './TabSync.js';
import type { Transactions } from './Transactions.js';
import type { TypeSync } from './TypeSync.js';

/** What the write path needs from the rest of the database. */
export interface LocalWritesHost extends BulkInsertHost {
  readonly typeSync: TypeSync;
  readonly tx: Transactions;
  /** Records each write's change ids for its server promise (`WritePromise.server`). */
  readonly syncIndex: SyncStateIndex;
  /** Tab sync, when tabs share the storage. */
  readonly tabs: TabSync | undefined;
  /** Throws `DatabaseClosedError` once closed or after storage failed. */
  assertOpen(): void;
}

/**
 * The database side of every local write (`WriteHost`): a collection validates, builds the change
 * and its new state (core's `createAndApply`) and applies the state; this records the write —
 * for undo inside a transaction, in the outbox, and in the next storage batch with the clock —
 * and notifies live queries. In a follower tab the write is validated and forwarded instead.
 */
export class LocalWrites implements WriteHost {
  constructor(private readonly host: LocalWritesHost) {}

  get replicaId(): string {
    return this.host.clock.replica;
  }

  typeOf(collection: string): TypeDef {
    return this.host.typeSync.typeOf(collection);
  }

  typeFor(collection: string): TypeDef | undefined {
    return this.host.typeSync.typeFor(collection);
  }

  view(state: DocState): Record<string, unknown> {
    return this.host.typeSync.view(state);
  }

  upgrade(state: DocState): DocState {
    return this.host.typeSync.upgrade(state);
  }

  beginWrite(
    collection: Collection,
    id: string,
    intents: Intent[],
    type: TypeDef,
    prev: DocState | undefined,
  ): HybridLogicalClock | undefined {
    this.host.assertOpen();
    const tabs = this.host.tabs;
    if (tabs?.follower) {
      tabs.forwardWrite(collection, id, intents, type, prev);
      return undefined;
    }
    return this.host.clock.clock;
  }

  recordWrite(collection: Collection, id: string, stored: DocState | undefined, change: Change): void {
    const { tx, outbox, queue, clock } = this.host;
    tx.recordWrite(collection, id, stored);
    tx.recordChange(change.id);
    outbox.push(change.id, change);
    queue.putDoc(collection.name, id);
    clock.persist();
  }

  notify(): void {
    this.host.collections.notify();
  }

  insertNew(
    collection: Collection,
    ids: readonly string[],
    records: readonly Record<string, unknown>[],
  ): void {
    this.host.assertOpen();
    const type = this.typeOf(collection.name);
    const tabs = this.host.tabs;
    if (tabs?.follower) tabs.forwardInsert(collection, type, ids, records);
    else insertNew(this.host, collection, type, ids, records);
  }

  durable(): Promise<void> {
    const tabs = this.host.tabs;
    if (!tabs) return this.host.queue.durable();
    return Promise.all([this.host.queue.durable(), tabs.settled()]).then(() => undefined);
  }

  writeSeq(collection: Collection, id: string, build: () => Intent[]): Promise<void> {
    const tabs = this.host.tabs;
    if (!tabs?.follower) {
      collection.write(id, build());
      return this.durable();
    }
    return tabs.writeSeq(
      () => collection.write(id, build()),
      () => this.durable(),
    );
  }

  batch<T>(fn: () => T): T {
    return this.host.collections.batch(fn);
  }

  /** Makes a write (`run` writes synchronously and returns its local promise) and attaches `server`. */
  track<T>(run: () => Promise<T>): WritePromise<T> {
    return trackWrite(this.host.syncIndex, this.host.tabs?.follower ?? false, run);
  }

  transaction(fn: () => void): WritePromise<void> {
    return this.track(() => this.#transaction(fn));
  }

  #transaction(fn: () => void): Promise<void> {
    this.host.assertOpen();
    const tabs = this.host.tabs;
    if (tabs?.follower) {
      tabs.forwardTransaction(fn);
      return this.durable();
    }
    return this.host.tx.run(fn);
  }
}
