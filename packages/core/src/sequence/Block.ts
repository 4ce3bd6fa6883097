import type { Run } from './Run.js';

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
