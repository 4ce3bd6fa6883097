import type { DocState, TypeDef } from '@fieldsync/core';
import { emptyDoc, isDeleted } from '@fieldsync/core';
import type { Doc } from '../query/types.js';
import { DocCache } from './DocCache.js';
import { isPlainState, rowStamps, type RowStamps } from './plainRow.js';
import { readPlanFor } from './readPlan.js';
import { exportRows } from './rowExport.js';
import type { StoredRows } from '../storage/StorageAdapter.js';
import { compileRowCodec, type ReadPlan, type RowCodec } from './rowReader.js';

/** What a row store needs from its collection to show documents as readers see them. */
export interface RowHost {
  /** The collection's newest type definition, if one is defined. */
  typeFor(): TypeDef | undefined;
  /** The materialized document (lazily upgraded to the newest known version of its type). */
  view(state: DocState): Record<string, unknown>;
}

/** Sees a plain row before it changes (see `RowStore.watch`). */
export interface RowWatcher {
  /** False while the watcher holds nothing: the store then skips its lookups. */
  readonly active: boolean;
  /** Row `row` of document `id` — plain, every register at `stamp` — is about to change or go. */
  beforeChange(id: string, stamp: string, row: number): void;
}

/** Materialized plain documents kept for reuse: two generations of up to this many each. */
const CACHE_SIZE = 8192;

/**
 * The documents of one collection, stored as rows of one table so that 100,000 of them stay
 * small. A document whose state is only plain last-writer-wins registers — what an insert, a
 * bulk load and later field updates produce — is a *plain row*: its values sit side by side in
 * one shared array (`cells`, one column per field name), its stamp in another (the few
 * registers written at another stamp in a sparse map), and it has no object of its own. Side by
 * side rather than one array per field: reading a document then touches one or two cache lines
 * instead of one per field, which is what a query building its results pays. Any other state (a
 * register with superseded values after a concurrent write, an unset register, text, lists,
 * sets, logs, counters, hidden migration data, a tombstone) is *promoted*: its `DocState` is
 * kept as is.
 *
 * `states.get(id)` of a plain row builds a fresh `DocState` (callers may mutate it; the row
 * changes only through `set`), so a write never changes the columns behind a reader's back.
 * Materialized documents of plain rows are built on read. Those read by id (and written) are
 * frozen and a bounded number cached (the same object is returned while cached; a live query
 * keeps its own, frozen, until the document changes); a query's candidates are built fresh for
 * the caller and not cached. Promoted documents keep their materialized document (built once per
 * state: a state is never modified, a write replaces it).
 */
export class RowStore {
  private readonly rowOf = new Map<string, number>();
  private readonly ids: Array<string | undefined> = [];
  private readonly stamps: string[] = [];
  /**
   * Type version per row, created only once rows differ: until then every row has `version`
   * (one number instead of 100,000, and one memory access less per read).
   */
  private versions: number[] | undefined;
  private version = 0;
  /** Field names of the columns, in order of first appearance. */
  private readonly names: string[] = [];
  private readonly columnOf = new Map<string, number>();
  /** Row-major values: cell `row * names.length + column` (undefined = no such register). */
  private cells: unknown[] = [];
  private readonly promoted = new Map<number, DocState>();
  /**
   * Plain rows with registers written after the rest (an updated document): the registers'
   * own stamps (`DocState.t`) and the stamps their writers had seen (`DocState.x`, `p` only).
   * Sparse: most rows have none.
   */
  private readonly restamped = new Map<number, RowStamps>();
  /** Columns of a list of field names (`values`; the outbox asks with the same few lists). */
  private readonly columnsOf = new WeakMap<readonly string[], number[]>();
  /** Materialized documents of promoted rows that are not deleted. */
  private readonly pinned = new Map<string, Doc>();
  /** Recently read documents of plain rows. */
  private readonly cache = new DocCache(CACHE_SIZE);
  private readonly free: number[] = [];
  private deletedCount = 0;
  /** Per type object: the column of each declared field and its default, for direct reads. */
  private plan: ReadPlan | undefined;
  /** Moves plain rows between their cells and states (remade when a column is added). */
  private codecFor: RowCodec | undefined;
  private watcher: RowWatcher | undefined;

