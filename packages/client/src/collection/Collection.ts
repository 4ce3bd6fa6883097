import type { Change, DocState, HybridLogicalClock, Intent, Superseded, TypeDef } from '@fieldsync/core';
import { conflicts, createAndApply, createDocId } from '@fieldsync/core';
import { HashIndex } from '../index/HashIndex.js';
import type { IndexSpec } from '../index/indexKey.js';
import { OrderedIndex } from '../index/OrderedIndex.js';
import type { SecondaryIndex } from '../index/planner.js';
import { LiveQuery, type LiveStart } from '../live/LiveQuery.js';
import { LiveRegistry } from '../live/LiveRegistry.js';
import { isPlainObject } from '../query/compileSelector.js';
import { ModifierError } from '../query/errors.js';
import { parseModifier } from '../query/parseModifier.js';
import type { Doc, FindOptions, Selector } from '../query/types.js';
import { Cursor } from './Cursor.js';
import { TextField } from './TextField.js';
import type { QuerySource } from './runQuery.js';
import type { WritePromise } from '../syncstate/WritePromise.js';
import { NotFoundError } from './errors.js';
import { RowStore, type RowWatcher } from './RowStore.js';
import { DocsView, StatesView } from './rowViews.js';
import type { StoredRows } from '../storage/StorageAdapter.js';

/** What a collection needs from its database: types, and recording the writes it makes. */
export interface WriteHost {
  /** This replica's id (sequence edits are attributed to it). */
  readonly replicaId: string;
  /** The collection's type; throws a `SchemaError` when none is defined (writes need one). */
  typeOf(collection: string): TypeDef;
  /** The materialized document, lazily upgraded to the newest known version of its type. */
  view(state: DocState): Record<string, unknown>;
  /** The collection's type, if one is defined (reads need not have one). */
  typeFor(collection: string): TypeDef | undefined;
  /** The state at the newest known version of its type (pure; the stored state is left as is). */
  upgrade(state: DocState): DocState;
  /**
   * A local write of `intents` to document `id` (now `prev`, upgraded) begins: the clock to stamp
   * it with, or undefined when another tab makes this tab's writes (it was validated here, and
   * forwarded). Throws once the database is closed.
   */
  beginWrite(
    collection: Collection,
    id: string,
    intents: Intent[],
    type: TypeDef,
    prev: DocState | undefined,
  ): HybridLogicalClock | undefined;
  /**
   * Records a local write before its new state is applied: for undo (`stored` is the state it
   * replaces), in the outbox, and in the next storage batch with the clock.
   */
  recordWrite(collection: Collection, id: string, stored: DocState | undefined, change: Change): void;
  /** Delivers live-query results (deferred to the end of a batch). */
  notify(): void;
  /** Resolves when everything written so far is durable. */
  durable(): Promise<void>;
  /** Writes the sequence edit `build` makes from the current state (one at a time in a follower tab). */
  writeSeq(collection: Collection, id: string, build: () => Intent[]): Promise<void>;
  /** Runs `fn` with notifications deferred to its end (one notification per query). */
  batch<T>(fn: () => T): T;
  /**
   * Inserts new documents all-or-nothing, notifying once: `records[i]` holds the field values of
   * document `ids[i]` (its `id` key, if any, is not a field).
   */
  insertNew(
    collection: Collection,
    ids: readonly string[],
    records: readonly Record<string, unknown>[],
  ): void;
  /** Like `batch`, and undoes every write of `fn` if it throws. */
  transaction(fn: () => void): Promise<void>;
  /** Makes a write (`run`: synchronously, returning its local promise) and attaches `server`. */
  track<T>(run: () => Promise<T>): WritePromise<T>;
}

/**
 * A named set of documents of one type (the collection name is the type name). Holds the CRDT
 * state of each id in a column store (`RowStore`), with read-only map views of the states and
 * of the materialized documents, the secondary indexes and the live queries; all of them are
 * updated through `applyState`, whatever the origin of the write.
 */
