import type { AppliedChange, Change, DocState, Intent, MigrationStep, TypeDef } from '@fieldsync/core';
import {
  ClockDriftError,
  createAndApply,
  createAndApplyInsert,
  createChange,
  createDocId,
  createInsertChange,
  docFromJSON,
  docToJSON,
  encodeDoc,
  formatStamp,
  HybridLogicalClock,
  parseStamp,
  materialize,
  mergeDocs,
  SchemaError,
  validateType,
} from '@fieldsync/core';
import { Collection, existsError } from '../collection/Collection.js';
import { isPlainState, rowStamps } from '../collection/RowStore.js';
import type { Doc } from '../query/types.js';
import type { WriteHost } from '../collection/Collection.js';
import type { CommitBatch, LoadedState, StorageAdapter, StoredDoc } from '../storage/StorageAdapter.js';
import type { SyncClient } from '../sync/SyncClient.js';
import type { SyncHost } from '../sync/SyncHost.js';
import type { ForwardedWrite, TabEnvelope, TabMessage } from '../tab/TabChannel.js';
import { TabChannel } from '../tab/TabChannel.js';
import { StaleSequenceError, TabCoordinator } from '../tab/TabCoordinator.js';
import { TabLeader } from '../tab/TabLeader.js';
import type { TabSyncClient, TabSyncPort } from '../tab/TabSyncClient.js';
import { CommitQueue } from './CommitQueue.js';
import { ModifierError } from '../query/errors.js';
import { DatabaseClosedError } from './errors.js';
import { jsonEqual } from './jsonEqual.js';
import { maxStamp } from './maxStamp.js';
import { InsertRun } from './InsertRuns.js';
import { Outbox } from './Outbox.js';
import { renameCounterReplica, restamp } from './restamp.js';
import { ServerTime } from './ServerTime.js';
import { TypeStore, type RejectedType } from './TypeStore.js';

const META_REPLICA = 'replicaId';
const META_CLOCK = 'clock';
const META_TYPES = 'types';
const META_SYNC = 'sync:';

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

interface Undo {
  collection: Collection;
  id: string;
  /** The state before the transaction first touched the document (never mutated after). */
  before: DocState | undefined;
  /** The materialized document before, restored as the same object so live queries see no change. */
  doc: Doc | undefined;
}

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
 * The local database: collections of typed documents, every local write going through one path
 * (validate → core change → memory → outbox + state + clock in one durable batch), and the
 * `SyncHost` surface the sync client drives. Create it with `createDatabase`.
 */
export class Database implements SyncHost, WriteHost {
  readonly name: string;
  readonly outbox: Outbox;
  /** The wall clock of stamps: local time, corrected by the server's once it answered. */
  readonly time: ServerTime;
  #clock: HybridLogicalClock;
  private readonly storage: StorageAdapter;
  private readonly queue: CommitQueue;
  /**
   * Every version of every type, with migrations (core's `TypeRegistry`): `db.types.list()`,
   * `db.types.subscribe(fn)`, `db.types.history(name)`. Persisted, and synced through `_types`.
   */
  readonly types = new TypeStore();
  private readonly collections = new Map<string, Collection>();
  /** The collections' values, for `notify` (no iterator per write). */
  private collectionList: Collection[] = [];
  private readonly meta: Map<string, string>;
  private readonly tabs: TabChannel | undefined;
  /** Tabs of this database elect a leader (shared storage and Web Locks, not `tabs: 'independent'`). */
  private readonly elect: boolean;
  /** Leader election and write forwarding between tabs (shared storage + Web Locks). */
  private readonly coordinator: TabCoordinator | undefined;
  /** A follower's transaction: the writes it forwards as one request when `fn` returns. */
  private forwardTx: ForwardedWrite[] | undefined;
  /** A follower's text edits run one after another, each built on the leader's last answer. */
  private seqChain: Promise<void> = Promise.resolve();
  private batchDepth = 0;
  private notifying = false;
  private undo: Undo[] | undefined;
  private undoChanges: string[] = [];
  private readonly undoKeys = new Set<string>();
  private closed = false;
  /** Called by `close()`; set by `createDatabase` when a sync client is attached. */
  onClose: Array<() => void | Promise<void>> = [];
  /**
   * Replication with a fieldsync server (`db.sync.start()/stop()/flush()/status/subscribe`);
   * set by `createDatabase({ sync: { url, token } })`, undefined for a local-only database.
   */
  sync: SyncClient | undefined;

