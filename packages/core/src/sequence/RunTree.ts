import { insertAt, removeAt } from './arrays.js';
import type { ContentOps } from './content.js';
import { Block, MAX_RUNS, Run } from './Run.js';

/**
 * Runs in document order, kept in a list of small blocks with cached visible lengths: a blocked
 * rope. Position lookup walks blocks from a cursor (the block of the previous lookup and its start
 * position), so typing, which edits near the previous edit, costs O(1) block steps; a jump costs
 * O(blocks) cheap additions, and within a block O({@link MAX_RUNS}).
 */
export class RunTree<C> {
  blocks: Block<C>[] = [new Block<C>()];
  /** Visible length of the whole sequence. */
  length = 0;
  private cBlock = 0;
  private cStart = 0;
  /** Result of {@link find}: the run, its index in its block, and the offset inside it. */
  fRun: Run<C> | null = null;
  fIdx = 0;
  fOff = 0;
  /** Result of `placeInsert`: where a remote insert goes. */
  pBlock: Block<C> | null = null;
  pIdx = 0;

  constructor(private readonly ops: ContentOps<C>) {}

  /** Locates the visible item at `index` (0 <= index < length) into fRun/fIdx/fOff. */
  find(index: number): void {
    const blocks = this.blocks;
    let b = this.cBlock;
    let start = this.cStart;
    while (index < start) {
      b--;
      start -= (blocks[b] as Block<C>).vis;
    }
    let block = blocks[b] as Block<C>;
    while (index >= start + block.vis) {
      start += block.vis;
      block = blocks[++b] as Block<C>;
    }
    this.cBlock = b;
    this.cStart = start;
    let off = index - start;
    const runs = block.runs;
    for (let i = 0; ; i++) {
      const r = runs[i] as Run<C>;
      if (r.content === null) continue;
      if (off < r.len) {
        this.fRun = r;
        this.fIdx = i;
        this.fOff = off;
        return;
      }
      off -= r.len;
    }
  }

  /** Inserts `run` at `idx` in `block`, accounting for its visible length. */
  insert(block: Block<C>, idx: number, run: Run<C>): void {
    insertAt(block.runs, idx, run);
    run.block = block;
    if (run.content !== null) this.changeVis(block, run.len);
    if (block.runs.length > MAX_RUNS) this.splitBlock(block);
  }

  /** Adds `delta` to the visible length of `block` (and keeps the cursor consistent). */
  changeVis(block: Block<C>, delta: number): void {
    block.vis += delta;
    this.length += delta;
    if (block.idx < this.cBlock) this.cStart += delta;
  }

  /**
   * Splits `r` (at `idx` in its block) so that its first `k` items stay in `r` and the rest
   * become a new run right after it; returns the new run.
   */
  splitRun(r: Run<C>, idx: number, k: number): Run<C> {
    const c = r.content;
    const right = new Run<C>(
      r.seq + k,
      r.len - k,
      c === null ? null : this.ops.slice(c, k, r.len),
      r.block,
      r.entry,
    );
    if (c !== null) r.content = this.ops.slice(c, 0, k);
    r.len = k;
    r.entry.addFrag(r, right);
    const block = r.block;
    insertAt(block.runs, idx + 1, right);
    if (block.runs.length > MAX_RUNS) this.splitBlock(block);
    return right;
  }

  /**
   * Deletes run `r` (at `idx` in its block): drops its content and merges it with neighbouring
   * tombstones of the same insert when they continue each other, so a word deleted character by
   * character ends as one tombstone run, not one per character.
   */
  markDeleted(r: Run<C>, idx: number): void {
    this.changeVis(r.block, -r.len);
    r.content = null;
    const runs = r.block.runs;
    const next = runs[idx + 1];
    if (next !== undefined && continues(r, next)) this.absorb(r, idx, next);
    const prev = runs[idx - 1];
    if (prev !== undefined && continues(prev, r)) this.absorb(prev, idx - 1, r);
  }

  /** Appends tombstone `b` (right after `a` at `idx`) to `a` and removes it. */
  private absorb(a: Run<C>, idx: number, b: Run<C>): void {
    a.len += b.len;
    removeAt(a.block.runs, idx + 1);
    a.entry.dropFragAfter(a);
  }

  /** The run after `r` in document order, or null at the end. */
  next(r: Run<C>, idx: number): Run<C> | null {
    const block = r.block;
    if (idx + 1 < block.runs.length) return block.runs[idx + 1] as Run<C>;
    for (let b = block.idx + 1; b < this.blocks.length; b++) {
      const first = (this.blocks[b] as Block<C>).runs[0];
      if (first !== undefined) return first;
    }
    return null;
  }

  private splitBlock(block: Block<C>): void {
    const nb = new Block<C>();
    nb.runs = block.runs.splice(block.runs.length >> 1);
    let vis = 0;
    for (const r of nb.runs) {
      r.block = nb;
      if (r.content !== null) vis += r.len;
    }
    nb.vis = vis;
    block.vis -= vis;
    const at = block.idx + 1;
    this.blocks.splice(at, 0, nb);
    for (let i = at; i < this.blocks.length; i++) (this.blocks[i] as Block<C>).idx = i;
    // The cursor's start position is unchanged unless it sat on the block that was split.
    if (this.cBlock >= at) this.cBlock++;
  }

  /**
   * The content of every visible run, in order. Without a callback (a closure per call would be
   * inlined into the optimised code and deoptimise it when it dies), and a call per block: this
   * runs once per `toString`, so a loop over every run here would only run as on-stack-replacement
   * code, compiled anew on each call after a full GC.
   */
  visibleContents(): C[] {
    const out: C[] = [];
    const blocks = this.blocks;
    for (let i = 0; i < blocks.length; i++) addVisible(blocks[i] as Block<C>, out);
    return out;
  }
}

function addVisible<C>(block: Block<C>, out: C[]): void {
  if (block.vis === 0) return;
  const runs = block.runs;
  for (let i = 0; i < runs.length; i++) {
    const c = (runs[i] as Run<C>).content;
    if (c !== null) out.push(c);
  }
}

/**
 * Whether tombstone `b` is the continuation of tombstone `a` (so one run can hold both): the
 * next ids of the same insert, whose origins are then implied.
 */
function continues<C>(a: Run<C>, b: Run<C>): boolean {
  return a.content === null && b.content === null && a.entry === b.entry && b.seq === a.seq + a.len;
}