export class Collection implements QuerySource {
  /** CRDT state per id, deleted documents included (a plain row's state is a fresh copy per `get`). */
  readonly states: StatesView;
  /** Materialized documents that are not deleted (built on read; see `RowStore`). */
  readonly docs: DocsView;
  private readonly rows: RowStore;
  readonly indexes: SecondaryIndex[] = [];
  readonly live: LiveRegistry;
  /** While > 0, index maintenance is suspended (bulk load) and indexes are rebuilt at the end. */
  private bulkDepth = 0;
  private changes = 0;

  constructor(
    readonly name: string,
    private readonly host: WriteHost,
  ) {
    this.live = new LiveRegistry();
    this.rows = new RowStore(name, { typeFor: () => host.typeFor(name), view: (state) => host.view(state) });
    this.states = new StatesView(this.rows);
    this.docs = new DocsView(this.rows);
  }

  /**
   * Grows with every change to the documents, whatever its origin: results computed at one
   * version are what a live query would start from while it holds (see `Cursor.current`).
   */
  get version(): number {
    return this.changes;
  }

  /**
   * Inserts a document; `id` is generated if absent. Resolves once durable; `.server` once the
   * server stored it (see `WritePromise`).
   */
  insert(doc: Record<string, unknown>): WritePromise<string> {
    return this.host.track(async () => {
      const { id, intents } = this.insertIntents(doc);
      this.write(id, intents);
      await this.host.durable();
      return id;
    });
  }

  /**
   * Inserts many documents as one batch (one storage commit, one notification). Indexes are
   * rebuilt once at the end instead of being updated per document when the batch is large.
   */
  insertMany(docs: readonly Record<string, unknown>[]): WritePromise<string[]> {
    return this.host.track(async () => {
      // No intents per document: core builds each change straight from the record (same checks).
      // An id already stored, or the same id twice, is caught by insertNew as it stores each one.
      const ids = docs.map((d) => this.newId(d, false));
      this.host.insertNew(this, ids, docs);
      await this.host.durable();
      return ids;
    });
  }

  /** Applies a Mongo-style modifier (`$set $unset $inc $push $addToSet $pull`). */
  update(id: string, modifier: Record<string, unknown>): WritePromise<void> {
    return this.host.track(async () => {
      const current = this.docs.get(id);
      if (!current) throw new NotFoundError(this.name, id);
      const intents = parseModifier(modifier, this.host.typeOf(this.name).fields, current);
      this.write(id, intents);
      await this.host.durable();
    });
  }

  /** Deletes with a stamped tombstone (so a late remote update cannot resurrect it silently). */
  remove(id: string): WritePromise<void> {
    return this.host.track(async () => {
      if (!this.docs.has(id)) throw new NotFoundError(this.name, id);
      this.write(id, [{ op: 'delete' }]);
      await this.host.durable();
    });
  }

  /**
   * The local write path, synchronous: validate → change → state. Errors throw before anything
   * changed; memory, indexes and live queries are updated at once (reads are instant); the
   * change, the new state and the clock go into one storage batch (`durable()` resolves when it
   * is on disk). A document stored at an older type version is upgraded first (lazy migration):
   * the upgraded state is what this write persists. The stored state itself is never modified
   * (core's `applyChange` is pure), so a transaction's undo keeps it as it is.
   */
  write(id: string, intents: Intent[]): void {
    const host = this.host;
    const type = host.typeOf(this.name);
    const stored = this.states.get(id);
    const prev = stored && host.upgrade(stored);
    const clock = host.beginWrite(this, id, intents, type, prev);
    if (clock === undefined) return; // another tab makes it
    const { change, state } = createAndApply({ clock, type, doc: prev, docId: id, intents });
    host.recordWrite(this, id, stored, change);
    this.applyState(id, state);
    host.notify();
  }

