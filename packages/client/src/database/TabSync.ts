import type { DocState, Intent, TypeDef } from '@fieldsync/core';
import { createChange, createInsertChange, docFromJSON, encodeDoc } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import { existsError } from '../collection/Collection.js';
import { ModifierError } from '../query/errors.js';
import type { CommitBatch } from '../storage/StorageAdapter.js';
import { batchDocs } from '../storage/storedRows.js';
import type { SyncClient } from '../sync/SyncClient.js';
import type { ForwardedWrite, TabEnvelope, TabMessage } from '../tab/TabChannel.js';
import { TabChannel } from '../tab/TabChannel.js';
import { StaleSequenceError, TabCoordinator } from '../tab/TabCoordinator.js';
import type { TabSyncClient, TabSyncPort } from '../tab/TabSyncClient.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import type { Outbox } from './Outbox.js';
import { sameBytes, type RemoteMerge } from './RemoteMerge.js';
import type { ReplicaClock } from './ReplicaClock.js';
import { META_TYPES, type TypeSync } from './TypeSync.js';

/** What tab sync needs from the rest of the database. */
export interface TabSyncHost {
  readonly queue: CommitQueue;
  readonly outbox: Outbox;
  readonly collections: Collections;
  readonly clock: ReplicaClock;
  readonly typeSync: TypeSync;
  readonly merge: RemoteMerge;
  sync(): SyncClient | undefined;
  /** The database is closed (messages still arriving are ignored). */
  isClosed(): boolean;
  /** The leader's own write paths, for writes followers forward. */
  insertNew(
    collection: Collection,
    ids: readonly string[],
    records: readonly Record<string, unknown>[],
  ): void;
  transaction(fn: () => void): Promise<void>;
  retryRejected(id: string): Promise<void>;
  discardRejected(id: string): Promise<void>;
}

/**
 * The tabs of one browser sharing an IndexedDB database. Every tab announces its commits and
 * merges the others' into memory (`TabChannel`). With leader election (Web Locks) one tab, the
 * leader, stamps, stores and syncs for all: a follower validates each write here — the same
 * errors, thrown at once — and forwards it (`TabCoordinator`); its promise resolves once the
 * leader made it durable.
 */
export class TabSync {
  readonly #channel: TabChannel;
  readonly #coordinator: TabCoordinator | undefined;
  /** A follower's transaction: the writes it forwards as one request when it ends. */
  #tx: ForwardedWrite[] | undefined;
  /** A follower's text edits run one after another, each built on the leader's last answer. */
  #seqChain: Promise<void> = Promise.resolve();

  constructor(
    name: string,
    elect: boolean,
    private readonly host: TabSyncHost,
  ) {
    const channel = new TabChannel(name, (m) => this.#receive(m));
    this.#channel = channel;
    this.#coordinator = elect
      ? new TabCoordinator(name, {
          execute: (op) => this.#execute(op),
          durable: () => host.queue.durable(),
          post: (m) => channel.post(m),
          onLead: () => (host.sync() as TabSyncClient | undefined)?.lead(),
          onStatus: (st) => (host.sync() as TabSyncClient | undefined)?.mirror(st),
          onHello: () => (host.sync() as TabSyncClient | undefined)?.announce(),
        })
      : undefined;
  }

  /** `'leader'`, `'follower'`, or `'solo'` without election (see `Database.tabRole`). */
  get role(): 'solo' | 'leader' | 'follower' {
    if (!this.#coordinator) return 'solo';
    return this.#coordinator.leading ? 'leader' : 'follower';
  }

  /** Another tab makes this tab's writes. */
  get follower(): boolean {
    return this.#coordinator !== undefined && !this.#coordinator.leading;
  }

  /** For `TabSyncClient`: leadership and the leader's sync status. */
  port(): TabSyncPort | undefined {
    const co = this.#coordinator;
    if (!co) return undefined;
    return {
      leading: () => co.leading,
      postStatus: (status) => this.#channel.post({ t: 'status', status }),
      forwardFlush: () => co.forward({ kind: 'flush' }),
    };
  }

  /** Tells the other tabs about a durable commit of ours. */
  announce(batch: CommitBatch): void {
    this.#channel.post({ t: 'commit', batch, clock: this.host.clock.clock.last });
  }

  /** Follower: validates a write (throws as the leader would) and forwards it. */
  forwardWrite(
    collection: Collection,
    id: string,
    intents: Intent[],
    type: TypeDef,
    prev: DocState | undefined,
  ): void {
    createChange({ clock: this.host.clock.scratch(), type, doc: prev, docId: id, intents });
    const seqBase = this.#seqBase(prev, intents);
    this.#forward({
      kind: 'write',
      collection: collection.name,
      id,
      intents,
      ...(seqBase ? { seqBase, replica: this.host.clock.replica } : {}),
    });
  }

