// The run tree's records, which point at each other: a run knows its block and its insert entry,
// a block holds runs, an entry holds the runs its items were split into. They live in one module
// so that the types need no import cycle.
import { removeAt } from './arrays.js';

/**
 * A run of consecutive items of one insert (ids `entry.agent:seq .. seq+len-1`), lying next to
 * each other in document order, all visible or all deleted. A run stores no origins: every item
 * of an insert has the insert's origin-right, and every item but the insert's first has
 * origin-left "the previous id" (see {@link InsertEntry}), which is exactly what typing produces
 * and what splitting a run preserves. Five fields keep a run at 64 bytes: runs are the bulk of a
 * replica's memory.
 *
 * `content === null` marks a tombstone: deleted content is dropped, only ids and length stay,
 * because concurrent inserts may still name these items as origins.
 */
export class Run<C> {
  seq: number;
  len: number;
  content: C | null;
  block: Block<C>;
  entry: InsertEntry<C>;

  constructor(seq: number, len: number, content: C | null, block: Block<C>, entry: InsertEntry<C>) {
    this.seq = seq;
    this.len = len;
    this.content = content;
    this.block = block;
    this.entry = entry;
  }
}

/** Identity of the list element a moved slot carries, and the Lamport stamp of the move. */
export interface MoveMeta {
  ea: number;
  es: number;
  stamp: number;
}

/**
 * One insert operation as it was made: ids `agent:seq .. seq+len-1`, with the origins of its
 * first item (`oLa = -1`: document start) and the origin-right of all of them (`oRa = -1`:
 * document end). Its items live in fragments (runs), sorted by seq: `first` alone until a split,
 * then `frags` (which starts with `first`). An id resolves by two binary searches: entry within
 * the agent, fragment within the entry. (A list move's metadata is kept beside, in the core: it is
 * rare, and a field would cost every insert 8 bytes.)
 */
export class InsertEntry<C> {
  agent: number;
  seq: number;
  len: number;
  oLa: number;
  oLs: number;
  oRa: number;
  oRs: number;
  first: Run<C>;
  /** All fragments once the insert has been split; null while `first` holds every item. */
  frags: Run<C>[] | null = null;

  constructor(
    agent: number,
    seq: number,
    len: number,
    oLa: number,
    oLs: number,
    oRa: number,
    oRs: number,
    content: C | null,
    block: Block<C>,
  ) {
    this.agent = agent;
    this.seq = seq;
    this.len = len;
    this.oLa = oLa;
    this.oLs = oLs;
    this.oRa = oRa;
    this.oRs = oRs;
    this.first = new Run<C>(seq, len, content, block, this);
  }

  /** Number of fragments. */
  get count(): number {
    return this.frags === null ? 1 : this.frags.length;
  }

  /** Fragment `i` (0 <= i < count). */
  frag(i: number): Run<C> {
    return this.frags === null ? this.first : (this.frags[i] as Run<C>);
  }

  /** The fragment containing `seq` (which must lie in this entry). */
  fragOf(seq: number): Run<C> {
    return this.frags === null ? this.first : (this.frags[this.fragIndex(seq)] as Run<C>);
  }

  /** Index of the fragment containing `seq` (which must lie in this entry). */
  fragIndex(seq: number): number {
    const frags = this.frags;
    if (frags === null) return 0;
    let lo = 0;
    let hi = frags.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((frags[mid] as Run<C>).seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Adds fragment `r` right after `after` in seq order. The array is rebuilt at its exact size:
   * a pushed-to array reserves ~19 slots, and thousands of inserts are split into 2-5 fragments.
   */
  addFrag(after: Run<C>, r: Run<C>): void {
    const frags = this.frags;
    if (frags === null) {
      this.frags = [this.first, r];
      return;
    }
    const at = this.fragIndex(after.seq) + 1;
    const n = frags.length;
    const next = new Array<Run<C>>(n + 1);
    for (let i = 0; i < at; i++) next[i] = frags[i] as Run<C>;
    next[at] = r;
    for (let i = at; i < n; i++) next[i + 1] = frags[i] as Run<C>;
    this.frags = next;
  }

  /** Removes the fragment right after `before` (it was merged into `before`). */
  dropFragAfter(before: Run<C>): void {
    const frags = this.frags as Run<C>[];
    removeAt(frags, this.fragIndex(before.seq) + 1);
    if (frags.length === 1) this.frags = null;
  }
}

/**
 * A leaf of the run tree: up to {@link MAX_RUNS} consecutive runs with their cached visible
 * length. `idx` is the block's position in the tree, renumbered on the (rare) block split so that
 * two document positions compare by `(block.idx, run index, offset)`.
 */
export class Block<C> {
  runs: Run<C>[] = [];
  vis = 0;
  idx = 0;
}

/** Runs per block before it splits; small enough that splicing inside a block stays cheap. */
export const MAX_RUNS = 64;
