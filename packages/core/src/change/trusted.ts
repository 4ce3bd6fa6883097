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
 */
export class CreatedChange implements Change {
  readonly #validatedAgainst: TypeDef;
  id: Stamp;
  doc: string;
  type: string;
  v: number;
  stamp: Stamp;
  ops: Record<string, unknown>;
  th: string;

  constructor(stamp: Stamp, doc: string, type: TypeDef, ops: Record<string, unknown>) {
    this.id = stamp;
    this.doc = doc;
    this.type = type.name;
    this.v = type.version;
    this.stamp = stamp;
    this.ops = ops;
    this.th = typeHash(type);
    this.#validatedAgainst = type;
  }

  /** The type this change was validated against (internal to core). */
  validatedAgainst(): TypeDef {
    return this.#validatedAgainst;
  }
}

/** The type a change was validated against at creation, if it is a `createChange` result. */
export function trustedType(change: Change): TypeDef | undefined {
  return change instanceof CreatedChange ? change.validatedAgainst() : undefined;
}
