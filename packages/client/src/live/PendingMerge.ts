import type { Comparator } from '../query/compileSort.js';
import type { Doc } from '../query/types.js';

/**
 * The writes of one commit that a live query has not placed in its sorted matches yet: ids to
 * drop and documents to add. `mergeInto` applies them in one pass over the matches (a filter,
 * a sort of the additions, a merge): O(n + k log k) for k writes into n matches, where placing
 * each write by `splice` cost O(n) per write.
 */
export class PendingMerge {
  /** Ids of documents in the matches that leave them (or are replaced by a newer version). */
  private readonly removed = new Set<string>();
  /** Documents to add, by id: the last write of an id wins. */
  private readonly added = new Map<string, Doc>();

  /**
   * Records one write. `wasMember`: the id is in the query's results as of the previous write
   * (in the matches, or added earlier in this commit); `after`: its new version if it matches.
   */
  write(id: string, wasMember: boolean, after: Doc | undefined): void {
    // A member not added in this commit sits in the matches: drop it there.
    if (wasMember && !this.added.delete(id)) this.removed.add(id);
    if (after !== undefined) this.added.set(id, after);
  }

  /** Applies the recorded writes to `matched` (sorted by `compare`, a total order) and clears them. */
  mergeInto(matched: Doc[], compare: Comparator): void {
    if (this.removed.size === 0 && this.added.size === 0) return;
    const removed = this.removed;
    const kept = removed.size === 0 ? matched.slice() : matched.filter((d) => !removed.has(d.id));
    const adds = [...this.added.values()].sort(compare);
    this.removed.clear();
    this.added.clear();
    matched.length = kept.length + adds.length;
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < kept.length && j < adds.length) {
      const a = kept[i] as Doc;
      const b = adds[j] as Doc;
      if (compare(b, a) < 0) {
        matched[o++] = b;
        j++;
      } else {
        matched[o++] = a;
        i++;
      }
    }
    while (i < kept.length) matched[o++] = kept[i++] as Doc;
    while (j < adds.length) matched[o++] = adds[j++] as Doc;
  }
}
