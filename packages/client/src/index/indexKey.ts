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
      const options = simple
        ? valuesOf(doc[fields[i] as string])
        : flatten((readers[i] as (d: unknown) => unknown[])(doc));
      if (options.length === 1) {
        for (const t of tuples) t.push(options[0]);
      } else {
        const next: unknown[][] = [];
        for (const t of tuples) for (const o of options) next.push([...t, o]);
        tuples = next;
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
    const part = keyPart(tuple[i]);
    if (part === undefined) return 'J' + JSON.stringify(tuple);
    key = i === 0 ? part : key + '\u0001' + part;
  }
  return key;
}

/** One value's tagged part of a compound key (see `encodeKey`); undefined when it needs JSON. */
function keyPart(v: unknown): string | undefined {
  if (typeof v === 'string') return v.includes('\u0001') ? undefined : 's' + v;
  if (typeof v === 'number') return 'n' + String(v);
  if (typeof v === 'boolean') return v ? 'b1' : 'b0';
  if (v === null || v === undefined) return 'z';
  return undefined;
}

/** What {@link compileKey} returns for a document it cannot key in one go (see there). */
export const SEVERAL: unique symbol = Symbol('several keys');

/**
 * The write path's shortcut to `compileKeys(fields)` + `encodeKey`: the one encoded key of a
 * document whose indexed fields are top-level and hold no arrays or objects — every write of a
 * typical app — built without the tuple arrays. `SEVERAL` otherwise (dotted paths, arrays,
 * objects): the caller then takes the general path. Both give the same keys (tested).
 */
export function compileKey(fields: readonly string[]): (doc: Record<string, unknown>) => unknown {
  if (fields.some((f) => f.includes('.'))) return () => SEVERAL;
  if (fields.length === 1) {
    const f = fields[0] as string;
    return (doc) => {
      const v = doc[f];
      if (v === undefined || v === null) return null;
      return typeof v === 'object' ? SEVERAL : v;
    };
  }
  return (doc) => {
    let key = '';
    for (let i = 0; i < fields.length; i++) {
      const v = doc[fields[i] as string];
      if (v !== null && typeof v === 'object') return SEVERAL;
      const part = keyPart(v);
      if (part === undefined) return SEVERAL;
      key = i === 0 ? part : key + '\u0001' + part;
    }
    return key;
  };
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
