import { compareValues } from '../query/compareValues.js';

interface Chunk {
  keys: unknown[];
  ids: string[];
}

const MAX_CHUNK = 512;

export interface Bound {
  value: unknown;
  inclusive: boolean;
}

/**
 * A sorted multiset of (key, id) pairs kept as a list of small sorted chunks: insert and remove
 * cost a binary search plus a splice of at most `MAX_CHUNK` entries, so one write to a 100k-entry
 * ordered index stays in microseconds instead of moving the whole array. Ties on key are ordered
 * by id so every entry has exactly one position.
 */
export class SortedList {
  private chunks: Chunk[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Replaces the contents from already-sorted parallel arrays (bulk load: one sort, no splices). */
  load(keys: unknown[], ids: string[]): void {
    this.chunks = [];
    for (let i = 0; i < keys.length; i += MAX_CHUNK / 2) {
      this.chunks.push({ keys: keys.slice(i, i + MAX_CHUNK / 2), ids: ids.slice(i, i + MAX_CHUNK / 2) });
    }
    this.count = keys.length;
  }

  insert(key: unknown, id: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push({ keys: [key], ids: [id] });
      this.count = 1;
      return;
    }
    const ci = this.chunkFor(key, id);
    const chunk = this.chunks[ci] as Chunk;
    const pos = lowerBound(chunk, key, id);
    chunk.keys.splice(pos, 0, key);
    chunk.ids.splice(pos, 0, id);
    this.count++;
    if (chunk.keys.length > MAX_CHUNK) {
      const half = chunk.keys.length >> 1;
      this.chunks.splice(ci + 1, 0, { keys: chunk.keys.splice(half), ids: chunk.ids.splice(half) });
    }
  }

  /** Removes the pair; returns false if it was not present. */
  remove(key: unknown, id: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkFor(key, id);
    const chunk = this.chunks[ci] as Chunk;
    const pos = lowerBound(chunk, key, id);
    if (pos >= chunk.ids.length || chunk.ids[pos] !== id || compareValues(chunk.keys[pos], key) !== 0)
      return false;
    chunk.keys.splice(pos, 1);
    chunk.ids.splice(pos, 1);
    this.count--;
    if (chunk.keys.length === 0 && this.chunks.length > 1) this.chunks.splice(ci, 1);
    return true;
  }

  /** Ids with lower ≤ key ≤ upper (bounds optional), ascending or descending by (key, id). */
  *range(lower: Bound | undefined, upper: Bound | undefined, descending = false): Generator<string> {
    if (this.count === 0) return;
    const within = (k: unknown): number => {
      if (lower) {
        const c = compareValues(k, lower.value);
        if (c < 0 || (c === 0 && !lower.inclusive)) return -1;
      }
      if (upper) {
        const c = compareValues(k, upper.value);
        if (c > 0 || (c === 0 && !upper.inclusive)) return 1;
      }
      return 0;
    };
    if (!descending) {
      let ci = lower ? this.firstChunkAtLeast(lower.value) : 0;
      for (; ci < this.chunks.length; ci++) {
        const { keys, ids } = this.chunks[ci] as Chunk;
        for (let i = 0; i < keys.length; i++) {
          const w = within(keys[i]);
          if (w < 0) continue;
          if (w > 0) return;
          yield ids[i] as string;
        }
      }
    } else {
      let ci = upper ? this.lastChunkAtMost(upper.value) : this.chunks.length - 1;
      for (; ci >= 0; ci--) {
        const { keys, ids } = this.chunks[ci] as Chunk;
        for (let i = keys.length - 1; i >= 0; i--) {
          const w = within(keys[i]);
          if (w > 0) continue;
          if (w < 0) return;
          yield ids[i] as string;
        }
      }
    }
  }

  /** Counts entries in range by whole chunks at the edges (planner estimate, not exact). */
  estimate(lower: Bound | undefined, upper: Bound | undefined): number {
    if (this.chunks.length === 0) return 0;
    const from = lower ? this.firstChunkAtLeast(lower.value) : 0;
    const to = upper ? this.lastChunkAtMost(upper.value) : this.chunks.length - 1;
    let n = 0;
    for (let ci = from; ci <= to; ci++) n += (this.chunks[ci] as Chunk).keys.length;
    return n;
  }

  /** Index of the chunk where (key, id) belongs: the first whose last entry is ≥ it. */
  private chunkFor(key: unknown, id: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid] as Chunk;
      const last = c.keys.length - 1;
      if (comparePair(c.keys[last], c.ids[last] as string, key, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstChunkAtLeast(value: unknown): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid] as Chunk;
      if (compareValues(c.keys[c.keys.length - 1], value) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lastChunkAtMost(value: unknown): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareValues((this.chunks[mid] as Chunk).keys[0], value) > 0) hi = mid - 1;
      else lo = mid;
    }
    return lo;
  }
}

export function comparePair(k1: unknown, id1: string, k2: unknown, id2: string): number {
  const c = compareValues(k1, k2);
  if (c !== 0) return c;
  return id1 < id2 ? -1 : id1 > id2 ? 1 : 0;
}

function lowerBound(chunk: Chunk, key: unknown, id: string): number {
  let lo = 0;
  let hi = chunk.keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comparePair(chunk.keys[mid], chunk.ids[mid] as string, key, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
