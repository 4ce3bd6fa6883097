import type { CompiledQuery } from './compileQuery.js';
import { compileQuery } from './compileQuery.js';
import type { FindOptions } from './types.js';

const MAX = 512;
const cache = new Map<string, CompiledQuery>();
const UNCACHEABLE = new Error('uncacheable');

/**
 * `compileQuery` with a small LRU keyed by the selector and options as JSON. Apps re-run the
 * same few query shapes constantly (every render, every `findOne`), and compiling costs more than
 * answering an indexed equality query. Compiled queries are immutable, so sharing is safe.
 * Selectors holding values JSON cannot represent faithfully (RegExp, Date, undefined, NaN…) are
 * compiled without the cache.
 */
export function compileQueryCached(selector: unknown, options: FindOptions | undefined): CompiledQuery {
  const key = keyOf(selector, options);
  if (key === undefined) return compileQuery(selector, options);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const q = compileQuery(selector, options);
  cache.set(key, q);
  if (cache.size > MAX) cache.delete(cache.keys().next().value as string);
  return q;
}

function keyOf(selector: unknown, options: unknown): string | undefined {
  try {
    return JSON.stringify(
      [selector ?? null, options ?? null],
      function (this: Record<string, unknown>, k, v: unknown) {
        const orig = k === '' ? v : this[k];
        if (orig === undefined || typeof orig === 'function' || typeof orig === 'symbol') throw UNCACHEABLE;
        if (typeof orig === 'number' && !Number.isFinite(orig)) throw UNCACHEABLE;
        if (
          orig !== null &&
          typeof orig === 'object' &&
          !Array.isArray(orig) &&
          Object.getPrototypeOf(orig) !== Object.prototype
        )
          throw UNCACHEABLE;
        return v;
      },
    );
  } catch (e) {
    if (e === UNCACHEABLE) return undefined;
    throw e;
  }
}
