/**
 * JSON helpers shared by the document codec and the CRDTs. Canonical JSON (sorted keys, no
 * whitespace) is what makes `encodeDoc` byte-identical for equal states on every replica.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** True for a plain object (not null, not an array). */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * True for a name every plain object inherits (`toString`, `constructor`, `hasOwnProperty`,
 * `__proto__` …). Documents keep fields and registers in plain objects looked up by name, so a
 * field of such a name would read the inherited member where it is absent (a function taken for a
 * stored state), and `__proto__` would replace the prototype when written.
 */
export function isInheritedKey(key: string): boolean {
  return key in Object.prototype;
}

/**
 * True if `x` is JSON-representable (finite numbers, plain objects, arrays, no undefined) and
 * nested at most `maxDepth` levels (checking recurses once per level).
 */
export function isJson(x: unknown, maxDepth = 64): boolean {
  if (maxDepth < 0) return false;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) {
    for (const v of x) if (!isJson(v, maxDepth - 1)) return false;
    return true;
  }
  if (isRecord(x)) {
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k in x) if (!isJson(x[k], maxDepth - 1)) return false;
    return true;
  }
  return false;
}

/** Canonical JSON: object keys sorted by code unit, `undefined` members omitted. */
export function canonicalJson(x: unknown): string {
  if (x === null || typeof x !== 'object') return JSON.stringify(x) ?? 'null';
  if (Array.isArray(x)) {
    let out = '[';
    for (let i = 0; i < x.length; i++)
      out += (i ? ',' : '') + canonicalJson(x[i] === undefined ? null : x[i]);
    return out + ']';
  }
  const rec = x as Record<string, unknown>;
  const keys = Object.keys(rec).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    if (rec[k] === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(rec[k]);
    first = false;
  }
  return out + '}';
}

/** Deterministic total order on JSON values (by canonical form); used only to break stamp ties. */
export function compareJson(a: unknown, b: unknown): number {
  const x = canonicalJson(a);
  const y = canonicalJson(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
