import type { Stamp } from '../clock/stamp.js';
import type { LwwEntry, LwwState } from '../crdt/lww.js';
import type { FieldState } from './fields.js';

/** Marks a register that was written with "unset" (it has a stamp but no value). */
export const UNSET: unique symbol = Symbol('unset');

/** History of a register beyond its winner (see `LwwState.p`/`h`); absent in the common case. */
export interface RegisterExtra {
  p?: Stamp;
  h?: LwwEntry[];
}

/**
 * The in-memory CRDT state of one document, laid out for clients that hold 100,000s of them.
 * Top-level last-writer-wins fields — most fields — are stored as columns rather than one object
 * per field: `r` holds their winning values, `s` the stamp most of them share (one change
 * usually writes them all; the string is shared, not copied), `t` only the stamps that differ
 * from `s`, and `x` only the rare registers that carry history. Every other field (objects,
 * logs, sets, counters, text, lists) has its state object in `fields`. Empty records are the
 * shared frozen {@link EMPTY} until first written.
 *
 * Treat it as opaque: read with `materialize`, store or send with `docToJSON`/`encodeDoc`
 * (sequence fields hold live `Text`/`List` objects), change with `applyChange`/`mergeDocs`.
 */
export interface DocState {
  /** Collision-free id generated on the device (see ids.ts). */
  id: string;
  /** Type name. */
  type: string;
  /** The highest type version any change to this document was written at. */
  v: number;
  /** The stamp shared by registers absent from `t` (`''` before the first register write). */
  s: Stamp;
  /** Register values by field name ({@link UNSET} for an unset register). */
  r: Record<string, unknown>;
  /** Register stamps that differ from `s`. */
  t: Record<string, Stamp>;
  /** Register histories. */
  x: Record<string, RegisterExtra>;
  /** Non-register field states by field name, including fields this replica's type does not know. */
  fields: Record<string, FieldState>;
  /** Tombstone register: `v === true` means deleted. See docs/crdt.md, "update vs delete". */
  deleted: LwwState | undefined;
}

/** Shared empty record; replaced by a fresh object on first write (never written to). */
export const EMPTY: Record<string, never> = Object.freeze({}) as Record<string, never>;

/** A document with no fields yet. */
export function emptyDoc(id: string, type: string, v: number): DocState {
  return { id, type, v, s: '', r: EMPTY, t: EMPTY, x: EMPTY, fields: EMPTY, deleted: undefined };
}

/**
 * True if the document is deleted: its tombstone register's winning value is `true`. Remove
 * wins over ordinary updates (they are merged but do not bring the document back); only an
 * explicit `restore` with a later stamp does.
 */
export function isDeleted(doc: DocState): boolean {
  return doc.deleted !== undefined && doc.deleted.v === true;
}
