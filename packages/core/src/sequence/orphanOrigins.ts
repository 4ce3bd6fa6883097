import { inBase } from './compactedBase.js';
import type { Block, InsertEntry, Run } from './Run.js';
import type { SequenceCore } from './SequenceCore.js';
import type { InsertOp } from './updateOps.js';

/** An origin id this replica has (`PRESENT`), will have (`MISSING`), or compacted away (`ORPHAN`). */
export const PRESENT = 0;
export const MISSING = 1;
export const ORPHAN = 2;

/**
 * Whether origin `a:s` is an item here. An id below its replica's next id that is no item was
 * compacted away (or named a delete, which no honest replica does): waiting for it would wait
 * forever, so the insert is placed by {@link resolveOrphans} instead.
 */
export function originStatus<C>(core: SequenceCore<C>, a: number, s: number): number {
  if (a < 0 || core.findRun(a, s) !== null) return PRESENT;
  const st = core.agents[a];
  return st !== undefined && s < st.next ? ORPHAN : MISSING;
}

/**
 * Gives an insert whose origin was compacted away (docs/crdt.md, "Compacting tombstones") new
 * origins from the compacted base — the items the replica had when it was compacted:
 *
 * - origin-right gone: the first base item after its origin-left (or the document end);
 * - origin-left gone: the last base item before its origin-right (or the document start);
 * - both gone: the base item of the origin-left's replica with the nearest id below it (ids of
 *   one replica that are close were mostly typed together) and the first base item after that;
 *   without one, the last base item of the document and the document end.
 *
 * Then it is placed by the usual rule (FugueMax) between them. The author typed it next to the
 * origin that is still here, with only tombstones — now compacted — between it and the next base
 * item, so it lands where the author put it unless someone inserted into that gap concurrently;
 * concurrent inserts there are ordered as usual. The base and an item's place relative to it never
 * change, so every replica holding the same compacted base resolves the operation the same way,
 * whatever else it received before (a device back after the horizon, after its full resync, and
 * the server). The new origins are stored with the insert, so updates carry them from then on. On
 * a replica never compacted (no base) every item counts. The op is rewritten in place.
 */
export function resolveOrphans<C>(core: SequenceCore<C>, op: InsertOp<C>, l: number, r: number): void {
  if (l === ORPHAN) {
    if (r === ORPHAN || op.oRa < 0) {
      // No neighbour left: the origin's nearest kept id of the same replica stands in for it
      // (ids of one replica that are close were mostly typed together), else the base's end.
      const near = baseItemBelow(core, op.oLa, op.oLs);
      if (near !== null) {
        setLeft(op, near);
        const at = firstBaseAfter(core, near, op.oLs);
        op.oRa = at === null ? -1 : at.entry.agent;
        op.oRs = at === null ? 0 : baseSeq;
        return;
      }
      setLeft(op, lastBaseBefore(core, null, 0));
      op.oRa = -1;
      op.oRs = 0;
      return;
    }
    setLeft(op, lastBaseBefore(core, core.findRun(op.oRa, op.oRs) as Run<C>, op.oRs));
    return;
  }
  const left = op.oLa < 0 ? null : (core.findRun(op.oLa, op.oLs) as Run<C>);
  const at = firstBaseAfter(core, left, op.oLs);
  op.oRa = at === null ? -1 : at.entry.agent;
  op.oRs = at === null ? 0 : baseSeq;
}

/** The seq found by the last search (no object per lookup). */
let baseSeq = 0;

function setLeft<C>(op: InsertOp<C>, run: Run<C> | null): void {
  op.oLa = run === null ? -1 : run.entry.agent;
  op.oLs = run === null ? 0 : baseSeq;
}

/**
 * The run holding agent `a`'s base item with the largest id below `s`, that id in `baseSeq`; null
 * if there is none. The agent's inserts are sorted by id,
 * and each holds an item for every id it covers.
 */
function baseItemBelow<C>(core: SequenceCore<C>, a: number, s: number): Run<C> | null {
  const st = core.agents[a];
  if (st === undefined) return null;
  const cap = core.base === null ? s : Math.min(s, core.base[a] ?? 0);
  const es = st.entries;
  let lo = 0;
  let hi = es.length - 1;
  // The last insert starting below `cap`.
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((es[mid] as InsertEntry<C>).seq < cap) lo = mid + 1;
    else hi = mid - 1;
  }
  const e = es[hi];
  if (e === undefined) return null;
  baseSeq = Math.min(cap - 1, e.seq + e.len - 1);
  return e.fragOf(baseSeq);
}

/**
 * The run holding the first base item after item `s` of run `from` (null: the document start),
 * with that item's seq in `baseSeq`; null if there is none before the end.
 */
function firstBaseAfter<C>(core: SequenceCore<C>, from: Run<C> | null, s: number): Run<C> | null {
  const blocks = core.tree.blocks;
  let b = 0;
  let i = 0;
  if (from !== null) {
    // A run's ids increase: the rest of it is base if the next id is.
    if (s + 1 < from.seq + from.len && inBase(core, from.entry.agent, s + 1)) {
      baseSeq = s + 1;
      return from;
    }
    b = from.block.idx;
    i = from.block.runs.indexOf(from) + 1;
  }
  for (; b < blocks.length; b++, i = 0) {
    const runs = (blocks[b] as Block<C>).runs;
    for (; i < runs.length; i++) {
      const r = runs[i] as Run<C>;
      if (inBase(core, r.entry.agent, r.seq)) {
        baseSeq = r.seq;
        return r;
      }
    }
  }
  return null;
}

/**
 * The run holding the last base item before item `s` of run `from` (null: the document end),
 * with that item's seq in `baseSeq`; null if there is none after the start.
 */
function lastBaseBefore<C>(core: SequenceCore<C>, from: Run<C> | null, s: number): Run<C> | null {
  const blocks = core.tree.blocks;
  let b = blocks.length - 1;
  let i = Number.MAX_SAFE_INTEGER;
  if (from !== null) {
    // A run's base items are a prefix of its ids.
    const end = core.base === null ? s : Math.min(s, core.base[from.entry.agent] ?? 0);
    if (end > from.seq) {
      baseSeq = end - 1;
      return from;
    }
    b = from.block.idx;
    i = from.block.runs.indexOf(from) - 1;
  }
  for (; b >= 0; b--, i = Number.MAX_SAFE_INTEGER) {
    const runs = (blocks[b] as Block<C>).runs;
    for (i = Math.min(i, runs.length - 1); i >= 0; i--) {
      const r = runs[i] as Run<C>;
      const a = r.entry.agent;
      if (inBase(core, a, r.seq)) {
        const end = core.base === null ? r.seq + r.len : Math.min(r.seq + r.len, core.base[a] ?? 0);
        baseSeq = end - 1;
        return r;
      }
    }
  }
  return null;
}
