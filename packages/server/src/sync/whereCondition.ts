import { isRecord } from '@fieldsync/core';
import { DomainError } from './DomainError.js';
import type { DocView } from '../auth/rules.js';

/** A compiled partial-sync condition: does this document's materialized view match? */
export type WhereTest = (view: DocView) => boolean;

const same = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));
const orderable = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';

/**
 * Order is defined only between two numbers or two strings. A field of another type (or absent)
 * never matches a range, so a filter like `updatedAt ≥ X` cannot pull documents whose field is
 * missing or mistyped — the client would otherwise replicate what it did not ask for.
 */
function compare(op: '$gt' | '$gte' | '$lt' | '$lte', bound: number | string): (v: unknown) => boolean {
  const ok = (v: unknown): v is number | string => orderable(v) && typeof v === typeof bound;
  switch (op) {
    case '$gt':
      return (v) => ok(v) && v > bound;
    case '$gte':
      return (v) => ok(v) && v >= bound;
    case '$lt':
      return (v) => ok(v) && v < bound;
    case '$lte':
      return (v) => ok(v) && v <= bound;
  }
}

function bad(field: string, op: string | undefined, rule: string, message: string): never {
  throw new DomainError(
    'bad_filter',
    message,
    op === undefined ? `where.${field}` : `where.${field}.${op}`,
    rule,
  );
}

/** One operator of one field's condition, checked and compiled. */
function operator(field: string, op: string, arg: unknown): (v: unknown) => boolean {
  switch (op) {
    case '$eq':
      return (v) => same(arg, v);
    case '$ne':
      return (v) => !same(arg, v);
    case '$in':
    case '$nin': {
      if (!Array.isArray(arg)) bad(field, op, 'array', `${op} on "${field}" needs an array of values`);
      const values: readonly unknown[] = arg;
      return op === '$in' ? (v) => values.some((x) => same(x, v)) : (v) => !values.some((x) => same(x, v));
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (!orderable(arg)) bad(field, op, 'orderable', `${op} on "${field}" needs a number or a string`);
      return compare(op, arg);
    case '$exists':
      if (typeof arg !== 'boolean') bad(field, op, 'boolean', `$exists on "${field}" needs true or false`);
      return arg ? (v) => v !== undefined && v !== null : (v) => v === undefined || v === null;
    default:
      return bad(
        field,
        op,
        'operator',
        `unknown operator ${op} on "${field}" (allowed: $eq $ne $in $nin $gt $gte $lt $lte $exists)`,
      );
  }
}

/**
 * Parses and compiles a partial-sync `where`: `{ field: value | { $op: arg, … }, … }`, every field
 * and every operator must hold. Top-level fields only (the server matches materialized views, and
 * the filter is part of the SSE grouping key, so it stays small and exact). Bad input throws
 * `DomainError` `bad_filter` naming `where.<field>[.<op>]` and the rule (http/ answers 400).
 */
export function compileWhere(where: Readonly<Record<string, unknown>>): WhereTest {
  const tests: Array<{ field: string; test: (v: unknown) => boolean }> = [];
  for (const [field, cond] of Object.entries(where)) {
    if (!isRecord(cond)) {
      tests.push({ field, test: (v) => same(cond, v) });
      continue;
    }
    const ops = Object.entries(cond);
    if (ops.length === 0) bad(field, undefined, 'operator', `condition on "${field}" has no operator`);
    for (const [op, arg] of ops) tests.push({ field, test: operator(field, op, arg) });
  }
  return (view) =>
    tests.every(({ field, test }) => test(Object.hasOwn(view, field) ? view[field] : undefined));
}