  constructor(init: DatabaseInit) {
    const { loaded } = init;
    this.name = init.name;
    this.storage = init.storage;
    this.meta = loaded.meta;
    this.queue = new CommitQueue(
      init.storage,
      (c, id) => this.serialize(c, id),
      (b) => this.announce(b),
    );
    let base = init.replicaId ?? loaded.meta.get(META_REPLICA);
    base ??= createDocId();
    if (base !== loaded.meta.get(META_REPLICA)) this.queue.setMeta(META_REPLICA, base);
    // Tabs sharing one IndexedDB database elect a leader, which alone issues stamps: the device
    // keeps one replica id (see replicaFor).
    this.elect = init.storage.sharedName !== undefined && init.tabs !== 'independent' && TabLeader.available;
    this.time = new ServerTime(init.now);
    const last = loaded.meta.get(META_CLOCK);
    this.#clock = this.makeClock(this.replicaFor(base), last);
    // A clock persisted far ahead (the system clock ran fast, then was corrected) would stamp
    // every new write beyond the server's drift bound: start again from the corrected time.
    this.rewindIfAhead(this.#clock.maxDrift);
    this.types.load(loaded.meta.get(META_TYPES));
    const live = init.storage.keepsLiveState === true;
    this.outbox = new Outbox(
      () => this.queue,
      loaded.outbox,
      (docId, run) => this.insertValues(docId, run),
    );
    for (const d of loaded.docs)
      this.collection(d.collection).applyState(d.id, live ? (d.state as DocState) : docFromJSON(d.state));
    if (live && init.storage.attach) {
      // The memory adapter holds this database instead of a second entry per document and change.
      init.storage.attach({ docs: () => this.liveDocs(), outbox: () => this.outbox.stored() });
      this.queue.readFromMemory();
    }
    this.tabs = init.storage.sharedName
      ? new TabChannel(init.storage.sharedName, (m) => this.receiveTab(m))
      : undefined;
    const tabs = this.tabs;
    this.coordinator =
      this.elect && tabs && init.storage.sharedName
        ? new TabCoordinator(init.storage.sharedName, {
            execute: (op) => this.execute(op),
            durable: () => this.queue.durable(),
            post: (m) => tabs.post(m),
            onLead: () => (this.sync as TabSyncClient | undefined)?.lead(),
            onStatus: (st) => (this.sync as TabSyncClient | undefined)?.mirror(st),
            onHello: () => (this.sync as TabSyncClient | undefined)?.announce(),
          })
        : undefined;
  }

  /**
   * How this database shares its device with other tabs: `'solo'` (no shared storage, or no Web
   * Locks: every tab writes and syncs for itself), `'leader'` (this tab stamps, stores and syncs
   * for all tabs) or `'follower'` (writes are validated here, made by the leader, and resolve
   * once durable). See docs/client.md, "Tabs".
   */
  get tabRole(): 'solo' | 'leader' | 'follower' {
    if (!this.coordinator) return 'solo';
    return this.coordinator.leading ? 'leader' : 'follower';
  }

  /** Follower: another tab makes our writes. */
  private get follower(): boolean {
    return this.coordinator !== undefined && !this.coordinator.leading;
  }

  /** For `TabSyncClient`: leadership and the leader's sync status. */
  tabSyncPort(): TabSyncPort | undefined {
    const co = this.coordinator;
    const tabs = this.tabs;
    if (!co || !tabs) return undefined;
    return {
      leading: () => co.leading,
      postStatus: (status) => tabs.post({ t: 'status', status }),
      forwardFlush: () => co.forward({ kind: 'flush' }),
    };
  }

  /**
   * This device's hybrid logical clock (replaced when it is rewound or the replica rotates: read
   * it here each time, do not keep it).
   */
  get clock(): HybridLogicalClock {
    return this.#clock;
  }

  /** Replica id of the stamps this database issues now (SyncHost). */
  get replicaId(): string {
    return this.#clock.replica;
  }

  /**
   * Tabs sharing one IndexedDB database each need their own replica id, or two tabs could issue
   * the same stamp (= the same change id) in the same millisecond.
   */
  /**
   * The replica id stamps carry. With leader election only the leader stamps, so every tab uses
   * the device's id. Without it each tab needs its own, or two tabs could issue the same stamp
   * (= the same change id) in the same millisecond.
   */
  private replicaFor(base: string): string {
    return this.storage.sharedName && !this.elect
      ? `${base}-${createDocId().replace(/[-_]/g, '').slice(0, 8)}`
      : base;
  }

  private makeClock(replica: string, last: string | undefined): HybridLogicalClock {
    return new HybridLogicalClock({ replica, ...(last ? { last } : {}), now: () => this.time.now() });
  }

  /**
   * Restarts the clock at the corrected time if its last stamp is more than `aheadMs` ahead of it.
   * Stamps then go back in time under the same replica id; the server's change identity check
   * (same id, other content → `id_conflict`, re-issued) keeps a repeated id from being taken for
   * a duplicate. See docs/crdt.md, "Wrong clocks".
   */
  private rewindIfAhead(aheadMs: number): boolean {
    const last = this.#clock.last;
    const now = Math.floor(this.time.now());
    if (last === undefined || parseStamp(last).wall - now <= aheadMs) return false;
    const restart = formatStamp(now, 0, this.#clock.replica);
    this.#clock = this.makeClock(this.#clock.replica, restart);
    this.queue.setMeta(META_CLOCK, restart);
    return true;
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
    if (this.types.define(type)) this.typesChanged([type.name]);
    await this.queue.durable();
  }

  /**
   * Produces, validates and registers the next version of `name` from declarative migration
   * steps (`addField`, `renameField`, `removeField`, `changeType`, `changeMerge`; docs/schema.md).
   * Existing documents are not rewritten: they are upgraded when read, and persisted upgraded by
   * their next write. Throws `SchemaError` naming the failing step (`migrations[0].to: exists`).
   */
  async migrateType(name: string, steps: MigrationStep[]): Promise<TypeDef> {
    this.assertOpen();
    const next = this.types.migrate(name, steps);
    this.typesChanged([name]);
    await this.queue.durable();
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
    const refused = this.types.rejectedTypes().filter((r) => r.def.name === name);
    if (refused.length === 0) throw new Error(`no refused version of type "${name}" to discard`);
    const from = Math.min(...refused.map((r) => r.def.version));
    if (!this.sync) throw new Error('discarding a local type needs a sync server to restore documents from');
    const atDropped = (c: { type: string; v: number }): boolean => c.type === name && c.v >= from;
    const docIds = new Set(this.outbox.where(atDropped).map((c) => c.doc));
    for (const [id, state] of this.collections.get(name)?.states ?? []) if (state.v >= from) docIds.add(id);
    const fetched = docIds.size > 0 ? await this.sync.fetchDocs([...docIds]) : { docs: [] };
    this.assertOpen();
    // Everything below is synchronous: one storage batch, no reader sees a half-dropped type.
    const dropped = this.outbox.where(atDropped);
    for (const c of dropped) this.outbox.discard(c.id);
    this.types.dropRefused(name);
    this.queue.setMeta(META_TYPES, this.types.toJSON());
    this.resetDocs([...docIds], fetched.docs, name);
    this.typesChanged([name]);
    await this.queue.durable();
    return dropped.length;
  }

  /** Type definitions made here that the server refused for good (e.g. no define-types right). */
  rejectedTypes(): RejectedType[] {
    return this.types.rejectedTypes();
  }

  /**
   * Types received from the server (sync), every version with its migrations, delivered before
   * the documents that need them. A structurally invalid definition throws; one that is not a
   * valid successor of the chosen chain (built on a concurrent definition that lost) is skipped.
   * When a concurrent definition replaces the one local documents were upgraded under, those
   * documents are re-expressed in the chosen one (`rebaseDoc`) and persisted.
   */
  async applyTypes(types: readonly unknown[]): Promise<void> {
    this.assertOpen();
    for (const t of types) validateType(t as TypeDef);
    this.adoptReceived(this.types.receive(types));
    await this.queue.durable();
  }

  /** Rebases documents whose chosen definition was replaced, persists, re-materializes. */
  private adoptReceived({ changed, replaced }: ReturnType<TypeStore['receive']>): void {
    this.batch(() => {
      for (const r of replaced) {
        const c = this.collections.get(r.name);
        if (!c) continue;
        for (const [id, state] of [...c.states]) {
          if (state.v !== r.version) continue;
          c.applyState(id, this.types.registry.rebaseDoc(state, r.from));
          this.queue.putDoc(c.name, id);
        }
      }
    });
    if (changed.size > 0) this.typesChanged([...changed]);
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
    if (error === undefined) this.types.accepted(def as TypeDef);
    else this.types.rejected(def as TypeDef, error);
    this.queue.setMeta(META_TYPES, this.types.toJSON());
    await this.queue.durable();
  }

  /** Persists the type store and re-materializes the collections of `names` at their new versions. */
  private typesChanged(names: readonly string[]): void {
    this.queue.setMeta(META_TYPES, this.types.toJSON());
    this.batch(() => {
      for (const n of names) this.collections.get(n)?.rematerialize();
    });
  }

  /**
   * WriteHost: the document as readers see it — lazily upgraded to the newest known version of
   * its type (the stored state is left as it is until the next write persists the upgrade).
   */
  view(state: DocState): Record<string, unknown> {
    const type = this.types.get(state.type);
    return materialize(this.upgradeTo(state, type), type);
  }

  /**
   * Merges two states of one document. At different versions both are upgraded to the newest
   * known one first (the same moves on both sides, so every replica computes the same join);
   * equal versions stay lazy.
   */
  private mergeAt(a: DocState, b: DocState): DocState {
    return a.v === b.v ? mergeDocs(a, b) : mergeDocs(this.upgrade(a), this.upgrade(b));
  }

  /** Merges a state received from elsewhere into `c` (adopted as is when new); returns the previous state. */
  private mergeIn(c: Collection, id: string, incoming: DocState): DocState | undefined {
    const prev = c.states.get(id);
    c.applyState(id, prev ? this.mergeAt(prev, incoming) : incoming);
    return prev;
  }

  /** WriteHost: `state` at the newest known version of its type (unchanged when already there or unknown). */
  upgrade(state: DocState): DocState {
    return this.upgradeTo(state, this.types.get(state.type));
  }

  /** `state` upgraded to `type` (its newest known definition) when older; as is otherwise. */
  private upgradeTo(state: DocState, type: TypeDef | undefined): DocState {
    return type && state.v < type.version ? this.types.registry.upgradeDoc(state) : state;
  }

  collection(name: string): Collection {
    let c = this.collections.get(name);
    if (!c) {
      this.collections.set(name, (c = new Collection(name, this)));
      this.collectionList = [...this.collections.values()];
    }
    return c;
  }

  typeOf(name: string): TypeDef {
    const t = this.types.get(name);
    if (!t)
      throw new SchemaError('', 'unknown-type', `no type "${name}" is defined; call db.defineType first`);
    return t;
  }

  typeFor(name: string): TypeDef | undefined {
    return this.types.get(name);
  }

  /**
   * The one local write path, synchronous: validation errors throw before anything changes;
   * memory, indexes and live queries are updated at once (reads are instant); the change, the
   * new state and the clock are queued as one storage batch, and `durable()` resolves when it
   * is on disk. Collection methods await that before resolving.
   */
  write(collection: Collection, id: string, intents: Intent[]): void {
    this.assertOpen();
    const type = this.typeOf(collection.name);
    const stored = collection.states.get(id);
    // Lazy migration: a document still at an older version is upgraded now, and the upgraded
    // state is what this write persists. `upgraded` is pure, so `stored` stays intact for undo.
    const prev = stored && this.upgradeTo(stored, type);
    if (this.follower) {
      // Validated here (same errors, thrown now), made by the leader tab.
      createChange({ clock: this.scratchClock(), type, doc: prev, docId: id, intents });
      const seqBase = this.seqBase(prev, intents);
      this.forward({
        kind: 'write',
        collection: collection.name,
        id,
        intents,
        ...(seqBase ? { seqBase, replica: this.replicaId } : {}),
      });
      return;
    }
    // Stamped with the type's version and hash (`th`) by core. Pure: `stored` stays intact for undo.
    const { change, state } = createAndApply({ clock: this.clock, type, doc: prev, docId: id, intents });
    if (this.undo) {
      const key = `${collection.name}\u0000${id}`;
      if (!this.undoKeys.has(key)) {
        this.undoKeys.add(key);
        this.undo.push({ collection, id, before: stored, doc: collection.docs.get(id) });
      }
      this.undoChanges.push(change.id);
    }
    collection.applyState(id, state);
    this.outbox.push(change.id, change);
    this.queue.putDoc(collection.name, id);
    this.queue.setMeta(META_CLOCK, this.clock.last as string);
    this.notify();
  }

  /**
   * Inserts new documents in bulk, all or nothing: states, indexes, outbox and one storage batch
   * are updated together and live queries notified once. Outside a transaction each change is
   * applied as soon as it is built (a 100,000-change array would outlive the young generation
   * and be copied by the GC), and an invalid document undoes the ones before it, inside the same
   * batch, so nobody is notified and nothing reaches storage or the outbox (the clock keeps the
   * ticks it made: stamps no change carries). In a transaction every change is built (and
   * validated) before any is applied, since the transaction may go on after a failed insert.
   */
  insertNew(
    collection: Collection,
    ids: readonly string[],
    records: readonly Record<string, unknown>[],
  ): void {
    this.assertOpen();
    const type = this.typeOf(collection.name);
    if (this.follower) {
      const scratch = this.scratchClock();
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as string;
        if (collection.states.has(id)) throw existsError(id);
        createInsertChange(scratch, type, id, records[i] as Record<string, unknown>, 'id');
      }
      if (new Set(ids).size !== ids.length) throw new ModifierError('insertMany got the same id twice', 'id');
      this.forward({ kind: 'insert', collection: collection.name, ids: [...ids], records: [...records] });
      return;
    }
    const clock = this.clock;
    const build = (i: number): AppliedChange =>
      createAndApplyInsert(clock, type, ids[i] as string, records[i] as Record<string, unknown>, 'id');
    let changes: AppliedChange[] | undefined;
    if (this.undo) {
      for (const id of ids) if (collection.states.has(id)) throw existsError(id);
      if (new Set(ids).size !== ids.length) throw new ModifierError('insertMany got the same id twice', 'id');
      changes = ids.map((_, i) => build(i));
    } else this.queue.beginStaging();
    let done = 0;
    this.batch(() => {
      collection.bulk(
        () => {
          let run: InsertRun | undefined;
          try {
            for (; done < ids.length; done++) {
              const id = ids[done] as string;
              const { change, state } = changes?.[done] ?? build(done);
              const row = collection.insertState(id, state);
              if (row < 0) {
                throw ids.indexOf(id) < done
                  ? new ModifierError('insertMany got the same id twice', 'id')
                  : existsError(id);
              }
              if (this.undo) {
                this.undo.push({ collection, id, before: undefined, doc: undefined });
                this.undoChanges.push(change.id);
              }
              // The outbox keeps a reference to the row instead of the change when the row holds
              // exactly the change's values: a plain row at the change's stamp.
              if (
                state.s === change.stamp &&
                isPlainState(state, collection.name) &&
                rowStamps(state) === undefined
              ) {
                if (run === undefined || !sameNames(run.names, state.r))
                  run = new InsertRun(
                    collection.name,
                    change.type,
                    change.v,
                    change.th as string,
                    Object.keys(state.r),
                  );
                this.outbox.pushRef(run, id, change, row);
              } else {
                this.outbox.push(change.id, change);
                run = undefined; // a run's inserts are consecutive in the outbox
              }
              this.queue.putDoc(collection.name, id);
            }
          } catch (e) {
            if (changes === undefined) {
              this.outbox.dropNewest(done);
              for (let i = done - 1; i >= 0; i--) collection.applyState(ids[i] as string, undefined);
              this.queue.endStaging(false, e);
            }
            throw e;
          }
        },
        ids.length > 1000 && ids.length * 4 > collection.docs.size,
      );
      if (changes === undefined) this.queue.endStaging(true);
      this.queue.setMeta(META_CLOCK, clock.last as string);
    });
  }

  durable(): Promise<void> {
    const co = this.coordinator;
    if (!co) return this.queue.durable();
    return Promise.all([this.queue.durable(), co.settled()]).then(() => undefined);
  }

  /**
   * Writes a sequence (text/list) edit built by `build` from the document's current state. In a
   * follower tab edits run one at a time, each built after the previous one is back from the
   * leader, and an edit the leader finds built on an outdated copy (the leader tab itself edited
   * the field meanwhile) is rebuilt on the newer state and sent again.
   */
  writeSeq(collection: Collection, id: string, build: () => Intent[]): Promise<void> {
    if (!this.follower) {
      this.write(collection, id, build());
      return this.durable();
    }
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          this.write(collection, id, build());
          await this.durable();
          return;
        } catch (e) {
          if (!(e instanceof StaleSequenceError) || attempt >= 100) throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const p = this.seqChain.then(run);
    this.seqChain = p.catch(() => undefined);
    return p;
  }

  /** Follower: forward a write (held back until the end of a transaction). */
  private forward(op: ForwardedWrite): void {
    if (this.forwardTx) this.forwardTx.push(op);
    else void (this.coordinator as TabCoordinator).forward(op);
  }

  /** A clock for validating a follower's write (the leader stamps the real change). */
  private scratchClock(): HybridLogicalClock {
    const last = this.clock.last;
    return new HybridLogicalClock({ replica: this.replicaId, ...(last ? { last } : {}) });
  }

  /** For each `seq` intent: how many operations of this device's replica the field holds. */
  private seqBase(
    doc: DocState | undefined,
    intents: readonly Intent[],
    replica = this.replicaId,
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
  private execute(op: ForwardedWrite): void | Promise<void> {
    switch (op.kind) {
      case 'write': {
        const c = this.collection(op.collection);
        if (op.seqBase) {
          const stored = c.states.get(op.id);
          // Counted for the replica the follower built under (the leader's, unless the leader
          // moved to a new replica id since: `replica_taken`).
          const now = this.seqBase(stored && this.upgrade(stored), op.intents, op.replica) ?? {};
          for (const [field, n] of Object.entries(op.seqBase)) {
            if (now[field] !== n)
              throw new StaleSequenceError(
                `${op.collection}/${op.id}.${field} changed in the leader tab; rebuild the edit`,
              );
          }
        }
        this.write(c, op.id, op.intents);
        return;
      }
      case 'insert':
        this.insertNew(this.collection(op.collection), op.ids, op.records);
        return;
      case 'tx':
        return this.transaction(() => {
          for (const w of op.writes) void this.execute(w);
        });
      case 'flush':
        return this.sync?.flush();
      case 'retry':
        return this.retryRejected(op.id);
      case 'discard':
        return this.discardRejected(op.id);
    }
  }

  /** WriteHost: some insert is held in the outbox by reference to its row. */
  get watchesRows(): boolean {
    return this.outbox.holdsRefs;
  }

  /** WriteHost: a document is about to change; an insert of it held by reference becomes a change. */
  beforeChange(collection: Collection, id: string, stamp: string, row: number): void {
    this.outbox.release(stamp, id, collection.name, row);
  }

  /** The values of an inserted document's (unchanged, plain) row, in the order of its change. */
  private insertValues(docId: string, run: InsertRun): unknown[] {
    const values = this.collections.get(run.collection)?.rowValues(docId, run.names);
    if (values === undefined) throw new Error(`outbox: the row of inserted document ${docId} is gone`);
    return values;
  }

  /** Runs `fn` (synchronously); live queries are notified once, at the end. */
  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
      this.notify();
    }
  }

