import { compileReader } from '../query/path.js';

/** How a collection index is declared: `collection.createIndex(['status', 'site'], { kind: 'hash' })`. */
export interface IndexSpec {
  fields: string[];
  /** `hash` answers equality / `$in`; `ordered` also answers ranges and can provide a sort. */
  kind: 'hash' | 'ordered';
  name?: string;
}

/**
 * Returns the index keys a document contributes, reading paths exactly as the selector matcher
 * does: one tuple per combination of values and array elements (multikey), so `{ tags: 'x' }` and
 * `{ 'lines.sku': 'x' }` can be answered from an index. Missing values are keyed as `null`,
 * matching the selector rule that `{ f: null }` matches missing fields.
 */
export function compileKeys(fields: string[]): (doc: Record<string, unknown>) => unknown[][] {
  const simple = fields.every((f) => !f.includes('.'));
  const readers = fields.map(compileReader);
  return (doc) => {
    if (simple) {
      // Common case first: no array values, exactly one tuple.
      const tuple: unknown[] = [];
      let arrays = false;
      for (const f of fields) {
        const v = doc[f];
        if (Array.isArray(v)) arrays = true;
        tuple.push(v === undefined ? null : v);
      }
      if (!arrays) return [tuple];
    }
    let tuples: unknown[][] = [[]];
    for (let i = 0; i < fields.length; i++) {
      const options = simple ? valuesOf(doc[fields[i] as string]) : flatten((readers[i] as (d: unknown) => unknown[])(doc));
      if (options.length === 1) {
        for (const t of tuples) t.push(options[0]);
      } else {
        tuples = cartesian([tuples, options]).map(([t, o]) => [...(t as unknown[]), o]);
      }
    }
    return tuples;
  };
}

function valuesOf(v: unknown): unknown[] {
  if (v === undefined) return [null];
  if (!Array.isArray(v)) return [v];
  return v.length === 0 ? [null] : [...new Set(v)];
}

function flatten(values: unknown[]): unknown[] {
  const out = new Set<unknown>();
  for (const v of values) for (const x of valuesOf(v)) out.add(x);
  return [...out];
}

/**
 * The Map key of one tuple: a lone primitive is its own key (no string built per write); a tuple
 * of primitives is a tagged string (`s` string, `n` number, `b` boolean, `z` null) joined by
 * U+0001, several times cheaper than JSON on the write path; anything else (objects, or strings
 * containing U+0001) is `J` + JSON. Tags keep 1 and '1' apart and the three forms never collide.
 */
export function encodeKey(tuple: readonly unknown[]): unknown {
  if (tuple.length === 1) {
    const v = tuple[0];
    if (v === null || typeof v !== 'object') return v;
  }
  let key = '';
  for (let i = 0; i < tuple.length; i++) {
    const v = tuple[i];
    let part: string;
    if (typeof v === 'string') {
      if (v.includes('\u0001')) return 'J' + JSON.stringify(tuple);
      part = 's' + v;
    } else if (typeof v === 'number') part = 'n' + String(v);
    else if (typeof v === 'boolean') part = v ? 'b1' : 'b0';
    else if (v === null || v === undefined) part = 'z';
    else return 'J' + JSON.stringify(tuple);
    key = i === 0 ? part : key + '\u0001' + part;
  }
  return key;
}

/** Every combination of one value per list; stops growing once past `cap`. */
export function cartesian(lists: readonly (readonly unknown[])[], cap = Infinity): unknown[][] {
  let out: unknown[][] = [[]];
  for (const l of lists) {
    out = out.flatMap((t) => l.map((v) => [...t, v]));
    if (out.length > cap) return out;
  }
  return out;
}
