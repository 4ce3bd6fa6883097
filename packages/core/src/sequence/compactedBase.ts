import type { SequenceCore } from './SequenceCore.js';

// The compacted base of a replica (`SequenceCore.base`): per agent, its next id when the replica
// was compacted, or null if it never was. Items below it are the items that inserts naming a
// compacted origin are placed against (`orphanOrigins.ts`); docs/crdt.md, "Compacting tombstones".

/**
 * Takes in a compacted sender's base (`base` by the update's agent indices, mapped to the core's
 * by `map`): the maximum per agent. A base of zeros is none, so equal states encode equally.
 */
export function mergeBase<C>(core: SequenceCore<C>, base: readonly number[], map: readonly number[]): void {
  if (!base.some((v) => v > 0)) return;
  const own = (core.base ??= []);
  for (let i = 0; i < base.length; i++) {
    const a = map[i] as number;
    const v = base[i] as number;
    while (own.length <= a) own.push(0);
    if (v > (own[a] as number)) own[a] = v;
  }
}

/** Whether item `a:s` belongs to the compacted base (every item does on a replica never compacted). */
export function inBase<C>(core: SequenceCore<C>, a: number, s: number): boolean {
  return core.base === null || s < (core.base[a] ?? 0);
}

/** `core`'s base entry for the agent named `name` (0 if none). */
function baseOf<C>(core: SequenceCore<C>, name: string): number {
  const base = core.base;
  if (base === null) return 0;
  const a = core.names.indexOf(name);
  return a < 0 ? 0 : (base[a] ?? 0);
}

/**
 * Whether `a` was compacted past `b`: its base covers `b`'s (by replica name) and goes further —
 * then a merge builds on `a`'s state. The server is the one that compacts, so two bases met in
 * practice are always ordered. O(agents²) by name; a field has a handful of writers.
 */
export function compactedPast<C>(a: SequenceCore<C>, b: SequenceCore<C>): boolean {
  const mine = a.base;
  if (mine === null) return false;
  let further = false;
  for (let i = 0; i < a.names.length; i++)
    if ((mine[i] ?? 0) > baseOf(b, a.names[i] as string)) further = true;
  if (b.base !== null)
    for (let j = 0; j < b.names.length; j++)
      if ((b.base[j] ?? 0) > baseOf(a, b.names[j] as string)) return false;
  return further;
}
