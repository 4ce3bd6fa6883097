import type { Collection, Database } from '@fieldsync/client';
import { List, toBase64 } from '@fieldsync/core';
import type { HistoryEntry } from './workOrders.js';

/** A history entry stamped now by the signed-in user (see authors.ts for why every change leaves one). */
export function entry(by: string, text: string): HistoryEntry {
  return { at: new Date().toISOString(), by, text };
}

/**
 * Replaces item `index` of a list field by `value` through the list's sequence CRDT (a delete and
 * an insert at that position, written as one `seq` change): other items and concurrent inserts
 * elsewhere in the list are untouched.
 */
export async function replaceListItem(
  db: Database,
  c: Collection,
  id: string,
  field: string,
  index: number,
  value: unknown,
): Promise<void> {
  const state = c.states.get(id);
  if (!state) return;
  const current = db.upgrade(state).fields[field];
  const scratch =
    current instanceof List ? List.decode(current.encode(), db.replicaId) : new List(db.replicaId);
  const since = scratch.version;
  scratch.delete(index, 1);
  scratch.insert(index, value);
  db.write(c, id, [{ op: 'seq', path: [field], update: toBase64(scratch.encodeSince(since)) }]);
  await db.durable();
}

/** Removes item `index` of a list field (by position, so equal items elsewhere stay). */
export async function removeListItem(
  db: Database,
  c: Collection,
  id: string,
  field: string,
  index: number,
): Promise<void> {
  const state = c.states.get(id);
  if (!state) return;
  const current = db.upgrade(state).fields[field];
  if (!(current instanceof List)) return;
  const scratch = List.decode(current.encode(), db.replicaId);
  const since = scratch.version;
  scratch.delete(index, 1);
  db.write(c, id, [{ op: 'seq', path: [field], update: toBase64(scratch.encodeSince(since)) }]);
  await db.durable();
}
