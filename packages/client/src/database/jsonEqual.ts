/**
 * Structural equality of two JSON values (object key order ignored, array order kept).
 *
 * Why: a resync after a restore compares every local document with the server's; for the
 * (usual) identical ones this check on the JSON form is several times cheaper than encoding both
 * states, and needs no parse of the server's. Unequal by this check is not proof of a
 * difference (two equal states may list set tags in another order): the caller then compares
 * canonical encodings.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !jsonEqual(x[k], y[k])) return false;
    n++;
  }
  for (const k in y) if (Object.hasOwn(y, k)) n--;
  return n === 0;
}
