import type { Block, Run } from './Run.js';
import type { SequenceCore } from './SequenceCore.js';
import type { InsertOp } from './updateOps.js';

/**
 * Where a remote insert goes: FugueMax placement (Weidner & Kleppmann, "The Art of the Fugue"),
 * which is the YATA rule as refined in Gentle's reference-crdts ("yjsMod").
 *
 * The new item belongs between its origin-left L and origin-right R. Scanning the items between
 * them, an item O whose own origin-left lies before L ends the scan (O belongs to an enclosing
 * insertion). If O shares L: when it also shares R the two are a true conflict, ordered by replica
 * id; when O's origin-right lies before R, O may be inside our subtree or not, so we remember the
 * position before it (`scanning`) until that is decided. Items whose origin-left lies after L are
 * in some sibling's subtree and are skipped. Because a whole run of typing hangs off its first
 * item, a concurrent run is skipped or kept as a unit: runs never interleave.
 *
 * Runs are scanned whole: items after a run's first have origin-left inside the run, i.e. after L,
 * so they are always skipped, which is what skipping the run does.
 *
 * `left` is the run holding the origin-left (null: document start). The place (block and index
 * in it) is left in `tree.pBlock` / `tree.pIdx`.
 */
export function placeInsert<C>(core: SequenceCore<C>, op: InsertOp<C>, left: Run<C> | null): void {
  const tree = core.tree;
  let leftOff = 0;
  let leftIdx = -1;
  if (left !== null) {
    leftOff = op.oLs - left.seq;
    leftIdx = left.block.runs.indexOf(left);
    if (leftOff < left.len - 1) tree.splitRun(left, leftIdx, leftOff + 1);
  }
  let right: Run<C> | null = null;
  if (op.oRa >= 0) {
    right = core.findRun(op.oRa, op.oRs) as Run<C>;
    const off = op.oRs - right.seq;
    if (off > 0) right = tree.splitRun(right, right.block.runs.indexOf(right), off);
  }
  const blocks = tree.blocks;
  let b = 0;
  let i = 0;
  if (left !== null) {
    // `left` stays at leftIdx unless splitting it also split its block.
    b = left.block.idx;
    i = left.block.runs[leftIdx] === left ? leftIdx + 1 : left.block.runs.indexOf(left) + 1;
  }
  let db = b;
  let di = i;
  let scanning = false;
  const name = core.agents[op.agent]!.name;
  for (;;) {
    while (b < blocks.length && i >= blocks[b]!.runs.length) {
      b++;
      i = 0;
    }
    if (!scanning) {
      db = b;
      di = i;
    }
    if (b >= blocks.length) break;
    const other = blocks[b]!.runs[i] as Run<C>;
    if (other === right) break;
    const cl = compareLeft(core, other, left, leftOff);
    if (cl < 0) break;
    if (cl === 0) {
      const cr = compareRight(core, other, right);
      if (cr === 0 && name < core.agents[other.entry.agent]!.name) break;
      scanning = cr < 0;
    }
    i++;
  }
  // The result goes to the tree's find fields (no object per insert).
  if (db >= blocks.length) {
    const last = blocks[blocks.length - 1] as Block<C>;
    tree.pBlock = last;
    tree.pIdx = last.runs.length;
  } else {
    tree.pBlock = blocks[db] as Block<C>;
    tree.pIdx = di;
  }
}

/** Order of two positions (run, offset) in the document; equal runs compare by offset. */
function comparePos<C>(a: Run<C>, aOff: number, b: Run<C>, bOff: number): number {
  if (a === b) return aOff - bOff;
  if (a.block !== b.block) return a.block.idx - b.block.idx;
  return a.block.runs.indexOf(a) - b.block.runs.indexOf(b);
}

/** Compares `other`'s origin-left with ours; the document start (null) is before everything. */
function compareLeft<C>(core: SequenceCore<C>, other: Run<C>, left: Run<C> | null, leftOff: number): number {
  const e = other.entry;
  const oLa = other.seq === e.seq ? e.oLa : e.agent;
  if (oLa < 0) return left === null ? 0 : -1;
  if (left === null) return 1;
  const oLs = other.seq === e.seq ? e.oLs : other.seq - 1;
  const ol = core.findRun(oLa, oLs) as Run<C>;
  return comparePos(ol, oLs - ol.seq, left, leftOff);
}

/** Compares `other`'s origin-right with ours (a run start); the document end (null) is last. */
function compareRight<C>(core: SequenceCore<C>, other: Run<C>, right: Run<C> | null): number {
  const e = other.entry;
  if (e.oRa < 0) return right === null ? 0 : 1;
  if (right === null) return -1;
  const or = core.findRun(e.oRa, e.oRs) as Run<C>;
  return comparePos(or, e.oRs - or.seq, right, 0);
}
