import { isRecord } from '../util/json.js';
import { ProtocolError } from './ProtocolError.js';

/**
 * The few checks every protocol validator is made of. Each throws `ProtocolError` naming the
 * path and rule, or returns the value narrowed. Hand-written rather than a schema library:
 * core has no runtime dependencies, and the messages are few and small.
 */

/** Joins a path and a key: `results` + 2 → `results[2]`, `error` + `code` → `error.code`. */
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

export function wireObject(v: unknown, path: string): Record<string, unknown> {
  if (!isRecord(v)) throw new ProtocolError(path, 'object', `expected a JSON object, got ${kindOf(v)}`);
  return v;
}

export function wireArray(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(path, 'array', `expected an array, got ${kindOf(v)}`);
  return v;
}

export function wireString(v: unknown, path: string, nonEmpty = false): string {
  if (typeof v !== 'string') throw new ProtocolError(path, 'string', `expected a string, got ${kindOf(v)}`);
  if (nonEmpty && v === '') throw new ProtocolError(path, 'non-empty', 'expected a non-empty string');
  return v;
}

export function wireBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean')
    throw new ProtocolError(path, 'boolean', `expected true or false, got ${kindOf(v)}`);
  return v;
}

/** A cursor, head or count: a non-negative safe integer (1e400 parses to Infinity: refused). */
export function wireCursor(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ProtocolError(path, 'cursor', `expected a non-negative integer, got ${kindOf(v)}`);
  return v;
}

/** A finite number (limits, sizes). */
export function wireNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ProtocolError(path, 'number', `expected a finite number, got ${kindOf(v)}`);
  return v;
}

export function wireOneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new ProtocolError(path, 'enum', `expected one of ${allowed.join(', ')}, got ${kindOf(v)}`);
  return v as T;
}

/** Parses JSON text; malformed or truncated text is rule `json` at the root. */
export function wireJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ProtocolError('', 'json', `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** A short description of what was found, for messages (never the whole value: it may be huge). */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} chars` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}