  /**
   * All-or-nothing: if `fn` throws, every write it made is undone in memory and never reaches
   * storage or the outbox, and subscribers see nothing. `fn` must be synchronous (like an
   * IndexedDB transaction). Resolves when all its writes are durable.
   */
  transaction(fn: () => void): Promise<void> {
    this.assertOpen();
    if (this.follower && !this.forwardTx) {
      this.forwardTx = [];
      try {
        fn();
        if (this.forwardTx.length > 0) void this.coordinator?.forward({ kind: 'tx', writes: this.forwardTx });
      } finally {
        this.forwardTx = undefined;
      }
      return this.durable();
    }
    if (this.undo) {
      fn();
      return this.queue.durable();
    }
    this.undo = [];
    this.undoChanges = [];
    this.queue.beginStaging();
    try {
      this.batch(() => {
        try {
          fn();
        } catch (e) {
          this.rollback(this.undo ?? []);
          this.queue.endStaging(false, e);
          throw e;
        }
      });
      this.queue.endStaging(true);
    } finally {
      this.undo = undefined;
      this.undoKeys.clear();
      this.undoChanges = [];
    }
    return this.queue.durable();
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
    if (this.follower) return (this.coordinator as TabCoordinator).forward({ kind: 'retry', id });
    const r = this.outbox.takeRejected(id);
    if (r === undefined) throw new Error(`no rejected change ${id}`);
    this.batch(() => this.restampChange(r.change as Change, false));
    await this.queue.durable();
  }

