import { decodeRowInserts, decodeRows, encodeRows, InsertRows } from './rowCodec.js';
import type { CommitBatch, StoredChange, StoredDoc, StoredRows } from './StorageAdapter.js';
import { rowsToDocs } from './storedRows.js';

/**
 * A commit batch as one JSON string, with the common shapes stored by column:
 *
 * - a document whose every field is a plain register written at one stamp (`{ v, s }`, no
 *   history, no tombstone: a bulk insert, a synced document nobody edited concurrently) is
 *   `id, stamp, value…` in its group's flat row array; the group names its collection, type,
 *   version and field names once;
 * - a pending insert change (`ops` are `{ v }` per field, `th` set) is `id, doc, value…` in its
 *   group's flat array (`stamp` = `id`); when the same batch holds its document as a plain row
 *   still at the insert's stamp (a bulk insert: document and change are written together), only
 *   `id, doc` — the values are the document's, since one stamp is one write;
 * - a batch's `rows` (documents already by column) as they come, and their pending inserts as
 *   row numbers (`rowCodec.ts`);
 * - anything else is stored whole (the same JSON the SQLite adapter stores).
 *
 * Structured clone of 100,000 states costs one object graph of ~1.2 million objects; this string
 * is cloned (IndexedDB, BroadcastChannel) as one block. Stored forms are JSON, as they already had
 * to be for SQLite; decoding rebuilds exactly what was encoded (tested in batchCodec.test.ts).
 */
interface EncodedBatch {
  /** Format version: 2 when the record holds `R` or `I` (a decoder from before them refuses it). */
  f: 1 | 2;
  /** Plain documents: [collection, type, v, names, ...(id, stamp, ...values)]. */
  d?: unknown[][];
  /** Other documents: [collection, id, state]. */
  D?: unknown[][];
  /** Deleted documents: [collection, id]. */
  x?: string[][];
  /** Plain inserts: [type, v, th, names, ...(id, doc, ...values)]. */
  o?: unknown[][];
  /** Plain inserts whose values are their document's in `d`: [type, v, th, names, ...(id, doc)]. */
  i?: unknown[][];
  /** Documents by column: [collection, type, v, names, ids, stamps, values] (`rowCodec.ts`). */
  R?: unknown[][];
  /** Plain inserts of rows of `R` at their stamp: [group, th, ...rows] (`rowCodec.ts`). */
  I?: unknown[][];
  /** Other changes: [id, change, rejected?]. */
  O?: unknown[][];
  /** Removed outbox ids. */
  r?: string[];
  /** Rejected outbox changes: [id, reason]. */
  j?: string[][];
  m?: Array<[string, string]>;
}

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field names and shared stamp of a docToJSON state made of plain registers only, else undefined. */
function plainDoc(state: Json): { names: string[]; stamp: string } | undefined {
  if (state['deleted'] !== undefined || typeof state['type'] !== 'string') return undefined;
  const fields = state['fields'];
  if (!isRecord(fields)) return undefined;
  const names: string[] = [];
  let stamp: string | undefined;
  for (const name in fields) {
    const reg = fields[name];
    if (!isRecord(reg) || reg['v'] === undefined || typeof reg['s'] !== 'string') return undefined;
    let keys = 0;
    for (const _ in reg) keys++;
    if (keys !== 2) return undefined;
    if (stamp === undefined) stamp = reg['s'];
    else if (reg['s'] !== stamp) return undefined;
    names.push(name);
  }
  return stamp === undefined ? undefined : { names, stamp };
}