  /** The register values of a plain row, by name (undefined if the document is absent or promoted). */
  rowValues(id: string, names: readonly string[]): unknown[] | undefined {
    return this.rows.values(id, names);
  }

  /**
   * Documents `ids` as storage takes them: plain rows by column (`RowStore.exportRows`); the
   * other ids that exist are appended to `others`, to be stored whole.
   */
  storedRows(ids: Iterable<string>, others: string[]): StoredRows[] {
    return this.rows.exportRows(ids, others);
  }

  /** QuerySource: a query candidate, built from its row without being cached. */
  peek(id: string): Doc | undefined {
    return this.rows.peekDoc(id);
  }

  findOne(idOrSelector: string | Selector): Doc | undefined {
    if (typeof idOrSelector === 'string') return this.docs.get(idOrSelector);
    return new Cursor(this, idOrSelector, { limit: 1 }).fetch()[0];
  }

  /** A cursor; the selector and options are validated now (a `QueryError` throws here). */
  find(selector?: Selector, options?: FindOptions): Cursor {
    return new Cursor(this, selector, options);
  }

  /**
   * Superseded values of a field (conflict losers kept by core), newest first; `field` is a dot
   * path (`'address.city'`). A field the type does not declare throws core's `ValidationError`
   * (rule `unknown-field`): a misspelled name must not read as "no conflicts".
   */
  conflicts(id: string, field: string): Superseded[] {
    if (typeof field !== 'string' || field === '')
      throw new ModifierError('field must be a non-empty dot path', 'field');
    const state = this.states.get(id);
    if (!state) throw new NotFoundError(this.name, id);
    return conflicts(this.host.upgrade(state), field.split('.'), this.host.typeFor(this.name));
  }

  /** The document's text field as a collaborative `Text` handle (edits go through the outbox). */
  text(id: string, field: string): TextField {
    if (!this.docs.has(id)) throw new NotFoundError(this.name, id);
    const { host } = this;
    return new TextField(
      {
        name: this.name,
        states: this.states,
        docs: this.docs,
        replicaId: host.replicaId,
        typeOf: (name) => host.typeOf(name),
        upgrade: (state) => host.upgrade(state),
        write: (docId, intents) => this.write(docId, intents),
        writeSeq: (docId, build) => host.writeSeq(this, docId, build),
        durable: () => host.durable(),
        track: (run) => host.track(run),
      },
      id,
      field,
    );
  }

  /** Creates a secondary index over the current documents; idempotent per name. */
  createIndex(
    fields: string | string[],
    options: { kind?: 'hash' | 'ordered'; name?: string } = {},
  ): SecondaryIndex {
    const list = Array.isArray(fields) ? fields : [fields];
    if (list.length === 0 || list.some((f) => typeof f !== 'string' || f === '' || f.startsWith('$'))) {
      throw new ModifierError('index fields must be non-empty field paths', 'fields');
    }
    const spec: IndexSpec = {
      fields: list,
      kind: options.kind ?? 'hash',
      ...(options.name ? { name: options.name } : {}),
    };
    const index = spec.kind === 'hash' ? new HashIndex(spec) : new OrderedIndex(spec);
    const existing = this.indexes.find((i) => i.name === index.name);
    if (existing) return existing;
    index.build(this.rows.scanDocs());
    this.indexes.push(index);
    return index;
  }

  /**
   * The single place where a document's state changes in memory: materializes it, updates the
   * indexes and feeds the live queries. Local writes, remote merges, other tabs' writes, evictions
   * and rollbacks all come through here. `materialized` lets a rollback restore the very
   * object readers held before.
   */
  applyState(id: string, next: DocState | undefined, materialized?: Doc): void {
    this.changes++;
    // Materialized documents are built on read: only when an index or a live query needs them.
    const track = this.live.size > 0 || (this.bulkDepth === 0 && this.indexes.length > 0);
    const before = track ? this.rows.doc(id) : undefined;
    if (next === undefined) this.rows.delete(id);
    else this.rows.set(id, next, materialized);
    if (!track) return;
    const after = next === undefined ? undefined : this.rows.doc(id);
    if (this.bulkDepth === 0) {
      if (before || after) for (const index of this.indexes) index.update(before, after);
    }
    if (this.live.size > 0 && (before || after)) this.live.write(id, before, after);
  }

