import type { TypeDef } from '../schema/typeDef.js';
import type { Change } from './change.js';

/**
 * Changes made by `createChange` were validated against a type when they were built. They are
 * frozen (envelope, ops and deltas; not the values inside) and remembered here with that type,
 * so `applyChange` with the same type object can skip re-validating them — the difference
 * between one and two validation passes when a client bulk-loads 100,000 documents. Anything
 * else (parsed JSON, network input, a thawed copy) is validated in full.
 */
const trusted = new WeakMap<Change, TypeDef>();

/** Freezes a change built by `createChange` and records the type it was validated against. */
export function markTrusted(change: Change, type: TypeDef): Change {
  const ops = change.ops;
  for (const key in ops) Object.freeze(ops[key]);
  Object.freeze(ops);
  Object.freeze(change);
  trusted.set(change, type);
  return change;
}

/** The type a change was validated against at creation, if it is a frozen `createChange` result. */
export function trustedType(change: Change): TypeDef | undefined {
  return trusted.get(change);
}
