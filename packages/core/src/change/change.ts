import type { Stamp } from '../clock/stamp.js';

/**
 * The unit of replication: one local mutation of one document, as JSON. `id === stamp`, which is
 * unique (HLC + replica). `ops` maps a top-level field name to a delta — a small state of that
 * field's CRDT whose stamps are the change's stamp — so applying a change is a join: twice, or
 * in any order, gives the same state. The reserved key `$deleted` carries the tombstone.
 */
export interface Change {
  id: Stamp;
  /** Document id. */
  doc: string;
  /** Type name. */
  type: string;
  /** The type version the change was written at (migrations upgrade older changes). */
  v: number;
  stamp: Stamp;
  ops: Record<string, unknown>;
  /**
   * Fingerprint (`typeHash`) of the type definition the change was written under. Lets a replica
   * recognise a change made under a losing concurrent definition of the same version and
   * translate it (see docs/schema.md). Optional: absent means "the chosen definition".
   */
  th?: string;
}

/** What an app asks for; {@link createChange} turns intents into a change. */
export type Intent =
  | { op: 'set'; path: readonly string[]; value: unknown }
  | { op: 'unset'; path: readonly string[] }
  | { op: 'inc'; path: readonly string[]; by: number }
  | { op: 'append'; path: readonly string[]; values: unknown[] }
  | { op: 'add'; path: readonly string[]; values: unknown[] }
  | { op: 'remove'; path: readonly string[]; values: unknown[] }
  | { op: 'seq'; path: readonly string[]; update: string }
  | { op: 'delete' }
  | { op: 'restore' };

/** The `ops` key of the tombstone register. Field names cannot start with `$`. */
export const DELETED_KEY = '$deleted';
