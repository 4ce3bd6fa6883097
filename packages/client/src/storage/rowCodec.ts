import type { StoredChange, StoredRows } from './StorageAdapter.js';

/**
 * The by-column parts of an encoded commit record (`batchCodec`): a batch's `rows` are stored as
 * they come, each `StoredRows` one array `[collection, type, v, names, ids, stamps, values]`
 * (`R`), so encoding them is one `JSON.stringify` with no work per document; and the pending
 * inserts of those rows, still at their insert's stamp, are stored as the row's number alone
 * (`I`: `[group in R, th, ...rows]`): the change's id and stamp are the row's stamp, its document
 * the row's id, its values the row's, since one stamp is one write.
 */
export type EncodedRows = unknown[];

/** `rows` as stored (`R`). */
export function encodeRows(rows: readonly StoredRows[]): EncodedRows[] {
  return rows.map((r) => [r.collection, r.type, r.v, r.names, r.ids, r.stamps, r.values]);
}

/**
 * Finds the row of an insert change among a batch's rows. A bulk insert queues its documents
 * and changes in the same order, so the row after the last one found is tried first.
 */
export class InsertRows {
  private lastGroup = 0;
  private lastRow = -1;
  private byId: Map<string, number> | undefined;
  /** Per group: th → the `I` entry of that group and th. */
  private readonly entries = new Map<string, unknown[]>();
  readonly out: unknown[][] = [];

  constructor(private readonly rows: readonly StoredRows[]) {}

  /**
   * Takes change `c` as an insert by reference to its row if it is one: a pending plain insert
   * (`ops` only `{ v }` per field, in the row's field order) of a row still at its stamp.
   */
  take(c: StoredChange): boolean {
    if (c.rejected !== undefined) return false;
    const change = c.change as Record<string, unknown>;
    if (typeof change !== 'object' || change === null) return false;
    const id = c.id;
    const doc = change['doc'];
    const th = change['th'];
    if (change['id'] !== id || change['stamp'] !== id || typeof doc !== 'string' || typeof th !== 'string')
      return false;
    const at = this.find(doc);
    if (at < 0) return false;
    const g = this.rows[this.lastGroup] as StoredRows;
    if (g.stamps[at] !== id || change['type'] !== g.type || change['v'] !== g.v) return false;
    let keys = 0;
    for (const _ in change) keys++;
    if (keys !== 7 || !insertOps(change['ops'], g.names)) return false; // id, doc, type, v, stamp, ops, th
    const key = `${this.lastGroup}\u0000${th}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = [this.lastGroup, th];
      this.entries.set(key, entry);
      this.out.push(entry);
    }
    entry.push(at);
    return true;
  }

  /** The row of document `doc` (its group in `lastGroup`), or -1. */
  private find(doc: string): number {
    const next = this.rows[this.lastGroup];
    if (next !== undefined && next.ids[this.lastRow + 1] === doc) return ++this.lastRow;
    if (this.byId === undefined) {
      // Group and row packed in one number: no object per document.
      this.byId = new Map();
      for (let g = 0; g < this.rows.length; g++) {
        const ids = (this.rows[g] as StoredRows).ids;
        for (let r = 0; r < ids.length; r++) this.byId.set(ids[r] as string, r * this.rows.length + g);
      }
    }
    const packed = this.byId.get(doc);
    if (packed === undefined) return -1;
    this.lastGroup = packed % this.rows.length;
    this.lastRow = (packed - this.lastGroup) / this.rows.length;
    return this.lastRow;
  }
}

/** True if `ops` is `{ [names[k]]: { v } }`, in that order. */
function insertOps(ops: unknown, names: readonly string[]): boolean {
  if (typeof ops !== 'object' || ops === null) return false;
  let k = 0;
  for (const name in ops) {
    if (names[k++] !== name) return false;
    const op = (ops as Record<string, unknown>)[name];
    if (typeof op !== 'object' || op === null || (op as { v?: unknown }).v === undefined) return false;
    let n = 0;
    for (const _ in op) n++;
    if (n !== 1) return false;
  }
  return k === names.length;
}

/** The rows of `R`, checked for shape (a damaged record throws). */
export function decodeRows(encoded: readonly unknown[][]): StoredRows[] {
  return encoded.map((e) => {
    const [collection, type, v, names, ids, stamps, values] = e as [
      string,
      string,
      number,
      string[],
      string[],
      string[],
      unknown[],
    ];
    if (
      !Array.isArray(names) ||
      !Array.isArray(ids) ||
      !Array.isArray(stamps) ||
      !Array.isArray(values) ||
      stamps.length !== ids.length ||
      values.length !== ids.length * names.length
    )
      throw new Error('storage: damaged commit record (rows)');
    return { collection, type, v, names, ids, stamps, values };
  });
}

/** The insert changes of `I`, appended to `add`. */
export function decodeRowInserts(
  encoded: readonly unknown[][],
  rows: readonly StoredRows[],
  add: StoredChange[],
): void {
  for (const e of encoded) {
    const g = rows[e[0] as number];
    const th = e[1] as string;
    if (g === undefined) throw new Error('storage: commit record refers to rows it lacks');
    const { type, v, names, ids, stamps, values } = g;
    const width = names.length;
    for (let i = 2; i < e.length; i++) {
      const row = e[i] as number;
      const id = stamps[row];
      if (id === undefined) throw new Error('storage: commit record refers to a row it lacks');
      const ops: Record<string, unknown> = {};
      // A copy of an object value: the document and the change must not share one.
      for (let k = 0, at = row * width; k < width; k++, at++) {
        const value = values[at];
        ops[names[k] as string] = { v: typeof value === 'object' ? structuredClone(value) : value };
      }
      add.push({ id, change: { id, doc: ids[row], type, v, stamp: id, ops, th } });
    }
  }
}
