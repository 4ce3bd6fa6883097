import type { Block, Run } from './Run.js';
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
 * Gives an insert whose origin was compacted away (docs/crdt.md, "Compacting tombstones") the
 * nearest item of this replica on that side, so it lands right next to the origin it still has:
 *
 * - origin-left gone: the item just before its origin-right (or the document start);
 * - origin-right gone: the item just after its origin-left (or the document end);
 * - both gone: the end of the document.
 *
 * The new origins are adjacent, so placement puts the insert exactly between them. This is a
 * function of this replica's state and the operation only: every replica holding the same state
 * places it the same way (a device back after the horizon and the server, after its full
 * resync). The author placed it next to the same surviving neighbour, with only tombstones
 * between, so when nothing else was inserted into that gap meanwhile, the text reads as the
 * author wrote it. The op is rewritten in place (origins only).
 */
export function resolveOrphans<C>(core: SequenceCore<C>, op: InsertOp<C>, l: number, r: number): void {
  const tree = core.tree;
  if (l === ORPHAN) {
    if (r === ORPHAN) {
      const last = lastRun(core);
      op.oLa = last === null ? -1 : last.entry.agent;
      op.oLs = last === null ? 0 : last.seq + last.len - 1;
      op.oRa = -1;
      op.oRs = 0;
      return;
    }
    if (op.oRa < 0) {
      const last = lastRun(core);
      op.oLa = last === null ? -1 : last.entry.agent;
      op.oLs = last === null ? 0 : last.seq + last.len - 1;
      return;
    }
    const right = core.findRun(op.oRa, op.oRs) as Run<C>;
    if (op.oRs > right.seq) {
      op.oLa = op.oRa;
      op.oLs = op.oRs - 1;
      return;
    }
    const prev = previous(core, right);
    op.oLa = prev === null ? -1 : prev.entry.agent;
    op.oLs = prev === null ? 0 : prev.seq + prev.len - 1;
    return;
  }
  // Only the origin-right is gone.
  if (op.oLa < 0) {
    const first = firstRun(core);
    op.oRa = first === null ? -1 : first.entry.agent;
    op.oRs = first === null ? 0 : first.seq;
    return;
  }
  const left = core.findRun(op.oLa, op.oLs) as Run<C>;
  if (op.oLs < left.seq + left.len - 1) {
    op.oRa = op.oLa;
    op.oRs = op.oLs + 1;
    return;
  }
  const next = tree.next(left, left.block.runs.indexOf(left));
  op.oRa = next === null ? -1 : next.entry.agent;
  op.oRs = next === null ? 0 : next.seq;
}

function firstRun<C>(core: SequenceCore<C>): Run<C> | null {
  const blocks = core.tree.blocks;
  for (let b = 0; b < blocks.length; b++) {
    const r = (blocks[b] as Block<C>).runs[0];
    if (r !== undefined) return r;
  }
  return null;
}

function lastRun<C>(core: SequenceCore<C>): Run<C> | null {
  const blocks = core.tree.blocks;
  for (let b = blocks.length - 1; b >= 0; b--) {
    const runs = (blocks[b] as Block<C>).runs;
    const r = runs[runs.length - 1];
    if (r !== undefined) return r;
  }
  return null;
}

/** The run before `r` in document order, or null at the start. */
function previous<C>(core: SequenceCore<C>, r: Run<C>): Run<C> | null {
  const block = r.block;
  const idx = block.runs.indexOf(r);
  if (idx > 0) return block.runs[idx - 1] as Run<C>;
  const blocks = core.tree.blocks;
  for (let b = block.idx - 1; b >= 0; b--) {
    const runs = (blocks[b] as Block<C>).runs;
    const last = runs[runs.length - 1];
    if (last !== undefined) return last;
  }
  return null;
}
