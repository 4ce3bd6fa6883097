/**
 * A short description of an untrusted value for an error message: a short string quoted, a
 * number or boolean as is, anything else by its kind. Never the whole value: it may be megabytes,
 * or nested so deep that serialising it (JSON.stringify) overflows the stack — which turned a
 * clean rejection into a RangeError (found by the decoder fuzzers, packages/core/test/fuzz).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}
