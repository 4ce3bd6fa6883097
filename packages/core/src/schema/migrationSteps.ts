import type { ValueMap } from './typeDef.js';

/**
 * What migration steps (declared with the type, see {@link MigrationStep} in typeDef.ts) do to
 * field data: the keys hidden fields are kept under, and `changeType`'s value conversion.
 */

/** The key under which a field's data is kept hidden after `removeField`/`changeType`/`changeMerge` at `version`. */
export function hiddenKey(version: number, field: string): string {
  return `$h:${version}:${field}`;
}

/** True for a hidden-field key (`$h:<version>:<field>`). Hidden data is kept and merged, never shown. */
export function isHiddenKey(key: string): boolean {
  return key.charCodeAt(0) === 36 && key.startsWith('$h:');
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Converts one value; `undefined` (unset) stays unset. Returns `{ ok: false }` when the value
 * cannot be converted (the caller applies the fail rule).
 */
export function mapValue(
  map: ValueMap | undefined,
  value: unknown,
): { ok: true; value: unknown } | { ok: false } {
  if (value === undefined || map === undefined) return { ok: true, value };
  switch (map.kind) {
    case 'toString':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? { ok: true, value: String(value) }
        : { ok: false };
    case 'toNumber': {
      if (typeof value === 'number') return { ok: true, value };
      if (typeof value !== 'string' || !NUMERIC.test(value.trim())) return { ok: false };
      const n = Number(value.trim());
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false };
    }
    case 'enum':
      return typeof value === 'string' && Object.prototype.hasOwnProperty.call(map.values, value)
        ? { ok: true, value: map.values[value] }
        : { ok: false };
  }
}

/** Converts a value and applies the fail rule. */
export function convertValue(map: ValueMap | undefined, value: unknown): unknown {
  const r = mapValue(map, value);
  if (r.ok) return r.value;
  const rule = map && map.kind !== 'toString' ? map.onFail : undefined;
  return rule === undefined || rule === 'unset' ? undefined : rule.default;
}
