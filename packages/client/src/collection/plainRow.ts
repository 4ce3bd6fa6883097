import type { DocState } from '@fieldsync/core';

/**
 * Plain: registers only, without superseded values, tombstone or unset value, of type
 * `typeName` — a state a row of that collection stores in its cells (registers at their own
 * stamps, and the stamps their writers had seen, included).
 */
export function isPlainState(state: DocState, typeName: string): boolean {
  if (state.deleted !== undefined || state.type !== typeName) return false;
  for (const k in state.fields) if (state.fields[k] !== undefined) return false;
  for (const k in state.x) if (state.x[k]?.h !== undefined) return false;
  for (const k in state.r) if (typeof state.r[k] === 'symbol') return false;
  return true;
}

/** What a plain row keeps besides its values and stamp (see `RowStore.restamped`). */
export interface RowStamps {
  t?: DocState['t'];
  x?: DocState['x'];
}

/**
 * The registers' own and seen stamps of a plain state, or undefined if none. Its records are
 * kept as they are unless they hold cleared (undefined) entries: a stored state is the row
 * store's from then on, as a promoted one is, and `build` hands out copies.
 */
export function rowStamps(state: DocState): RowStamps | undefined {
  const t = withoutCleared(state.t);
  const x = withoutCleared(state.x);
  if (t === undefined && x === undefined) return undefined;
  return x === undefined ? { t } : t === undefined ? { x } : { t, x };
}

/** `rec` itself when every entry is set, else a copy of the set ones; undefined when none is. */
function withoutCleared<T>(rec: Record<string, T>): Record<string, T> | undefined {
  let set = 0;
  let cleared = false;
  for (const k in rec) {
    if (rec[k] === undefined) cleared = true;
    else set++;
  }
  if (set === 0) return undefined;
  if (!cleared) return rec;
  const out: Record<string, T> = {};
  for (const k in rec) if (rec[k] !== undefined) out[k] = rec[k];
  return out;
}
