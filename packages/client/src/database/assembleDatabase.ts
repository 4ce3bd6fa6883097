import type { DocState } from '@fieldsync/core';
import { docFromJSON } from '@fieldsync/core';
import { Collection } from '../collection/Collection.js';
import { SyncStateIndex } from '../syncstate/SyncStateIndex.js';
import type { LoadedState, StorageAdapter } from '../storage/StorageAdapter.js';
import type { SyncClient } from '../sync/SyncClient.js';
import { TabLeader } from '../tab/TabLeader.js';
import { Collections } from './Collections.js';
import { CommitQueue } from './CommitQueue.js';
import { InsertsByReference } from './InsertQueue.js';
import { LocalWrites } from './LocalWrites.js';
import { Outbox } from './Outbox.js';
import { Reissue } from './Reissue.js';
import { ReceivedJson } from './ReceivedJson.js';
import { RemoteMerge } from './RemoteMerge.js';
import { ReplicaClock } from './ReplicaClock.js';
import { TabSync } from './TabSync.js';
import { Transactions } from './Transactions.js';
import type { TypeStore } from './TypeStore.js';
import { META_TYPES, TypeSync } from './TypeSync.js';

/** The parts of a database, each owning one concern (see `Database`). */
export interface DatabaseParts {
  queue: CommitQueue;
  outbox: Outbox;
  syncIndex: SyncStateIndex;
  clock: ReplicaClock;
  collections: Collections;
  typeSync: TypeSync;
  merge: RemoteMerge;
  reissue: Reissue;
  writes: LocalWrites;
  tabs: TabSync | undefined;
}

/** What the parts call back into the database for. */
export interface DatabaseHooks {
  storage: StorageAdapter;
  loaded: LoadedState;
  replicaId: string | undefined;
  now: (() => number) | undefined;
  tabs: 'leader' | 'independent' | undefined;
  types: TypeStore;
  sync(): SyncClient | undefined;
  isClosed(): boolean;
  assertOpen(): void;
  transaction(fn: () => void): Promise<void>;
  retryRejected(id: string): Promise<void>;
  discardRejected(id: string): Promise<void>;
}

/**
 * Builds the parts of a database over its storage and what it loaded, and loads the documents
 * into their collections. Every part gets the few others it needs, named in its `…Host` interface.
 */
export function assembleDatabase(h: DatabaseHooks): DatabaseParts {
  const { storage, loaded, types, sync } = h;
  const live = storage.keepsLiveState === true;
  const received = new ReceivedJson();
  // The closures below read parts made further down; none runs before assembly is done.
  const queue = new CommitQueue(
    storage,
    {
      serialize: (c, id) => {
        const state = collections.state(c, id);
        return state === undefined || live ? state : received.serialize(state);
      },
      rows: (c, ids, others) => collections.find(c)?.storedRows(ids, others) ?? [],
    },
    (b) => tabs?.announce(b),
  );
  // Tabs sharing one IndexedDB database elect a leader, which alone issues stamps: the device
  // keeps one replica id (see ReplicaClock).
  const shared = storage.sharedName !== undefined;
  const elect = shared && h.tabs !== 'independent' && TabLeader.available;
  const clock = new ReplicaClock({
    queue,
    meta: loaded.meta,
    replicaId: h.replicaId,
    now: h.now,
    shared,
    elect,
  });
  types.load(loaded.meta.get(META_TYPES));
  const outbox = new Outbox(
    () => queue,
    loaded.outbox,
    (docId, run) => {
      const values = collections.find(run.collection)?.rowValues(docId, run.names);
      if (values === undefined) throw new Error(`outbox: the row of inserted document ${docId} is gone`);
      return values;
    },
  );
  // Per-document sync state, fed by the outbox (docs/client.md, "Sync state").
  const syncIndex = new SyncStateIndex(() => outbox.scan);
  outbox.observer = syncIndex;
  const collections: Collections = new Collections((name) => new Collection(name, writes));
  const tx = new Transactions(queue, outbox, collections);
  const resetDocs = (ids: readonly string[], docs: readonly unknown[], hint?: string): void =>
    merge.resetDocs(ids, docs, hint);
  const typeSync = new TypeSync({ queue, outbox, collections, types, sync, resetDocs });
  const merge: RemoteMerge = new RemoteMerge({
    queue,
    outbox,
    collections,
    clock,
    types,
    typeSync,
    received,
  });
  const reissue = new Reissue({ queue, outbox, collections, clock, types, merge, sync, syncIndex });
  const tabs: TabSync | undefined =
    storage.sharedName === undefined
      ? undefined
      : new TabSync(storage.sharedName, elect, {
          queue,
          outbox,
          collections,
          clock,
          typeSync,
          merge,
          sync,
          isClosed: h.isClosed,
          insertNew: (c, ids, records) => writes.insertNew(c, ids, records),
          transaction: h.transaction,
          retryRejected: h.retryRejected,
          discardRejected: h.discardRejected,
        });
  // How bulk inserts wait in the outbox: by reference to their rows (see `InsertsByReference`).
  const inserts = new InsertsByReference(outbox);
  const writes: LocalWrites = new LocalWrites({
    queue,
    outbox,
    collections,
    clock,
    tx,
    inserts,
    syncIndex,
    typeSync,
    tabs,
    assertOpen: h.assertOpen,
  });
  for (const d of loaded.docs)
    collections.get(d.collection).applyState(d.id, live ? (d.state as DocState) : docFromJSON(d.state));
  if (live && storage.attach) {
    // The memory adapter holds this database instead of a second entry per document and change.
    const all = collections;
    storage.attach({ docs: () => all.liveDocs(), outbox: () => outbox.stored() });
    queue.readFromMemory();
  }
  return { queue, outbox, syncIndex, clock, collections, typeSync, merge, reissue, writes, tabs };
}
