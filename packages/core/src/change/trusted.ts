import type { Stamp } from '../clock/stamp.js';
import type { TypeDef } from '../schema/typeDef.js';
import { typeHash } from '../schema/typeHash.js';
import type { Change } from './change.js';

/**
 * A change as `createChange` returns it: validated against `type` when it was built, so
 * `applyChange` with the same type object can skip re-validating it — the difference between
 * one and two validation passes when a client bulk-loads 100,000 documents. The mark is a private
 * field of this class, so anything else — parsed JSON, network input, a spread copy — is a plain
 * object and is validated in full. It serialises like any change. Do not mutate it (copy it).
 * (A `WeakMap` mark was measured to keep 100k changes alive; `Object.freeze` cost more than the
 * validation it saved.)
 *
 * Compact form (`createInsertChange` of plain scalar values, the bulk-insert case): the change
 * keeps the field names (an array shared by consecutive changes with the same fields) and the
 * values instead of an `ops` record with one `{ v }` delta per field — one array instead of
 * 1 + n objects per change, for changes that wait in the outbox by the 100,000. `ops` is then an
 * own enumerable accessor, so JSON, structured clone and spreads see an ordinary change; each
 * read builds a fresh record (not kept, so serialising the outbox does not grow it back).
 */
export class CreatedChange implements Change {
  readonly #validatedAgainst: TypeDef;
  id: Stamp;
  doc: string;
  type: string;
  v: number;
  stamp: Stamp;
  declare ops: Record<string, unknown>;
  declare th: string;
  #ops: Record<string, unknown> | undefined;
  #names: readonly string[] | undefined;
  #values: readonly unknown[] | undefined;

  /** The accessor of a compact change's `ops` (one descriptor, so instances share their shape). */
  static readonly #opsProperty: PropertyDescriptor = {
    get(this: CreatedChange) {
      return (
        this.#ops ??
        CreatedChange.#build(this.#names as readonly string[], this.#values as readonly unknown[])
      );
    },
    set(this: CreatedChange, ops: Record<string, unknown>) {
      this.#ops = ops;
    },
    enumerable: true,
    configurable: false,
  };

  static #build(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
    const ops: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) ops[names[i] as string] = { v: values[i] };
    return ops;
  }

  /**
   * `ops`, or (compact form) `names[i]` is set to `values[i]`: a top-level register write with
   * no seen stamp (`{ v: values[i] }`) per name, on a new document.
   */
  constructor(stamp: Stamp, doc: string, type: TypeDef, ops: Record<string, unknown>);
  constructor(
    stamp: Stamp,
    doc: string,
    type: TypeDef,
    ops: undefined,
    names: readonly string[],
    values: readonly unknown[],
  );
  constructor(
    stamp: Stamp,
    doc: string,
    type: TypeDef,
    ops: Record<string, unknown> | undefined,
    names?: readonly string[],
    values?: readonly unknown[],
  ) {
    this.id = stamp;
    this.doc = doc;
    this.type = type.name;
    this.v = type.version;
    this.stamp = stamp;
    // Same key order as a plain change either way (id, doc, type, v, stamp, ops, th).
    if (ops !== undefined) this.ops = ops;
    else Object.defineProperty(this, 'ops', CreatedChange.#opsProperty);
    this.th = typeHash(type);
    this.#validatedAgainst = type;
    this.#names = names;
    this.#values = values;
  }

  /** The type this change was validated against (internal to core). */
  validatedAgainst(): TypeDef {
    return this.#validatedAgainst;
  }

  /** Field names of a compact change whose `ops` was never replaced, else undefined (internal to core). */
  static compactNames(change: CreatedChange): readonly string[] | undefined {
    return change.#ops === undefined ? change.#names : undefined;
  }

  /** The values matching {@link CreatedChange.compactNames} (internal to core). */
  static compactValues(change: CreatedChange): readonly unknown[] {
    return change.#values as readonly unknown[];
  }
}

/** The type a change was validated against at creation, if it is a `createChange` result. */
export function trustedType(change: Change): TypeDef | undefined {
  return change instanceof CreatedChange ? change.validatedAgainst() : undefined;
}