  /**
   * Drops a set-aside change and returns its document to the server's state (plus this device's
   * other changes to it that are still queued or set aside). Needs the server: rejects, keeping
   * the change, when it cannot be reached.
   */
  async discardRejected(id: string): Promise<void> {
    this.assertOpen();
    if (this.follower) return (this.coordinator as TabCoordinator).forward({ kind: 'discard', id });
    const r = this.outbox.rejected().find((x) => x.id === id);
    if (r === undefined) throw new Error(`no rejected change ${id}`);
    const docId = (r.change as Change).doc;
    if (!this.sync) throw new Error('discard needs a sync server to restore the document from');
    const fetched = await this.sync.fetchDocs([docId]);
    this.assertOpen();
    if (this.outbox.takeRejected(id) === undefined) return; // discarded meanwhile
    this.resetDocs([docId], fetched.docs, (r.change as Change).type);
    await this.queue.durable();
  }

  /**
   * Replaces local documents by the server's states (`serverDocs`; an id among `ids` the server
   * did not return has no server state), then re-applies this device's queued and set-aside
   * changes of each on top. Used to discard a rejected change, and after a full resync past the
   * server's history horizon (where merging would revive what the server compacted away).
   */
  resetDocs(ids: readonly string[], serverDocs: readonly unknown[], typeHint?: string): void {
    const server = new Map<string, DocState>();
    for (const d of serverDocs) {
      const state = docFromJSON(d);
      server.set(state.id, state);
    }
    this.batch(() => {
      for (const id of ids) {
        let state = server.get(id);
        const local = this.outbox.changesOf(id);
        for (const { change } of local) state = this.types.registry.applyChange(state, change as Change);
        const type = state?.type ?? typeHint ?? this.collectionOf(id);
        if (type === undefined) continue;
        const c = this.collection(type);
        if (state) {
          c.applyState(id, state);
          this.queue.putDoc(c.name, id);
        } else if (c.states.has(id)) {
          c.applyState(id, undefined);
          this.queue.deleteDoc(c.name, id);
        }
      }
    });
  }

