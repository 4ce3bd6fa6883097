/** Sorts after every value; closes the upper end of a compound-index prefix scan. */
export const MAX_KEY: unique symbol = Symbol('fieldsync.maxKey');

/**
 * Total order over JSON-ish values used by sorting, ranges and ordered indexes. Values of
 * different kinds are ordered by a fixed rank (as MongoDB does) so that a sort never throws and
 * an ordered index never has to reject a key.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeof a;
  // Fast paths for the kinds indexes see 99% of the time.
  if (ta === typeof b) {
    if (ta === 'number') return compareNumbers(a as number, b as number);
    if (ta === 'string') return (a as string) < (b as string) ? -1 : 1;
  }
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return compareNumbers(a as number, b as number);
    case 2:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 3:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case 4:
      return compareArrays(a as unknown[], b as unknown[]);
    case 5:
      return a === b ? 0 : a ? 1 : -1;
    case 6:
      return compareValues((a as Date).getTime(), (b as Date).getTime());
    default:
      return 0;
  }
}

/**
 * Numbers in their order, NaN before every other number (as MongoDB sorts it). NaN must have a
 * place: "equal to everything" is not an order, and a sort or an index built from one depends on
 * the order documents arrived in.
 */
export function compareNumbers(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  return x !== x ? (y !== y ? 0 : -1) : 1;
}

/** null/undefined < numbers < strings < objects < arrays < booleans < dates. */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'number':
      return 1;
    case 'string':
      return 2;
    case 'boolean':
      return 5;
    case 'symbol':
      return v === MAX_KEY ? 7 : 3;
    case 'object':
      if (Array.isArray(v)) return 4;
      if (v instanceof Date) return 6;
      return 3;
    default:
      return 3;
  }
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const k1 = ka[i] as string;
    const k2 = kb[i] as string;
    if (k1 !== k2) return k1 < k2 ? -1 : 1;
    const c = compareValues(a[k1], b[k2]);
    if (c !== 0) return c;
  }
  return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
}

/** Structural equality with the same semantics as `compareValues(a, b) === 0`. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  return compareValues(a, b) === 0;
}
