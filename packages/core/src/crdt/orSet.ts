import type { Stamp } from '../clock/stamp.js';
import { canonicalJson } from '../util/json.js';

/**
 * Add-wins observed-remove set (tags, multi-select). Every add creates a unique tag
 * (`stamp/n`); a remove deletes only the tags its writer had observed. An add concurrent with a
 * remove has a tag the remove never saw, so the element stays: add wins.
 *
 * `a` maps live tags to their value; `r` is the sorted list of removed tags (tombstones — they
 * are what keeps a removed tag from coming back; see "known limits" in docs/crdt.md).
 */
export interface SetState {
  k: 's';
  a: Record<string, unknown>;
  r: string[];
}

/** An empty set. */
export function emptySet(): SetState {
  return { k: 's', a: {}, r: [] };
}

/** The state a change at `stamp` contributes: adds `values` and removes the `removed` tags. */
export function setDelta(values: readonly unknown[], removed: readonly string[], stamp: Stamp): SetState {
  const a: Record<string, unknown> = {};
  for (let n = 0; n < values.length; n++) a[`${stamp}/${n}`] = values[n];
  return { k: 's', a, r: [...new Set(removed)].sort() };
}

function unionSorted(x: string[], y: string[]): string[] {
  if (x.length === 0) return y;
  if (y.length === 0) return x;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const p = x[i];
    const q = y[j];
    if (q === undefined || (p !== undefined && p < q)) {
      out.push(p as string);
      i++;
    } else if (p === undefined || p > q) {
      out.push(q);
      j++;
    } else {
      out.push(p);
      i++;
      j++;
    }
  }
  return out;
}

/** Join: union of adds minus union of removes. Pure. */
export function mergeSet(x: SetState, y: SetState): SetState {
  if (x === y) return x;
  const r = unionSorted(x.r, y.r);
  const removed = new Set(r);
  const a: Record<string, unknown> = {};
  for (const t in x.a) if (!removed.has(t)) a[t] = x.a[t];
  for (const t in y.a) if (!removed.has(t)) a[t] = y.a[t];
  return { k: 's', a, r };
}

/** The live tags of each element, keyed by the element's canonical JSON. */
export function setTags(s: SetState): Map<string, { value: unknown; tags: string[] }> {
  const out = new Map<string, { value: unknown; tags: string[] }>();
  for (const t in s.a) {
    const key = canonicalJson(s.a[t]);
    const hit = out.get(key);
    if (hit) hit.tags.push(t);
    else out.set(key, { value: s.a[t], tags: [t] });
  }
  return out;
}

/** The elements, each once, in canonical-JSON order (the same on every replica). */
export function setValues(s: SetState): unknown[] {
  const m = setTags(s);
  return [...m.keys()].sort().map((k) => (m.get(k) as { value: unknown }).value);
}