  /** Follower: validates a bulk insert (all or nothing, as the leader would) and forwards it. */
  forwardInsert(
    collection: Collection,
    type: TypeDef,
    ids: readonly string[],
    records: readonly Record<string, unknown>[],
  ): void {
    const scratch = this.host.clock.scratch();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      if (collection.states.has(id)) throw existsError(id);
      createInsertChange(scratch, type, id, records[i] as Record<string, unknown>, 'id');
    }
    if (new Set(ids).size !== ids.length) throw new ModifierError('insertMany got the same id twice', 'id');
    this.#forward({ kind: 'insert', collection: collection.name, ids: [...ids], records: [...records] });
  }

  /** Follower: runs `fn`, collecting its writes, and forwards them as one transaction. */
  forwardTransaction(fn: () => void): void {
    if (this.#tx) return fn();
    this.#tx = [];
    try {
      fn();
      if (this.#tx.length > 0) void this.#coordinator?.forward({ kind: 'tx', writes: this.#tx });
    } finally {
      this.#tx = undefined;
    }
  }

  /** Follower: asks the leader to make `op` (a retry or discard of a rejected change). */
  forwardAction(op: ForwardedWrite): Promise<void> {
    return (this.#coordinator as TabCoordinator).forward(op);
  }

  /**
   * Follower: a sequence edit, built by `write` from the current state, run after the previous
   * one is back from the leader; an edit the leader finds built on an outdated copy (the leader
   * tab itself edited the field meanwhile) is rebuilt on the newer state and sent again.
   */
  writeSeq(write: () => void, durable: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          write();
          await durable();
          return;
        } catch (e) {
          if (!(e instanceof StaleSequenceError) || attempt >= 100) throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const p = this.#seqChain.then(run);
    this.#seqChain = p.catch(() => undefined);
    return p;
  }

  /** Resolves when every write forwarded so far is durable (immediately without election). */
  settled(): Promise<void> {
    return this.#coordinator ? this.#coordinator.settled() : Promise.resolve();
  }

  /** Gives our forwarded writes a moment to be answered (the leader may be closing too). */
  async drain(): Promise<void> {
    if (!this.#coordinator) return;
    await Promise.race([
      this.#coordinator.settled().catch(() => undefined),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
  }

  close(): void {
    this.#coordinator?.close();
    this.#channel.close();
  }

  /** Follower: forward a write (held back until the end of a transaction). */
  #forward(op: ForwardedWrite): void {
    if (this.#tx) this.#tx.push(op);
    else void (this.#coordinator as TabCoordinator).forward(op);
  }

  /** For each `seq` intent: how many operations of this device's replica the field holds. */
  #seqBase(
    doc: DocState | undefined,
    intents: readonly Intent[],
    replica = this.host.clock.replica,
  ): Record<string, number> | undefined {
    let out: Record<string, number> | undefined;
    for (const i of intents) {
      if (i.op !== 'seq' || i.path.length !== 1) continue;
      const field = i.path[0] as string;
      const seq = doc?.fields[field] as { version?: Record<string, number> } | undefined;
      (out ??= {})[field] = seq?.version?.[replica] ?? 0;
    }
    return out;
  }

  /** Leader: makes a write a follower forwarded. */
  #execute(op: ForwardedWrite): void | Promise<void> {
    const { collections, typeSync } = this.host;
    switch (op.kind) {
      case 'write': {
        const c = collections.get(op.collection);
        if (op.seqBase) {
          const stored = c.states.get(op.id);
          // Counted for the replica the follower built under (the leader's, unless the leader
          // moved to a new replica id since: `replica_taken`).
          const now = this.#seqBase(stored && typeSync.upgrade(stored), op.intents, op.replica) ?? {};
          for (const [field, n] of Object.entries(op.seqBase)) {
            if (now[field] !== n)
              throw new StaleSequenceError(
                `${op.collection}/${op.id}.${field} changed in the leader tab; rebuild the edit`,
              );
          }
        }
        c.write(op.id, op.intents);
        return;
      }
      case 'insert':
        this.host.insertNew(collections.get(op.collection), op.ids, op.records);
        return;
      case 'tx':
        return this.host.transaction(() => {
          for (const w of op.writes) void this.#execute(w);
        });
      case 'flush':
        return this.host.sync()?.flush();
      case 'retry':
        return this.host.retryRejected(op.id);
      case 'discard':
        return this.host.discardRejected(op.id);
    }
  }

  /** A message from another tab: a commit, or (with leader election) a forwarded write and its answer. */
  #receive(msg: TabEnvelope): void {
    if (this.host.isClosed()) return;
    if (msg.t === 'commit') this.#receiveCommit(msg);
    else this.#coordinator?.receive(msg);
  }

  /** Another tab committed: merge its states into memory (already persisted by that tab). */
  #receiveCommit(msg: TabMessage): void {
    const { batch } = msg;
    const { clock, collections, queue, typeSync, merge, outbox } = this.host;
    if (msg.clock) clock.receive(msg.clock);
    // Types first: a migration made in the other tab must be known before its documents merge.
    const types = batch.meta?.find(([k]) => k === META_TYPES);
    if (types) typeSync.absorb(types[1]);
    collections.batch(() => {
      for (const d of batchDocs(batch)) {
        const incoming: DocState = docFromJSON(d.state);
        const c = collections.get(d.collection);
        const prev = merge.mergeIn(c, d.id, incoming);
        // Two tabs may have written the same document concurrently; the last put wins in
        // IndexedDB, so store the merged state if ours adds something to theirs.
        // Canonical bytes: key order may differ between tabs (it follows each tab's columns).
        if (prev && !sameBytes(encodeDoc(c.states.get(d.id) as DocState), encodeDoc(incoming)))
          queue.putDoc(c.name, d.id);
      }
      for (const d of batch.deleteDocs ?? []) collections.find(d.collection)?.applyState(d.id, undefined);
    });
    outbox.mirror(batch.outboxAdd ?? [], batch.outboxRemove ?? [], batch.outboxReject ?? []);
  }
}