/** Field names of a change that is a plain insert (see above), else undefined. */
function plainInsert(id: string, change: Json): string[] | undefined {
  if (change['id'] !== id || change['stamp'] !== id || typeof change['doc'] !== 'string') return undefined;
  if (typeof change['type'] !== 'string' || typeof change['th'] !== 'string') return undefined;
  let keys = 0;
  for (const _ in change) keys++;
  if (keys !== 7) return undefined; // id, doc, type, v, stamp, ops, th
  const ops = change['ops'];
  if (!isRecord(ops)) return undefined;
  const names: string[] = [];
  for (const name in ops) {
    const op = ops[name];
    if (!isRecord(op) || op['v'] === undefined) return undefined;
    let n = 0;
    for (const _ in op) n++;
    if (n !== 1) return undefined;
    names.push(name);
  }
  return names.length > 0 ? names : undefined;
}

function group(groups: Map<string, unknown[]>, key: string, head: () => unknown[]): unknown[] {
  let g = groups.get(key);
  if (g === undefined) groups.set(key, (g = head()));
  return g;
}

/** Batches encoded already: storage and the tab channel encode the same batch object once. */
const encoded = new WeakMap<CommitBatch, string>();

export function encodeBatch(batch: CommitBatch): string {
  let text = encoded.get(batch);
  if (text === undefined) encoded.set(batch, (text = encodeUncached(batch)));
  return text;
}

function encodeUncached(batch: CommitBatch): string {
  const out: EncodedBatch = { f: 1 };
  /** Plain documents of this batch: id → their group key and stamp (see `i`). */
  const plainDocs = new Map<string, { key: string; stamp: string }>();
  if (batch.docs?.length) {
    const groups = new Map<string, unknown[]>();
    const other: unknown[][] = [];
    for (const d of batch.docs) {
      const state = d.state as Json;
      const plain = isRecord(state) && state['id'] === d.id ? plainDoc(state) : undefined;
      if (plain === undefined) {
        other.push([d.collection, d.id, d.state]);
        continue;
      }
      const { names, stamp } = plain;
      const shape = `${String(state['type'])}\u0000${String(state['v'])}\u0000${names.join('\u0000')}`;
      const g = group(groups, `${d.collection}\u0000${shape}`, () => [
        d.collection,
        state['type'],
        state['v'],
        names,
      ]);
      plainDocs.set(d.id, { key: shape, stamp });
      const fields = state['fields'] as Record<string, Json>;
      g.push(d.id, stamp);
      for (const name of names) g.push((fields[name] as Json)['v']);
    }
    if (groups.size) out.d = [...groups.values()];
    if (other.length) out.D = other;
  }
  const rows = batch.rows?.length ? batch.rows : undefined;
  if (rows) out.R = encodeRows(rows);
  if (batch.deleteDocs?.length) out.x = batch.deleteDocs.map((d) => [d.collection, d.id]);
  if (batch.outboxAdd?.length) {
    const rowInserts = rows && new InsertRows(rows);
    const groups = new Map<string, unknown[]>();
    const byRef = new Map<string, unknown[]>();
    const other: unknown[][] = [];
    for (const c of batch.outboxAdd) {
      if (rowInserts?.take(c)) continue;
      const change = c.change as Json;
      const names = c.rejected === undefined && isRecord(change) ? plainInsert(c.id, change) : undefined;
      if (names === undefined) {
        other.push(c.rejected === undefined ? [c.id, c.change] : [c.id, c.change, c.rejected]);
        continue;
      }
      const shape = `${String(change['type'])}\u0000${String(change['v'])}\u0000${names.join('\u0000')}`;
      const head = () => [change['type'], change['v'], change['th'], names];
      const doc = plainDocs.get(change['doc'] as string);
      if (doc !== undefined && doc.stamp === c.id && doc.key === shape) {
        group(byRef, `${shape}\u0000${String(change['th'])}`, head).push(c.id, change['doc']);
        continue;
      }
      const ops = change['ops'] as Record<string, Json>;
      const g = group(groups, `${shape}\u0000${String(change['th'])}`, head);
      g.push(c.id, change['doc']);
      for (const name of names) g.push((ops[name] as Json)['v']);
    }
    if (groups.size) out.o = [...groups.values()];
    if (byRef.size) out.i = [...byRef.values()];
    if (other.length) out.O = other;
    if (rowInserts?.out.length) out.I = rowInserts.out;
  }
  if (batch.outboxRemove?.length) out.r = batch.outboxRemove;
  if (batch.outboxReject?.length) out.j = batch.outboxReject.map((r) => [r.id, r.reason]);
  if (batch.meta?.length) out.m = batch.meta;
  if (out.R || out.I) out.f = 2;
  return JSON.stringify(out);
}

