import type { Comparator } from '../query/compileSort.js';
import type { Doc } from '../query/types.js';
import type { ResultChange } from './ResultChange.js';

/**
 * Diffs two result lists. Only `touched` documents (those written in this commit) can be
 * changed or moved: untouched documents keep their relative order. The changes replay: removed
 * and moved documents leave their old slots, added and moved ones take their new slots, and the
 * rest keep their relative order in the remaining slots.
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
  const moved = movedAmong(gapsOf(prev, nextIndex, touched), gapsOf(next, prevIndex, touched), nextIndex);
  for (let i = 0; i < next.length; i++) {
    const doc = next[i] as Doc;
    const from = prevIndex.get(doc.id);
    if (from === undefined) changes.push({ type: 'added', doc, index: i });
    else if (touched.has(doc.id)) {
      if (prev[from] !== doc) changes.push({ type: 'changed', doc, index: i });
      if (moved.has(doc.id)) changes.push({ type: 'moved', id: doc.id, from, to: i });
    }
  }
  return changes;
}

/**
 * `diffResults` for two lists that each hold every match of a query (no `skip`/`limit`), with the
 * same answer. Then a document nobody wrote is in both, in the same relative order, so only the
 * touched ones need a position: two maps of the touched documents instead of two of every
 * result (a first sync touches 5,000 of 100,000 results per page).
 */
export function diffMatches(
  prev: readonly Doc[],
  next: readonly Doc[],
  touched: ReadonlySet<string>,
  locate?: TouchedDocs,
): ResultChange[] {
  const prevIndex =
    (locate && positionsBySearch(prev, locate.before, locate.compare)) ?? touchedPositions(prev, touched);
  const nextIndex =
    (locate && positionsBySearch(next, locate.after, locate.compare)) ?? touchedPositions(next, touched);
  const changes: ResultChange[] = [];
  for (const [id, i] of prevIndex) if (!nextIndex.has(id)) changes.push({ type: 'removed', id, index: i });
  // The untouched documents sit between the touched ones: the gap of a touched document is the
  // number of untouched ones before it, its position minus the touched ones before it.
  const gaps = (positions: Map<string, number>): Map<string, number> => {
    const out = new Map<string, number>();
    let before = 0;
    for (const [id, i] of positions) out.set(id, i - before++);
    return out;
  };
  const moved = movedAmong(gaps(prevIndex), gaps(nextIndex), nextIndex);
  for (const [id, i] of nextIndex) {
    const doc = next[i] as Doc;
    const from = prevIndex.get(id);
    if (from === undefined) {
      changes.push({ type: 'added', doc, index: i });
      continue;
    }
    if (prev[from] !== doc) changes.push({ type: 'changed', doc, index: i });
    if (moved.has(id)) changes.push({ type: 'moved', id, from, to: i });
  }
  return changes;
}

/**
 * The touched documents in both lists to report as moved. The untouched documents in both lists
 * (anchors) keep their order; a touched one may stay unreported only if it sits in the same gap
 * between anchors in both lists and after the last one kept, in `next`, so everything kept
 * (anchors included) is in the same relative order in both lists. `gapPrev` is in `prev` order
 * and holds every touched document of `prev` (its gap: anchors before it); `gapNext` the same
 * for `next`; a document in only one list is neither kept nor reported.
 */
function movedAmong(
  gapPrev: ReadonlyMap<string, number>,
  gapNext: ReadonlyMap<string, number>,
  nextIndex: ReadonlyMap<string, number>,
): Set<string> {
  const moved = new Set<string>();
  let lastKept = -1;
  for (const [id, gap] of gapPrev) {
    const at = gapNext.get(id);
    if (at === undefined) continue;
    const to = nextIndex.get(id) as number;
    if (at === gap && to > lastKept) lastKept = to;
    else moved.add(id);
  }
  return moved;
}

/** For each touched document of `list` also in `other`, in list order: the anchors before it. */
function gapsOf(
  list: readonly Doc[],
  other: ReadonlyMap<string, number>,
  touched: ReadonlySet<string>,
): Map<string, number> {
  const gaps = new Map<string, number>();
  let anchors = 0;
  for (const doc of list) {
    if (!other.has(doc.id)) continue;
    if (touched.has(doc.id)) gaps.set(doc.id, anchors);
    else anchors++;
  }
  return gaps;
}

/**
 * The touched documents as they are in each list, so that `diffMatches` can find them by binary
 * search (O(k log n)) instead of scanning both lists (a first sync touches 5,000 of 100,000
 * results per page, 20 times): each touched id maps to its version in `prev` (`before`) and in
 * `next` (`after`), undefined where it is not in that list. `compare` is the lists' total order.
 */
export interface TouchedDocs {
  readonly compare: Comparator;
  readonly before: ReadonlyMap<string, Doc | undefined>;
  readonly after: ReadonlyMap<string, Doc | undefined>;
}

/**
 * `touchedPositions` by binary search for each document of `docs`; undefined (the caller then
 * scans) if one is not where its sort key says, which a version not equal to the listed one
 * would cause.
 */
function positionsBySearch(
  list: readonly Doc[],
  docs: ReadonlyMap<string, Doc | undefined>,
  compare: Comparator,
): Map<string, number> | undefined {
  const found: Array<[string, number]> = [];
  for (const [id, doc] of docs) {
    if (doc === undefined) continue;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(list[mid] as Doc, doc) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo]?.id !== id) return undefined;
    found.push([id, lo]);
  }
  found.sort((a, b) => a[1] - b[1]);
  return new Map(found);
}

/** Position of each touched document in `list`, in list order. */
function touchedPositions(list: readonly Doc[], touched: ReadonlySet<string>): Map<string, number> {
  const at = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const id = (list[i] as Doc).id;
    if (touched.has(id)) at.set(id, i);
  }
  return at;
}
