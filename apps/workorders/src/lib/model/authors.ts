import type { Collection, Doc } from '@fieldsync/client';
import type { DocState, Stamp } from '@fieldsync/core';
import type { HistoryEntry } from './workOrders.js';

/**
 * Who wrote a value. A stamp names a replica (a device tab), not a person, so the app leaves a
 * trail: every status or assignee change is written in ONE change together with a history entry
 * `{ by: <user name> }` — the entry's stamp is the value's stamp. So a superseded value's writer is
 * found exactly by its stamp in the history log; failing that, by another entry of the same
 * replica (the same device tab wrote both), in this document or any other work order.
 */
export interface Author {
  /** The user id (as history entries store it), or a device description when unknown. */
  name: string;
  /** Written on this device. */
  self?: boolean;
  /** How the name was found: the very change, the same device, or unknown. */
  how: 'change' | 'device' | 'unknown';
}

type Logged = { stamp: string; value: HistoryEntry };

export function replicaOf(stamp: Stamp): string {
  return stamp.slice(15);
}

/** A device's replica id without its tab suffix (IndexedDB tabs get `<device>-<tab>`, see client.md). */
export function deviceOf(replica: string): string {
  const dash = replica.lastIndexOf('-');
  return dash > 0 ? replica.slice(0, dash) : replica;
}

function historyOf(doc: Doc | undefined): Logged[] {
  const h = (doc as { history?: unknown } | undefined)?.history;
  return Array.isArray(h) ? (h as Logged[]) : [];
}

export function authorOf(
  stamp: Stamp,
  doc: Doc | undefined,
  others: () => Iterable<Doc>,
  selfReplica: string,
  selfName: string,
): Author {
  const own = historyOf(doc);
  const exact = own.find((e) => e.stamp === stamp && e.value?.by);
  if (exact) return { name: String(exact.value.by), how: 'change' };
  const replica = replicaOf(stamp);
  if (deviceOf(replica) === deviceOf(selfReplica)) return { name: selfName, how: 'device', self: true };
  const same = (list: Logged[]): Logged | undefined =>
    list.find((e) => replicaOf(e.stamp) === replica && e.value?.by);
  const found = same(own);
  if (found) return { name: String(found.value.by), how: 'device' };
  for (const other of others()) {
    const f = same(historyOf(other));
    if (f) return { name: String(f.value.by), how: 'device' };
  }
  return { name: `device ${replica.slice(0, 8)}`, how: 'unknown' };
}

/** The stamp of the current value of a last-writer-wins register at `path` (top level or in an object field). */
export function currentStamp(state: DocState, path: readonly string[]): Stamp | undefined {
  const [first, ...rest] = path;
  if (first === undefined) return undefined;
  let node: unknown = state.fields[first];
  if (node === undefined) return first in state.r ? (state.t[first] ?? state.s) : undefined;
  for (const key of rest) {
    const o = node as { k?: string; f?: Record<string, unknown> };
    if (o?.k !== 'o' || !o.f) return undefined;
    node = o.f[key];
  }
  const reg = node as { s?: unknown } | undefined;
  return typeof reg?.s === 'string' ? reg.s : undefined;
}

/** The document's state as readers see it (upgraded to the newest type version). */
export function stateOf(c: Collection, id: string, upgrade: (s: DocState) => DocState): DocState | undefined {
  const s = c.states.get(id);
  return s ? upgrade(s) : undefined;
}
