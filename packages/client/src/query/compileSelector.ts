import { compareValues, valuesEqual } from './compareValues.js';
import { QueryError } from './errors.js';
import { compileReader } from './path.js';
import type { Selector } from './types.js';

/** A compiled selector: pure, allocation-free for top-level fields, safe to call per write. */
export type Predicate = (doc: Record<string, unknown>) => boolean;
type ValueTest = (v: unknown) => boolean;

const FIELD_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$regex',
  '$options',
  '$not',
  '$size',
]);

/**
 * Compiles a selector once into a predicate. All validation happens here, so a malformed
 * selector fails before any read or subscription, with a `QueryError` naming the bad path.
 */
export function compileSelector(selector: unknown, at = ''): Predicate {
  if (selector === undefined || selector === null) return () => true;
  if (!isPlainObject(selector)) throw new QueryError('selector must be an object', at);
  const parts: Predicate[] = [];
  for (const [key, cond] of Object.entries(selector as Selector)) {
    const here = at ? `${at}.${key}` : key;
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(cond) || cond.length === 0)
        throw new QueryError(`${key} needs a non-empty array of selectors`, here);
      const subs = cond.map((s, i) => compileSelector(s, `${here}[${i}]`));
      if (key === '$and') parts.push((d) => subs.every((p) => p(d)));
      else if (key === '$or') parts.push((d) => subs.some((p) => p(d)));
      else parts.push((d) => !subs.some((p) => p(d)));
    } else if (key.startsWith('$')) {
      throw new QueryError(`unknown top-level operator ${key}`, here);
    } else if (key === '') {
      throw new QueryError('empty field path', here);
    } else {
      parts.push(compileField(key, cond, here));
    }
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0] as Predicate;
  return (d) => {
    for (const p of parts) if (!p(d)) return false;
    return true;
  };
}

/** True when `cond` is `{ $op: … }` (all keys operators); mixing operators and fields is an error. */
export function isOperatorObject(cond: unknown, at: string): cond is Record<string, unknown> {
  if (!isPlainObject(cond)) return false;
  const keys = Object.keys(cond as object);
  const ops = keys.filter((k) => k.startsWith('$')).length;
  if (ops > 0 && ops !== keys.length)
    throw new QueryError('cannot mix operators and fields in one condition', at);
  return ops > 0;
}

function compileField(path: string, cond: unknown, at: string): Predicate {
  if (cond instanceof RegExp) return fieldMatches(path, regexTest(cond));
  if (!isOperatorObject(cond, at)) return fieldMatches(path, equalsTest(cond));
  const parts: Predicate[] = [];
  const ops = cond;
  for (const [op, operand] of Object.entries(ops)) {
    const here = `${at}.${op}`;
    if (!FIELD_OPERATORS.has(op)) throw new QueryError(`unknown operator ${op}`, here);
    switch (op) {
      case '$eq':
        parts.push(fieldMatches(path, equalsTest(operand)));
        break;
      case '$ne':
        parts.push(not(fieldMatches(path, equalsTest(operand))));
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        parts.push(fieldMatches(path, rangeTest(op, operand, here)));
        break;
      case '$in':
        parts.push(fieldMatches(path, inTest(operand, here)));
        break;
      case '$nin':
        parts.push(not(fieldMatches(path, inTest(operand, here))));
        break;
      case '$exists': {
        if (typeof operand !== 'boolean') throw new QueryError('$exists needs true or false', here);
        const exists = fieldExists(path);
        parts.push(operand ? exists : not(exists));
        break;
      }
      case '$regex':
        parts.push(fieldMatches(path, regexTest(toRegExp(operand, ops.$options, here))));
        break;
      case '$options':
        if (!('$regex' in ops)) throw new QueryError('$options without $regex', here);
        break;
      case '$size':
        parts.push(sizeMatches(path, sizeOperand(operand, here)));
        break;
      case '$not':
        if (!(operand instanceof RegExp) && !isOperatorObject(operand, here)) {
          throw new QueryError('$not needs an operator object or a regular expression', here);
        }
        parts.push(not(compileField(path, operand, here)));
        break;
    }
  }
  if (parts.length === 0) throw new QueryError('empty operator object', at);
  if (parts.length === 1) return parts[0] as Predicate;
  return (d) => parts.every((p) => p(d));
}

