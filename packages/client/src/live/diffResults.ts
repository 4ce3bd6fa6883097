import type { Doc } from '../query/types.js';
import type { ResultChange } from './ResultChange.js';

/**
 * Diffs two result lists. Only `touched` documents (those written in this commit) can be
 * changed or moved: untouched documents keep their relative order, so the relative rank of a
 * touched document among the documents present in both lists tells whether it moved.
 */
export function diffResults(
  prev: readonly Doc[],
  next: readonly Doc[],
  touched: ReadonlySet<string>,
): ResultChange[] {
  const prevIndex = new Map<string, number>();
  for (let i = 0; i < prev.length; i++) prevIndex.set((prev[i] as Doc).id, i);
  const nextIndex = new Map<string, number>();
  for (let i = 0; i < next.length; i++) nextIndex.set((next[i] as Doc).id, i);

  const changes: ResultChange[] = [];
  for (let i = 0; i < prev.length; i++) {
    const id = (prev[i] as Doc).id;
    if (!nextIndex.has(id)) changes.push({ type: 'removed', id, index: i });
  }
  const rankPrev = commonRanks(prev, nextIndex, touched);
  const rankNext = commonRanks(next, prevIndex, touched);
  for (let i = 0; i < next.length; i++) {
    const doc = next[i] as Doc;
    const from = prevIndex.get(doc.id);
    if (from === undefined) changes.push({ type: 'added', doc, index: i });
    else if (touched.has(doc.id)) {
      if (prev[from] !== doc) changes.push({ type: 'changed', doc, index: i });
      if (rankPrev.get(doc.id) !== rankNext.get(doc.id))
        changes.push({ type: 'moved', id: doc.id, from, to: i });
    }
  }
  return changes;
}

/** Rank of each touched document among the documents that are also in `other`. */
function commonRanks(
  list: readonly Doc[],
  other: ReadonlyMap<string, number>,
  touched: ReadonlySet<string>,
): Map<string, number> {
  const ranks = new Map<string, number>();
  let rank = 0;
  for (const doc of list) {
    if (!other.has(doc.id)) continue;
    if (touched.has(doc.id)) ranks.set(doc.id, rank);
    rank++;
  }
  return ranks;
}
