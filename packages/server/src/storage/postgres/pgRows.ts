import type { StoredDoc } from '../StorageEngine.js';

/** A `docs` row as node-postgres returns it (`bigint` as text, JSON columns read as text). */
export interface DocRow {
  id: string;
  type: string;
  seq: string;
  deleted: boolean;
  state: string;
  view: string;
}

export const toDoc = (r: DocRow): StoredDoc => ({
  id: r.id,
  type: r.type,
  seq: Number(r.seq),
  deleted: r.deleted,
  state: r.state,
  view: r.view,
});

/** The columns of a `DocRow`, the JSON ones as the text written (never re-encoded). */
export const DOC_COLUMNS = 'id, type, seq, deleted, state::text AS state, view::text AS view';
