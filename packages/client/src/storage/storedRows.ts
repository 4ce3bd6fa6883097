import type { CommitBatch, StoredDoc, StoredRows } from './StorageAdapter.js';

/**
 * The documents `rows` stand for, one `StoredDoc` each in core's `docToJSON` form, appended to
 * `out` (see `StoredRows`). For whoever stores or applies documents one by one.
 */
export function rowsToDocs(rows: readonly StoredRows[], out: StoredDoc[] = []): StoredDoc[] {
  for (const r of rows) {
    const { collection, type, v, names, ids, stamps, values } = r;
    const width = names.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const s = stamps[i];
      const fields: Record<string, unknown> = {};
      for (let k = 0, at = i * width; k < width; k++, at++) fields[names[k] as string] = { v: values[at], s };
      out.push({ collection, id, state: { id, type, v, fields } });
    }
  }
  return out;
}

/** Every document a batch stores, `docs` then `rows` (as `StoredDoc`s). */
export function batchDocs(batch: CommitBatch): StoredDoc[] {
  const docs = batch.docs ?? [];
  return batch.rows?.length ? rowsToDocs(batch.rows, [...docs]) : docs;
}
