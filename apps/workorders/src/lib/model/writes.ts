import type { Collection, Database } from '@fieldsync/client';
import { List, toBase64, type Intent } from '@fieldsync/core';
import type { HistoryEntry } from './workOrders.js';

/** A history entry stamped now by the signed-in user (see authors.ts for why status changes leave one). */
export function entry(by: string, text: string): HistoryEntry {
  return { at: new Date().toISOString(), by, text };
}

/**
 * A sequence edit of a list field, built from the field's current state each time it is asked
 * (`db.writeSeq` rebuilds it when a follower tab's copy was stale), so positions always refer
 * to the list the edit is applied to.
 */
function listEdit(
  db: Database,
  c: Collection,
  id: string,
  field: string,
  edit: (l: List) => void,
): () => Intent[] {
  return () => {
    const state = c.states.get(id);
    const current = state ? db.upgrade(state).fields[field] : undefined;
    const scratch =
      current instanceof List ? List.decode(current.encode(), db.replicaId) : new List(db.replicaId);
    const since = scratch.version;
    edit(scratch);
    return [{ op: 'seq', path: [field], update: toBase64(scratch.encodeSince(since)) }];
  };
}

/**
 * Replaces item `index` of a list field by `value` (a delete and an insert at that position in one
 * change): other items and concurrent inserts elsewhere in the list are untouched.
 */
export function replaceListItem(
  db: Database,
  c: Collection,
  id: string,
  field: string,
  index: number,
  value: unknown,
): Promise<void> {
  return db.writeSeq(
    c,
    id,
    listEdit(db, c, id, field, (l) => {
      l.delete(index, 1);
      l.insert(index, value);
    }),
  );
}

/** Removes item `index` of a list field (by position, so equal items elsewhere stay). */
export function removeListItem(
  db: Database,
  c: Collection,
  id: string,
  field: string,
  index: number,
): Promise<void> {
  return db.writeSeq(
    c,
    id,
    listEdit(db, c, id, field, (l) => l.delete(index, 1)),
  );
}