  /** The collection holding document `id`, if any. */
  private collectionOf(id: string): string | undefined {
    for (const c of this.collectionList) if (c.states.has(id)) return c.name;
    return undefined;
  }

  /**
   * Re-issues `change` (already removed from the outbox) as a new write made now: a fresh stamp
   * replaces its stamp in the change and in its document's state (`restamp`), and it is queued
   * again. `fromReplica`: the replica id was rotated away from the change's, so the document's
   * counter totals of the old replica move to the new one.
   */
  private restampChange(change: Change, rotated: boolean): string {
    const stamp = this.#clock.now();
    const next = restamp(change, change.stamp, stamp) as Change;
    const c = this.collection(change.type);
    const state = c.states.get(change.doc);
    if (state) {
      let json = restamp(docToJSON(state), change.stamp, stamp);
      if (rotated) json = renameCounterReplica(json, parseStamp(change.stamp).replica, this.replicaId);
      c.applyState(change.doc, docFromJSON(json));
    } else {
      c.applyState(change.doc, this.types.registry.applyChange(undefined, next));
    }
    this.queue.putDoc(c.name, change.doc);
    this.outbox.push(next.id, next);
    this.queue.setMeta(META_CLOCK, this.#clock.last as string);
    return next.id;
  }

  /**
   * SyncHost: the server refused these pending changes for a reason a fresh stamp cures
   * (`clock_drift`: our clock is ahead — it is rewound to the server-corrected time first;
   * `id_conflict`: someone else holds the id; `replica_taken`: another user holds our replica
   * id — we move to a new one). Each is re-issued as a new write made now. Returns the new ids.
   */
  async reissue(ids: readonly string[], code: string): Promise<string[]> {
    this.assertOpen();
    if (code === 'clock_drift') this.rewindIfAhead(1000);
    let rotated = false;
    if (code === 'replica_taken' && ids.some((id) => parseStamp(id).replica === this.replicaId)) {
      const base = createDocId();
      this.queue.setMeta(META_REPLICA, base);
      this.#clock = this.makeClock(this.replicaFor(base), undefined);
      rotated = true;
    }
    const out: string[] = [];
    this.batch(() => {
      for (const id of [...ids].sort()) {
        const change = this.outbox.take(id) as Change | undefined;
        if (change !== undefined) out.push(this.restampChange(change, rotated));
      }
    });
    await this.queue.durable();
    return out;
  }

  /** SyncHost: the server's clock, read from a response that took `rttMs` to arrive. */
  serverTime(serverMs: number, rttMs: number): void {
    if (this.closed) return;
    this.time.sample(serverMs, rttMs);
    this.rewindIfAhead(this.#clock.maxDrift);
  }

  // ---- SyncHost -------------------------------------------------------------------------

  async applyRemote(docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    const parsed = docs.map((d) => docFromJSON(d)); // validates all before touching anything
    let latest: string | undefined;
    for (const d of docs) latest = maxStamp(d, latest);
    if (latest !== undefined) this.receiveStamp(latest);
    this.batch(() => {
      for (const incoming of parsed) {
        const c = this.collection(incoming.type);
        this.mergeIn(c, incoming.id, incoming);
        this.queue.putDoc(c.name, incoming.id);
      }
    });
    await this.queue.durable();
  }

  /**
   * SyncHost, resync after the server's store was replaced (restore, reset): merges one page of a
   * full pull, and records the documents the server has (`seen`) and those whose local state holds
   * something the server's lacks (`ahead`: pushed back whole). Identical states (the common case)
   * cost one `docToJSON` and a structural comparison, and no write.
   */
  async resyncMerge(docs: readonly unknown[], seen: Set<string>, ahead: Set<string>): Promise<void> {
    this.assertOpen();
    const differing: unknown[] = [];
    for (const raw of docs) {
      const { id, type } = raw as { id?: unknown; type?: unknown };
      if (typeof id !== 'string' || typeof type !== 'string') {
        differing.push(raw); // docFromJSON names what is wrong with it
        continue;
      }
      seen.add(id);
      const prev = this.collections.get(type)?.states.get(id);
      if (!prev || !jsonEqual(docToJSON(prev), raw)) differing.push(raw);
    }
    const parsed = differing.map((d) => docFromJSON(d)); // validates all before touching anything
    let latest: string | undefined;
    for (const d of differing) latest = maxStamp(d, latest);
    if (latest !== undefined) this.receiveStamp(latest);
    this.batch(() => {
      for (const incoming of parsed) {
        const c = this.collection(incoming.type);
        const prev = c.states.get(incoming.id);
        if (prev && sameBytes(encodeDoc(prev), encodeDoc(incoming))) continue;
        this.mergeIn(c, incoming.id, incoming);
        this.queue.putDoc(c.name, incoming.id);
        if (!prev) continue;
        const merged = c.states.get(incoming.id) as DocState;
        const theirs = merged.v === incoming.v ? incoming : this.upgrade(incoming);
        if (!sameBytes(encodeDoc(merged), encodeDoc(theirs))) ahead.add(incoming.id);
      }
    });
    await this.queue.durable();
  }

  /**
   * SyncHost, resync past the server's history horizon: the server's states replace the local
   * ones (merging would revive what the server compacted away), with this device's queued and
   * set-aside changes re-applied on top. `ids` without a server state are dropped (or rebuilt from
   * the device's own changes only).
   */
  async resyncReplace(ids: readonly string[], docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    this.resetDocs(ids, docs);
    await this.queue.durable();
  }

  /** SyncHost: every version of every type, oldest first per type (re-defined after a restore). */
  typeChains(): TypeDef[] {
    return this.types.list().flatMap((t) => this.types.history(t.name));
  }

  /** SyncHost: the ids of every local document (a resync looks for those the server lacks). */
  docIds(): string[] {
    const out: string[] = [];
    for (const c of this.collectionList) for (const id of c.states.keys()) out.push(id);
    return out;
  }

  /** SyncHost: full states (`docToJSON`) of these local documents, to push back after a restore. */
  exportDocs(ids: readonly string[]): unknown[] {
    const out: unknown[] = [];
    for (const id of ids) {
      const name = this.collectionOf(id);
      const state = name === undefined ? undefined : this.collections.get(name)?.states.get(id);
      if (state) out.push(docToJSON(state));
    }
    return out;
  }

  async evict(ids: readonly string[]): Promise<void> {
    this.assertOpen();
    this.batch(() => {
      for (const id of ids) {
        for (const c of this.collections.values()) {
          if (!c.states.has(id)) continue;
          c.applyState(id, undefined);
          this.queue.deleteDoc(c.name, id);
        }
      }
    });
    await this.queue.durable();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.meta.get(META_SYNC + key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.assertOpen();
    this.meta.set(META_SYNC + key, value);
    this.queue.setMeta(META_SYNC + key, value);
    await this.queue.durable();
  }

  /** Waits for pending writes, then closes storage, tab channel and sync. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const f of this.onClose) await f();
    if (this.coordinator) {
      // Our forwarded writes are answered by the leader; give it a moment (it may be closing too).
      await Promise.race([
        this.coordinator.settled().catch(() => undefined),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
    }
    this.closed = true;
    await this.queue.drain();
    this.coordinator?.close();
    this.tabs?.close();
    await this.storage.close();
  }

  // ---- internals ------------------------------------------------------------------------

  private notify(): void {
    if (this.batchDepth > 0 || this.notifying) return;
    this.notifying = true;
    try {
      // Listeners may write; those writes are delivered in a following round, never nested.
      let again = true;
      while (again) {
        again = false;
        for (const c of this.collectionList) {
          if (c.live.hasPending) {
            c.live.flush();
            again = true;
          }
        }
      }
    } finally {
      this.notifying = false;
    }
  }

  private rollback(undo: Undo[]): void {
    for (const u of undo.reverse()) {
      u.collection.applyState(u.id, u.before, u.doc);
    }
    for (const id of this.undoChanges) this.outbox.drop(id);
    this.undoChanges = [];
  }

  /** Every document's current state (for an attached in-memory adapter being reopened). */
  private liveDocs(): StoredDoc[] {
    const out: StoredDoc[] = [];
    for (const c of this.collections.values())
      for (const [id, state] of c.states) out.push({ collection: c.name, id, state });
    return out;
  }

  private serialize(collection: string, id: string): unknown {
    const state = this.collections.get(collection)?.states.get(id);
    if (!state) return undefined;
    return this.storage.keepsLiveState ? state : docToJSON(state);
  }

  private announce(batch: CommitBatch): void {
    this.tabs?.post({ t: 'commit', batch, clock: this.clock.last });
  }

  /** A message from another tab: a commit, or (with leader election) a forwarded write and its answer. */
  private receiveTab(msg: TabEnvelope): void {
    if (this.closed) return;
    if (msg.t === 'commit') this.receiveCommit(msg);
    else this.coordinator?.receive(msg);
  }

  /** Another tab committed: merge its states into memory (already persisted by that tab). */
  private receiveCommit(msg: TabMessage): void {
    const { batch } = msg;
    if (msg.clock) this.receiveStamp(msg.clock);
    // Types first: a migration made in the other tab must be known before its documents merge.
    const types = batch.meta?.find(([k]) => k === META_TYPES);
    if (types) this.adoptReceived(this.types.absorb(types[1]));
    this.batch(() => {
      for (const d of batch.docs ?? []) {
        const incoming: DocState = docFromJSON(d.state);
        const c = this.collection(d.collection);
        const prev = this.mergeIn(c, d.id, incoming);
        // Two tabs may have written the same document concurrently; the last put wins in
        // IndexedDB, so store the merged state if ours adds something to theirs.
        // Canonical bytes: key order may differ between tabs (it follows each tab's columns).
        if (prev && !sameBytes(encodeDoc(c.states.get(d.id) as DocState), encodeDoc(incoming)))
          this.queue.putDoc(c.name, d.id);
      }
      for (const d of batch.deleteDocs ?? []) this.collections.get(d.collection)?.applyState(d.id, undefined);
    });
    this.outbox.mirror(batch.outboxAdd ?? [], batch.outboxRemove ?? [], batch.outboxReject ?? []);
  }

  /**
   * Moves the clock past a stamp seen in remote data. A stamp beyond the drift bound is not
   * adopted (core's rule: reject, never clamp); the data still merges, and the server is where
   * such a change should have been refused.
   */
  private receiveStamp(stamp: string): void {
    try {
      this.clock.receive(stamp);
      this.queue.setMeta(META_CLOCK, this.clock.last as string);
    } catch (e) {
      if (!(e instanceof ClockDriftError)) throw e;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DatabaseClosedError();
    if (this.queue.failed !== undefined)
      throw new DatabaseClosedError(`storage failed: ${String(this.queue.failed)}`);
  }
}

/** True if `record`'s keys are `names`, in order (no array built: this runs once per inserted document). */
function sameNames(names: readonly string[], record: Record<string, unknown>): boolean {
  let i = 0;
  for (const key in record) if (names[i++] !== key) return false;
  return i === names.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
