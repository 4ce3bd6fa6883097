import type { DocState } from '@fieldsync/core';
import type { StoredRows } from '../storage/StorageAdapter.js';
import type { RowStamps } from './plainRow.js';

/** The parts of a `RowStore` its rows are read from for storage, as they are at the call. */
export interface RowTable {
  /** The collection name, which is the type name of its plain rows. */
  readonly typeName: string;
  readonly rowOf: ReadonlyMap<string, number>;
  readonly stamps: readonly string[];
  readonly names: readonly string[];
  readonly cells: readonly unknown[];
  readonly promoted: ReadonlyMap<number, DocState>;
  readonly restamped: ReadonlyMap<number, RowStamps>;
  /** The version every row has unless `versions` says otherwise. */
  readonly version: number;
  readonly versions: readonly number[] | undefined;
}

/**
 * The documents `ids` of `table` as storage takes them: plain rows whose registers all carry the
 * row's stamp, by column (`StoredRows`, grouped by version and by which registers they have),
 * read straight from the cells; every other id that exists is appended to `others` (to be
 * stored whole). Ids no longer stored are skipped. Values are shared, not copied: a stored value
 * is never modified (a write replaces it), as in the states `docToJSON` reads.
 */
export function exportRows(table: RowTable, ids: Iterable<string>, others: string[]): StoredRows[] {
  const { typeName, rowOf, stamps, names, cells, promoted, restamped, version, versions } = table;
  const width = names.length;
  const checkPromoted = promoted.size > 0;
  const checkRestamped = restamped.size > 0;
  /** Rows at `version` with every column set: nearly all of them. */
  let full: StoredRows | undefined;
  let shapes: Map<string, StoredRows> | undefined;
  for (const id of ids) {
    const row = rowOf.get(id);
    if (row === undefined) continue;
    if ((checkPromoted && promoted.has(row)) || (checkRestamped && restamped.has(row))) {
      others.push(id);
      continue;
    }
    const base = row * width;
    let set = 0;
    for (let k = 0; k < width; k++) if (cells[base + k] !== undefined) set++;
    const v = versions === undefined ? version : (versions[row] as number);
    let g: StoredRows;
    if (set === width && v === version) {
      g = full ??= group(typeName, v, names.slice());
      for (let k = 0; k < width; k++) g.values.push(cells[base + k]);
    } else if (set === 0) {
      others.push(id); // no register: its stamp is in no field, so stored whole
      continue;
    } else {
      let key = `${v}:`;
      for (let k = 0; k < width; k++) key += cells[base + k] === undefined ? '0' : '1';
      shapes ??= new Map();
      let found = shapes.get(key);
      if (found === undefined) {
        found = group(
          typeName,
          v,
          names.filter((_, k) => cells[base + k] !== undefined),
        );
        shapes.set(key, found);
      }
      g = found;
      for (let k = 0; k < width; k++) {
        const value = cells[base + k];
        if (value !== undefined) g.values.push(value);
      }
    }
    g.ids.push(id);
    g.stamps.push(stamps[row] as string);
  }
  const out: StoredRows[] = full === undefined ? [] : [full];
  if (shapes !== undefined) out.push(...shapes.values());
  return out;
}

function group(collection: string, v: number, names: string[]): StoredRows {
  return { collection, type: collection, v, names, ids: [], stamps: [], values: [] };
}
