// The run tree's records, which point at each other: a run knows its block and its insert entry,
// a block holds runs, an entry holds the runs its items were split into. They live in one module
// so that the types need no import cycle.

/**
 * A run of consecutive items inserted by one replica (ids `agent:seq .. agent:seq+len-1`), lying
 * next to each other in document order, all visible or all deleted. Only the first item's
 * origins are stored: item `k > 0` has origin-left `agent:seq+k-1` and the same origin-right, which
 * is exactly what typing produces and what splitting a run preserves.
 *
 * `content === null` marks a tombstone: deleted content is dropped, only ids and length stay,
 * because concurrent inserts may still name these items as origins.
 */
export class Run<C> {
  agent: number;
  seq: number;
  len: number;
  content: C | null;
  /** Origin-left of the first item (`oLa = -1`: document start). */
  oLa: number;
  oLs: number;
  /** Origin-right of every item (`oRa = -1`: document end). */
  oRa: number;
  oRs: number;
  block: Block<C>;
  entry: InsertEntry<C>;

  constructor(
    agent: number,
    seq: number,
    len: number,
    content: C | null,
    oLa: number,
    oLs: number,
    oRa: number,
    oRs: number,
    block: Block<C>,
    entry: InsertEntry<C> | null,
  ) {
    this.agent = agent;
    this.seq = seq;
    this.len = len;
    this.content = content;
    this.oLa = oLa;
    this.oLs = oLs;
    this.oRa = oRa;
    this.oRs = oRs;
    this.block = block;
    this.entry = entry ?? new InsertEntry<C>(seq, len, this);
  }
}

/** Identity of the list element a moved slot carries, and the Lamport stamp of the move. */
export interface MoveMeta {
  ea: number;
  es: number;
  stamp: number;
}

/**
 * One insert operation as it was made: ids `seq .. seq+len-1` of one agent. `frags` are the runs
 * holding its items, sorted by seq (splits add fragments), so an id resolves by two binary
 * searches: entry within the agent, fragment within the entry.
 */
export class InsertEntry<C> {
  seq: number;
  len: number;
  frags: Run<C>[];
  move: MoveMeta | undefined = undefined;
  constructor(seq: number, len: number, first: Run<C>) {
    this.seq = seq;
    this.len = len;
    this.frags = [first];
  }

  /** Index in `frags` of the fragment containing `seq` (which must lie in this entry). */
  fragIndex(seq: number): number {
    const frags = this.frags;
    let lo = 0;
    let hi = frags.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((frags[mid] as Run<C>).seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return lo;
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