/** The batch `encodeBatch` encoded. Throws on anything else (a damaged or foreign record). */
export function decodeBatch(text: string): CommitBatch {
  const e = JSON.parse(text) as EncodedBatch;
  if (!isRecord(e) || (e.f !== 1 && e.f !== 2)) throw new Error('storage: unknown commit record format');
  const batch: CommitBatch = {};
  /** Where each plain document's values start in its group (for inserts stored by reference). */
  const valuesOf = new Map<string, { g: unknown[]; at: number }>();
  const rows: StoredRows[] = e.R ? decodeRows(e.R) : [];
  if (e.d || e.D || e.R) {
    const docs: StoredDoc[] = [];
    for (const g of e.d ?? []) {
      const [collection, type, v, names] = g as [string, string, number, string[]];
      const width = 2 + names.length;
      for (let i = 4; i < g.length; i += width) {
        const id = g[i] as string;
        if (e.i) valuesOf.set(id, { g, at: i + 2 });
        const s = g[i + 1];
        const fields: Json = {};
        for (let k = 0; k < names.length; k++) fields[names[k] as string] = { v: g[i + 2 + k], s };
        docs.push({ collection, id, state: { id, type, v, fields } });
      }
    }
    for (const [collection, id, state] of e.D ?? [])
      docs.push({ collection: collection as string, id: id as string, state });
    rowsToDocs(rows, docs);
    batch.docs = docs;
  }
  if (e.x)
    batch.deleteDocs = e.x.map(([collection, id]) => ({
      collection: collection as string,
      id: id as string,
    }));
  if (e.o || e.O || e.i || e.I) {
    const add: StoredChange[] = [];
    if (e.I) decodeRowInserts(e.I, rows, add);
    for (const g of e.i ?? []) {
      const [type, v, th, names] = g as [string, number, string, string[]];
      for (let i = 4; i < g.length; i += 2) {
        const id = g[i] as string;
        const doc = g[i + 1] as string;
        const at = valuesOf.get(doc);
        if (at === undefined) throw new Error('storage: commit record refers to a document it lacks');
        const ops: Json = {};
        // A copy of an object value: the document and the change must not share one.
        for (let k = 0; k < names.length; k++) {
          const value = at.g[at.at + k];
          ops[names[k] as string] = { v: typeof value === 'object' ? structuredClone(value) : value };
        }
        add.push({ id, change: { id, doc, type, v, stamp: id, ops, th } });
      }
    }
    for (const g of e.o ?? []) {
      const [type, v, th, names] = g as [string, number, string, string[]];
      const width = 2 + names.length;
      for (let i = 4; i < g.length; i += width) {
        const id = g[i] as string;
        const ops: Json = {};
        for (let k = 0; k < names.length; k++) ops[names[k] as string] = { v: g[i + 2 + k] };
        add.push({ id, change: { id, doc: g[i + 1], type, v, stamp: id, ops, th } });
      }
    }
    for (const [id, change, rejected] of e.O ?? [])
      add.push(
        rejected === undefined
          ? { id: id as string, change }
          : { id: id as string, change, rejected: rejected as string },
      );
    // Grouping changed the order; a batch's changes were queued in id order (the outbox's).
    batch.outboxAdd = add.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  if (e.r) batch.outboxRemove = e.r;
  if (e.j) batch.outboxReject = e.j.map(([id, reason]) => ({ id: id as string, reason: reason as string }));
  if (e.m) batch.meta = e.m;
  return batch;
}
