import { isReplicaId, stampReplica } from '../../clock/stamp.js';
import { counterValue, mergeCounter, type CounterState } from '../../crdt/pnCounter.js';
import { ValidationError } from '../../errors.js';
import { isRecord } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

function totals(x: unknown, path: string): Record<string, number> {
  if (!isRecord(x)) bad(path, 'state', 'counter totals must be an object');
  const out: Record<string, number> = {};
  for (const r in x) {
    const v = x[r];
    if (!isReplicaId(r) || typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      bad(path, 'state', 'counter totals are { replica: number >= 0 }');
    out[r] = v;
  }
  return out;
}

function total(x: unknown): boolean {
  return x === undefined || (typeof x === 'number' && Number.isFinite(x) && x >= 0);
}

/**
 * PN-counter kind. JSON state `{ k: 'c', p: { replica: n }, n: { replica: n } }`; delta
 * `{ k: 'c', p?: total, n?: total }` — the writer's new totals, for the replica in the stamp.
 */
export const counterKind: FieldKind<CounterState> = {
  tag: 'c',
  policy: 'counter',
  merge: mergeCounter,
  materialize: counterValue,
  toJSON: (c) => c,
  canonical: (c) => c,
  fromJSON: (json, path) => ({ k: 'c', p: totals(json.p, path), n: totals(json.n, path) }),
  validateDelta(delta, _def, path) {
    if (!total(delta.p) || !total(delta.n) || (delta.p === undefined && delta.n === undefined)) {
      bad(path, 'delta', 'counter delta needs totals `p` and/or `n` (finite, >= 0)');
    }
  },
  applyDelta(current, delta, stamp) {
    const r = stampReplica(stamp);
    const next: CounterState = { k: 'c', p: {}, n: {} };
    if (delta.p !== undefined) next.p[r] = delta.p as number;
    if (delta.n !== undefined) next.n[r] = delta.n as number;
    return current ? mergeCounter(current, next) : next;
  },
};