  /**
   * Lets `watcher` see a plain row's values before they change (a bulk-insert strategy holding
   * inserts by reference to rows; see `RowStore.watch`). The write path does not take part.
   */
  watchRows(watcher: RowWatcher): void {
    this.rows.watch(watcher);
  }

  /**
   * `applyState` for a document that must not exist yet (bulk insert): returns its row, or -1,
   * and nothing changed, if it exists. Saves the lookups a replaced document needs.
   */
  insertState(id: string, state: DocState): number {
    const row = this.rows.add(id, state);
    if (row < 0) return row;
    this.changes++;
    const track = this.live.size > 0 || (this.bulkDepth === 0 && this.indexes.length > 0);
    if (!track) return row;
    const after = this.rows.doc(id);
    if (after === undefined) return row;
    if (this.bulkDepth === 0) for (const index of this.indexes) index.update(undefined, after);
    if (this.live.size > 0) this.live.write(id, undefined, after);
    return row;
  }

  /**
   * Runs `fn` with index maintenance suspended when it is large relative to the collection,
   * then rebuilds each index once (one sort instead of one splice per document).
   */
  bulk(fn: () => void, large = true): void {
    if (!large) return fn();
    this.bulkDepth++;
    try {
      fn();
    } finally {
      if (--this.bulkDepth === 0) {
        this.rows.trim();
        for (const index of this.indexes) index.build(this.rows.scanDocs());
      }
    }
  }

  /** Re-materializes every document (the type changed: defaults or declared fields differ). */
  rematerialize(): void {
    this.changes++;
    // Live queries need each document as it was (they are routed by its old values too): read
    // them all before the cached documents and the read plan of the old type are dropped.
    const before = this.live.size === 0 ? undefined : new Map<string, Doc | undefined>();
    if (before) for (const id of this.rows.liveIds()) before.set(id, this.rows.peekDoc(id));
    this.bulk(() => {
      this.rows.invalidate();
      if (before) {
        for (const [id, doc] of before) {
          const after = this.rows.doc(id);
          if (doc || after) this.live.write(id, doc, after);
        }
      }
    });
  }

  /** Registers a live query for a cursor (called by `Cursor.subscribe`), from `start` if given. */
  openLive(cursor: Cursor, start?: LiveStart): LiveQuery {
    const q = new LiveQuery(cursor.query, this, start);
    this.live.add(q);
    return q;
  }

  closeLive(q: LiveQuery): void {
    this.live.delete(q);
  }

  /** The id of a document to insert (generated if absent); throws for a bad or existing id. */
  private newId(doc: Record<string, unknown>, checkExisting = true): string {
    if (!isPlainObject(doc)) throw new ModifierError('a document must be a plain object', '');
    const id = doc.id === undefined ? createDocId() : doc.id;
    if (typeof id !== 'string') throw new ModifierError('id must be a string', 'id');
    if (checkExisting && this.states.has(id)) throw existsError(id);
    return id;
  }

  private insertIntents(doc: Record<string, unknown>): { id: string; intents: Intent[] } {
    const id = this.newId(doc);
    const intents: Intent[] = [];
    for (const key in doc) {
      if (key === 'id') continue;
      const value = doc[key];
      if (value !== undefined) intents.push({ op: 'set', path: [key], value });
    }
    return { id, intents };
  }
}

/** The error for inserting an id that is already stored. */
export function existsError(id: string): ModifierError {
  return new ModifierError(`a document with id "${id}" already exists`, 'id');
}
