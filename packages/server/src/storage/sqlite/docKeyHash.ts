import { randomInt } from 'node:crypto';

/** 2^31 − 1, a Mersenne prime: hashes fit SQLite's 4-byte integer encoding. */
const P = 2147483647;

/**
 * The lookup key of a stored document: a polynomial hash of `tenant, id` modulo 2^31 − 1 with a
 * secret base chosen when the database was created.
 *
 * Why a hash and not the (tenant, id) text: every new document inserts one key at a random
 * position of the lookup index, so each commit rewrites most of that index's pages into the WAL;
 * a 4-byte integer key makes the index about 3x smaller, and with it the pages written per
 * commit. The index is not unique (the writer checks tenant and id), so a collision only costs an
 * extra row read. Why a secret base: two distinct keys of length ≤ L collide for at most L of the
 * ~2^31 bases, so without the base nobody can craft ids that pile up on one value (which would
 * make every insert and lookup of that value scan the pile).
 */
export function docKeyHash(base: number, tenant: string, id: string): number {
  const hi = Math.floor(base / 65536);
  const lo = base % 65536;
  let h = 0;
  // Coefficients: tenant chars + 1, then 0 (separator), then id chars + 1 — distinct pairs give
  // distinct polynomials (the leading coefficient is never 0: tenants are non-empty).
  // h * base mod P is split in 16-bit halves of the base so every product stays below 2^53.
  const step = (c: number): void => {
    h = (((h * hi) % P) * 65536 + h * lo + c) % P;
  };
  for (let i = 0; i < tenant.length; i++) step(tenant.charCodeAt(i) + 1);
  step(0);
  for (let i = 0; i < id.length; i++) step(id.charCodeAt(i) + 1);
  return h;
}

/** A random secret base in [2, 2^31 − 2] for a new database. */
export function newHashBase(): number {
  return randomInt(2, P - 1);
}