  constructor(
    private readonly typeName: string,
    private readonly host: RowHost,
  ) {}

  /** Number of documents, deleted ones included. */
  get size(): number {
    return this.rowOf.size;
  }

  /** Number of documents that are not deleted. */
  get liveSize(): number {
    return this.rowOf.size - this.deletedCount;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Every id, deleted documents included. */
  allIds(): IterableIterator<string> {
    return this.rowOf.keys();
  }

  /**
   * Lets `watcher` see the values of a plain row unchanged since it was written at one stamp
   * before they are overwritten or deleted: what holding a bulk insert by reference to its row
   * needs (`BulkInsert`'s by-reference strategy), and nothing else does.
   */
  watch(watcher: RowWatcher): void {
    this.watcher = watcher;
  }

  /** The state of `id`: the promoted object itself, or a fresh copy of a plain row. */
  state(id: string): DocState | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined) return undefined;
    return this.promoted.get(row) ?? this.build(row);
  }

  /** The materialized document of `id`, or undefined if absent or deleted. */
  doc(id: string): Doc | undefined {
    const cached = this.cache.get(id) ?? (this.pinned.size > 0 ? this.pinned.get(id) : undefined);
    if (cached !== undefined) return cached;
    const row = this.rowOf.get(id);
    if (row === undefined || (this.promoted.size > 0 && this.promoted.has(row))) return undefined;
    const doc = Object.freeze(this.materializeRow(row, id));
    this.cache.set(id, doc);
    return doc;
  }

  /**
   * Like `doc`, without caching a document built for it: what a query uses for its candidates,
   * so scanning many documents neither pays for the cache nor pushes out what was read by id.
   * A document built here belongs to the caller alone and is not frozen (`Object.freeze` costs
   * more than building it); every document shared between readers is.
   */
  peekDoc(id: string): Doc | undefined {
    const cached = this.cache.peek(id);
    if (cached !== undefined) return cached;
    if (this.pinned.size > 0) {
      const pinned = this.pinned.get(id);
      if (pinned !== undefined) return pinned;
    }
    const row = this.rowOf.get(id);
    if (row === undefined || (this.promoted.size > 0 && this.promoted.has(row))) return undefined;
    return this.materializeRow(row, id);
  }

  /**
   * The documents `ids` as storage takes them: plain rows at one stamp by column, read from the
   * cells without building a state (see `exportRows`); other existing ids go to `others`.
   */
  exportRows(ids: Iterable<string>, others: string[]): StoredRows[] {
    const { typeName, rowOf, stamps, names, cells, promoted, restamped, version, versions } = this;
    const table = { typeName, rowOf, stamps, names, cells, promoted, restamped, version, versions };
    return exportRows(table, ids, others);
  }

  /** The values of registers `names` of a plain row (undefined for an absent or promoted document). */
  values(id: string, names: readonly string[]): unknown[] | undefined {
    const row = this.rowOf.get(id);
    if (row === undefined || (this.promoted.size > 0 && this.promoted.has(row))) return undefined;
    let cols = this.columnsOf.get(names);
    if (cols === undefined) {
      cols = names.map((name) => this.columnOf.get(name) ?? -1);
      // A column, once made, keeps its place: the mapping can be kept once every name has one.
      if (!cols.includes(-1)) this.columnsOf.set(names, cols);
    }
    const base = row * this.names.length;
    const out: unknown[] = new Array<unknown>(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const j = cols[i] as number;
      out[i] = j < 0 ? undefined : this.cells[base + j];
    }
    return out;
  }

  /**
   * Tells the watcher a plain row whose registers all have the row's stamp (a document unchanged
   * since it was written at once, as far as its row shows) is about to change.
   */
  private beforeChange(id: string, row: number): void {
    if (this.promoted.size > 0 && this.promoted.has(row)) return;
    if (this.restamped.size > 0 && this.restamped.has(row)) return;
    this.watcher?.beforeChange(id, this.stamps[row] as string, row);
  }

  /** True if `id` exists and is not deleted. */
  hasDoc(id: string): boolean {
    const row = this.rowOf.get(id);
    return row !== undefined && (!this.promoted.has(row) || this.pinned.has(id));
  }

  /** Every materialized document (not cached: a full pass must not evict the useful entries; built ones not frozen, as in `peekDoc`). */
  *allDocs(): IterableIterator<Doc> {
    for (const [id, row] of this.rowOf) {
      const doc =
        this.cache.peek(id) ??
        this.pinned.get(id) ??
        (this.promoted.has(row) ? undefined : this.materializeRow(row, id));
      if (doc !== undefined) yield doc;
    }
  }

  /**
   * Every document that is not deleted, for building an index: plain rows at the type's version
   * are shown through one reused object whose fields are overwritten for each row (index
   * builders read a document's keys and id and keep neither the object nor its identity), so a
   * full pass over 100,000 rows allocates no document.
   */
  *scanDocs(): IterableIterator<Doc> {
    const plan = this.readPlan();
    const view: Record<string, unknown> | undefined = plan && { id: '' };
    if (view && plan) for (const key of plan.keys) view[key] = undefined;
    for (const [id, row] of this.rowOf) {
      if (!view || !plan || this.versionOf(row) !== plan.version || this.promoted.has(row)) {
        const doc = this.peekDoc(id);
        if (doc !== undefined) yield doc;
        continue;
      }
      view.id = id;
      plan.fill(view, this.cells, row * this.names.length);
      yield view as Doc;
    }
  }

  *liveIds(): IterableIterator<string> {
    if (this.deletedCount === 0) return yield* this.rowOf.keys();
    for (const [id, row] of this.rowOf) if (!this.promoted.has(row) || this.pinned.has(id)) yield id;
  }

  /**
   * Stores `state` as the document `id` (a plain row when it can be one). The state is handed
   * over: a promoted one is kept, and a plain row keeps its stamp records, so the caller must
   * not change it afterwards. `materialized`, when given, is the object readers get for it (a
   * rollback restores the one they held before).
   */
  set(id: string, state: DocState, materialized?: Doc): void {
    const row = this.rowOf.get(id);
    if (row === undefined) this.add(id, state);
    else {
      if (this.watcher?.active) this.beforeChange(id, row);
      this.forget(id, row);
      this.write(row, id, state, materialized);
    }
  }

  /** Stores a new document and returns its row; -1 (and nothing changed) if `id` already exists. */
  add(id: string, state: DocState): number {
    // One map operation, not a lookup then an insert: a bulk load adds 100,000 new ids.
    const size = this.rowOf.size;
    const row = this.free.length > 0 ? (this.free[this.free.length - 1] as number) : this.ids.length;
    this.rowOf.set(id, row);
    if (this.rowOf.size === size) {
      this.rowOf.set(id, this.ids.indexOf(id)); // it existed: restore its row (error path only)
      return -1;
    }
    if (this.free.length > 0) this.free.pop();
    this.ids[row] = id;
    this.write(row, id, state, undefined);
    return row;
  }

  private write(row: number, id: string, state: DocState, materialized: Doc | undefined): void {
    this.stamps[row] = state.s;
    this.setVersion(row, state.v);
    if (isPlainState(state, this.typeName)) {
      const r = state.r;
      const known = this.codec().write(r, this.cells, row * this.names.length);
      let defined = 0;
      for (const name in r) if (r[name] !== undefined) defined++;
      if (defined > known) {
        for (const name in r) if (r[name] !== undefined && !this.columnOf.has(name)) this.addColumn(name);
        this.codec().write(r, this.cells, row * this.names.length);
      }
      const stamps = rowStamps(state);
      if (stamps !== undefined) this.restamped.set(row, stamps);
      else if (this.restamped.size > 0) this.restamped.delete(row);
      if (materialized !== undefined) this.cache.set(id, materialized);
      return;
    }
    this.clearRow(row);
    this.promoted.set(row, state);
    if (isDeleted(state)) this.deletedCount++;
    else this.pinned.set(id, materialized ?? (Object.freeze(this.host.view(state)) as Doc));
  }

  delete(id: string): void {
    const row = this.rowOf.get(id);
    if (row === undefined) return;
    if (this.watcher?.active) this.beforeChange(id, row);
    this.forget(id, row);
    this.clearRow(row);
    this.rowOf.delete(id);
    this.ids[row] = undefined;
    this.stamps[row] = '';
    this.free.push(row);
  }

  /**
   * Gives back the spare capacity the cells array grew with (after a bulk load: an array grown
   * one row at a time keeps up to half as many slots again; an exact copy is a few ms).
   */
  trim(): void {
    this.cells = this.cells.slice();
  }

  /** Drops every materialized document (the type changed); promoted ones are rebuilt. */
  invalidate(): void {
    this.cache.clear();
    this.plan = undefined;
    for (const id of this.pinned.keys()) {
      const row = this.rowOf.get(id) as number;
      const state = this.promoted.get(row) as DocState;
      this.pinned.set(id, Object.freeze(this.host.view(state)) as Doc);
    }
  }

  /** Clears what row `row` holds besides its columns and stamp (before it is rewritten). */
  private forget(id: string, row: number): void {
    this.cache.delete(id);
    const promoted = this.promoted.get(row);
    if (promoted === undefined) return;
    this.promoted.delete(row);
    if (!this.pinned.delete(id)) this.deletedCount--;
  }

  /** Empties a row's cells (assigning, not `fill`, which would not extend the array for a new row). */
  private clearRow(row: number): void {
    if (this.restamped.size > 0) this.restamped.delete(row);
    const n = this.names.length;
    const cells = this.cells;
    for (let i = row * n, end = i + n; i < end; i++) cells[i] = undefined;
  }

  /** Adds a column: every row gets one more cell (rare: a field no document had before). */
  private addColumn(name: string): void {
    const n = this.names.length;
    const rows = this.ids.length;
    const next: unknown[] = new Array<unknown>(rows * (n + 1)).fill(undefined);
    const old = this.cells;
    for (let row = 0; row < rows; row++)
      for (let j = 0; j < n; j++) next[row * (n + 1) + j] = old[row * n + j];
    this.columnOf.set(name, n);
    this.names.push(name);
    this.cells = next;
  }

  /** The row codec of the current columns. */
  private codec(): RowCodec {
    let codec = this.codecFor;
    if (codec === undefined || codec.columns !== this.names.length)
      this.codecFor = codec = compileRowCodec([...this.names]);
    return codec;
  }

  /** A fresh `DocState` of a plain row. */
  private build(row: number): DocState {
    const doc = emptyDoc(this.ids[row] as string, this.typeName, this.versionOf(row));
    doc.s = this.stamps[row] as string;
    const r = this.codec().registers(this.cells, row * this.names.length);
    if (r !== undefined) doc.r = r;
    const stamps = this.restamped.get(row);
    // Copies: a caller may change the state it gets (see `state`); the row must not follow.
    if (stamps?.t !== undefined) doc.t = { ...stamps.t };
    if (stamps?.x !== undefined) doc.x = { ...stamps.x };
    return doc;
  }

  private versionOf(row: number): number {
    return this.versions === undefined ? this.version : (this.versions[row] as number);
  }

  private setVersion(row: number, v: number): void {
    if (this.versions !== undefined) this.versions[row] = v;
    else if (this.rowOf.size === 1) this.version = v;
    else if (v !== this.version) {
      this.versions = new Array<number>(this.ids.length).fill(this.version);
      this.versions[row] = v;
    }
  }

  /** The read plan of the current type (undefined while the collection has no type). */
  private readPlan(): ReadPlan | undefined {
    let plan = this.plan;
    if (plan === undefined || plan.columns !== this.names.length) {
      const type = this.host.typeFor();
      if (type === undefined) return undefined;
      this.plan = plan = readPlanFor(type, this.columnOf, this.names.length);
    }
    return plan;
  }

  /**
   * What `materialize(state, type)` gives for a plain row, read straight from the columns. The
   * plan (column and default of each declared field) is kept until the type changes, which
   * always goes through `invalidate`.
   */
  private materializeRow(row: number, id: string): Doc {
    const plan = this.readPlan();
    if (plan === undefined || this.versionOf(row) !== plan.version)
      return this.host.view(this.build(row)) as Doc;
    return plan.read(id, this.cells, row * this.names.length) as Doc;
  }
}
