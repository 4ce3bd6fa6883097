import { stampReplica, type Stamp } from '../clock/stamp.js';
import { compareJson } from '../util/json.js';

/** A value that lost to the current winner of a register; `replica` says who wrote it. */
export interface Superseded {
  value: unknown;
  stamp: Stamp;
  replica: string;
}

/** A losing write kept in the register's history. `v === undefined` means "unset". */
export interface LwwEntry {
  v: unknown;
  s: Stamp;
}

/**
 * Last-writer-wins register state. `v`/`s` is the winner (highest stamp; ties cannot happen
 * because stamps embed the replica). `p` is the highest stamp any writer had *seen* when it wrote
 * (it overwrote that value knowingly), and `h` keeps up to {@link MAX_SUPERSEDED} losing writes
 * that no writer had seen: the concurrent values an app can show as "Ben's value was replaced by
 * Anna's". Once someone writes after seeing a conflict, `p` passes it and it is pruned.
 *
 * `p` and `h` are absent in the common case, so a register is one small object; the stamp string
 * is shared by every field written by the same change.
 */
export interface LwwState {
  v: unknown;
  s: Stamp;
  p?: Stamp;
  h?: LwwEntry[];
}

/** How many superseded concurrent values a register keeps (the bound of the history). */
export const MAX_SUPERSEDED = 8;

/** A register holding `value` written at `stamp` by a writer that had seen `seen`. */
export function lwwWrite(value: unknown, stamp: Stamp, seen?: Stamp): LwwState {
  return seen === undefined ? { v: value, s: stamp } : { v: value, s: stamp, p: seen };
}

function maxStamp(a: Stamp | undefined, b: Stamp | undefined): Stamp | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function build(entries: LwwEntry[], p: Stamp | undefined): LwwState {
  const w = entries[0] as LwwEntry;
  const out: LwwState = { v: w.v, s: w.s };
  if (p !== undefined) out.p = p;
  if (entries.length > 1) out.h = entries.slice(1, MAX_SUPERSEDED + 1);
  return out;
}

/**
 * Join of two registers: the set union of their writes, minus writes some writer had seen
 * (`s <= p`), keeping the top `MAX_SUPERSEDED + 1` by stamp. Commutative, associative and
 * idempotent (proved by property tests). Pure: inputs are not modified.
 */
export function mergeLww(a: LwwState, b: LwwState): LwwState {
  if (a === b) return a;
  const p = maxStamp(a.p, b.p);
  if (a.h === undefined && b.h === undefined && a.s !== b.s) {
    const [win, lose] = a.s > b.s ? [a, b] : [b, a];
    const out: LwwState = { v: win.v, s: win.s };
    if (p !== undefined) out.p = p;
    if (p === undefined || lose.s > p) out.h = [{ v: lose.v, s: lose.s }];
    return out;
  }
  const all: LwwEntry[] = [
    { v: a.v, s: a.s },
    { v: b.v, s: b.s },
  ];
  if (a.h) for (const e of a.h) all.push(e);
  if (b.h) for (const e of b.h) all.push(e);
  all.sort((x, y) => (x.s > y.s ? -1 : x.s < y.s ? 1 : compareJson(y.v, x.v)));
  const kept: LwwEntry[] = [];
  for (const e of all) {
    if (p !== undefined && e.s <= p) continue;
    const last = kept[kept.length - 1];
    if (last !== undefined && last.s === e.s) continue; // same write (or tie resolved by value order)
    kept.push(e);
  }
  if (kept.length === 0) kept.push(all[0] as LwwEntry); // only reachable with a state that breaks s > p
  return build(kept, p);
}

/** The values this register's winner superseded without having seen them, newest first. */
export function lwwSuperseded(r: LwwState): Superseded[] {
  if (!r.h) return [];
  return r.h.map((e) => ({ value: e.v, stamp: e.s, replica: stampReplica(e.s) }));
}