/** The field matches when any value at the path (or any element of an array value) passes. */
function fieldMatches(path: string, test: ValueTest): Predicate {
  if (!path.includes('.')) {
    return (d) => {
      const v = d[path];
      if (test(v)) return true;
      return Array.isArray(v) && v.some(test);
    };
  }
  const read = compileReader(path);
  return (d) => read(d).some((v) => test(v) || (Array.isArray(v) && v.some(test)));
}

/**
 * `$size` as in MongoDB: the value at the path is an array of exactly that length (list, set and
 * log fields materialize as arrays; a string is not an array, so text never matches).
 */
function sizeMatches(path: string, n: number): Predicate {
  if (!path.includes('.')) {
    return (d) => {
      const v = d[path];
      return Array.isArray(v) && v.length === n;
    };
  }
  const read = compileReader(path);
  return (d) => read(d).some((v) => Array.isArray(v) && v.length === n);
}

function sizeOperand(operand: unknown, at: string): number {
  if (typeof operand !== 'number' || !Number.isInteger(operand) || operand < 0)
    throw new QueryError('$size needs a non-negative integer', at);
  return operand;
}

function fieldExists(path: string): Predicate {
  if (!path.includes('.')) return (d) => d[path] !== undefined;
  const read = compileReader(path);
  return (d) => read(d).some((v) => v !== undefined);
}

function not(p: Predicate): Predicate {
  return (d) => !p(d);
}

function equalsTest(expected: unknown): ValueTest {
  if (expected === null || expected === undefined) return (v) => v === null || v === undefined;
  if (typeof expected !== 'object') return (v) => v === expected;
  return (v) => valuesEqual(v, expected);
}

function rangeTest(op: string, operand: unknown, at: string): ValueTest {
  if (operand === undefined || typeof operand === 'function')
    throw new QueryError(`${op} needs a comparable value`, at);
  // Ranges only compare values of the same kind, as in MongoDB: { $gt: 3 } never matches 'x'.
  const kind = kindOf(operand);
  const ok = (v: unknown): boolean => v !== undefined && kindOf(v) === kind;
  switch (op) {
    case '$gt':
      return (v) => ok(v) && compareValues(v, operand) > 0;
    case '$gte':
      return (v) => ok(v) && compareValues(v, operand) >= 0;
    case '$lt':
      return (v) => ok(v) && compareValues(v, operand) < 0;
    default:
      return (v) => ok(v) && compareValues(v, operand) <= 0;
  }
}

function inTest(operand: unknown, at: string): ValueTest {
  if (!Array.isArray(operand)) throw new QueryError('$in/$nin need an array', at);
  const primitives = new Set<unknown>();
  const others: ValueTest[] = [];
  for (const x of operand) {
    if (x instanceof RegExp) others.push(regexTest(x));
    else if (x === null || x === undefined) {
      primitives.add(null);
      primitives.add(undefined);
    } else if (typeof x === 'object') others.push(equalsTest(x));
    else primitives.add(x);
  }
  if (others.length === 0) return (v) => primitives.has(v);
  return (v) => primitives.has(v) || others.some((t) => t(v));
}

function toRegExp(pattern: unknown, options: unknown, at: string): RegExp {
  if (options !== undefined && typeof options !== 'string')
    throw new QueryError('$options must be a string', at);
  if (pattern instanceof RegExp) return options ? new RegExp(pattern.source, options) : pattern;
  if (typeof pattern !== 'string') throw new QueryError('$regex needs a string or RegExp', at);
  try {
    return new RegExp(pattern, options);
  } catch (e) {
    throw new QueryError(`invalid regular expression: ${(e as Error).message}`, at);
  }
}

function regexTest(re: RegExp): ValueTest {
  // Global/sticky regexps carry lastIndex state between test() calls; strip them.
  const safe = re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
  return (v) => typeof v === 'string' && safe.test(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
