import type { Stamp } from '../clock/stamp.js';

/** One log entry: written at stamp `s`, the `n`-th value appended by that change. */
export interface LogEntry {
  s: Stamp;
  n: number;
  v: unknown;
}

/**
 * Append-only log (notes, history): entries are never edited or removed, only added; each has a
 * unique id (`stamp/n`) and the log is ordered by (stamp, n), so every replica shows the same
 * order and no entry is ever lost. The join is the sorted union.
 */
export interface LogState {
  k: 'l';
  e: LogEntry[];
}

/** The id of an entry, unique because the stamp is. */
export function logEntryId(e: LogEntry): string {
  return `${e.s}/${e.n}`;
}

function cmp(x: LogEntry, y: LogEntry): number {
  return x.s < y.s ? -1 : x.s > y.s ? 1 : x.n - y.n;
}

/** The entries a change at `stamp` appends. */
export function logAppend(values: readonly unknown[], stamp: Stamp): LogState {
  return { k: 'l', e: values.map((v, n) => ({ s: stamp, n, v })) };
}

/** Sorted union by id (an id seen twice is the same entry). Pure, linear time. */
export function mergeLog(a: LogState, b: LogState): LogState {
  if (a === b) return a;
  const out: LogEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.e.length || j < b.e.length) {
    const x = a.e[i];
    const y = b.e[j];
    if (y === undefined || (x !== undefined && cmp(x, y) < 0)) {
      out.push(x as LogEntry);
      i++;
    } else if (x === undefined || cmp(x, y) > 0) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return { k: 'l', e: out };
}

/** Entries as apps see them, oldest first. */
export function logEntries(l: LogState): { id: string; stamp: Stamp; value: unknown }[] {
  return l.e.map((e) => ({ id: logEntryId(e), stamp: e.s, value: e.v }));
}
