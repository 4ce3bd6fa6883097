import type { Stamp } from '../clock/stamp.js';
import type { FieldDef, MergePolicy } from '../schema/typeDef.js';

/**
 * A field kind is one merge policy made pluggable: how its state merges, how it looks to apps,
 * how it is stored (JSON) and how a change's delta for it is checked and applied. The document
 * model only talks to this interface, which is how the sequence CRDT (text, list) plugs in next
 * to the field CRDTs in crdt/.
 *
 * States are immutable once built (merge and applyDelta return new states; sequence kinds clone),
 * so a state can be shared between documents, snapshots and JSON output without copying.
 *
 * Deltas are the `ops` of a change: a small JSON state of the same kind whose stamps are the
 * change's stamp. Applying a delta is a join, hence idempotent and order-independent.
 */
export interface FieldKind<S> {
  /** The `k` tag of this kind's JSON state and delta (`''` for LWW, whose JSON has no tag). */
  readonly tag: string;
  /** The policy this kind implements. */
  readonly policy: MergePolicy;
  /** Join of two states. Pure. */
  merge(a: S, b: S): S;
  /** The plain value apps see (string, array, number, record...). `undefined` means absent. */
  materialize(state: S): unknown;
  /**
   * For a state whose plain value is costly to build and often never read (a text field loaded
   * from bytes and not used yet, `SequenceBase.loadLater`): a function giving the value
   * `materialize` gives now, called when the value is first read. Undefined when the value is
   * cheap or at hand; `materialize` is then used at once.
   */
  deferredValue?(state: S): (() => unknown) | undefined;
  /** JSON form for storage and transport (tagged, canonical when passed through canonicalJson). */
  toJSON(state: S): unknown;
  /**
   * A canonical JSON form for comparison and hashing (`encodeDoc`): equal states give equal
   * forms on every replica. Usually `toJSON`; sequence kinds use their version and content,
   * because their storage encoding depends on the order updates arrived in.
   */
  canonical(state: S): unknown;
  /**
   * Parses and fully validates a JSON state; throws `ValidationError`/`DecodeError`. `depth` is
   * the field's nesting level (1: a top-level field), which kinds holding fields (objects) bound.
   */
  fromJSON(json: Record<string, unknown>, path: string, depth?: number): S;
  /**
   * Validates a delta (structure, and values against `def` when the field is known) against the
   * current state it will be joined into, so that applying it cannot fail half-way.
   */
  validateDelta(
    delta: Record<string, unknown>,
    def: FieldDef | undefined,
    path: string,
    current: S | undefined,
    depth?: number,
  ): void;
  /**
   * A copy safe to hand to another document. Identity for kinds whose states are immutable;
   * sequence kinds, whose live state `applyDelta` updates in place, return a real copy.
   */
  clone?(state: S): S;
  /**
   * Joins a validated delta written at `stamp` into `current`. Must not throw after validation.
   * May update `current` in place (sequence kinds do); other kinds return a new state.
   */
  applyDelta(current: S | undefined, delta: Record<string, unknown>, stamp: Stamp): S;
}
