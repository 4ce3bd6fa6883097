import { describe, expect, it } from 'vitest';
import { httpErrorOf } from '../src/http/errorResponse.js';
import { DomainError } from '../src/sync/DomainError.js';
import { compileWhere } from '../src/sync/whereCondition.js';

const docs = [
  { id: 'a', site: 's1', priority: 4, status: 'open', tags: ['x'] },
  { id: 'b', site: 's2', priority: 1, status: 'closed' },
  { id: 'c', site: 's1', priority: '4', status: null },
  { id: 'd', site: 's3' },
];
const ids = (where: Record<string, unknown>): string[] => docs.filter(compileWhere(where)).map((d) => d.id);

describe('partial-sync where', () => {
  it('equality, $eq, $ne, $in, $nin (values compared as JSON, so arrays and objects match too)', () => {
    expect(ids({ site: 's1' })).toEqual(['a', 'c']);
    expect(ids({ site: { $eq: 's2' } })).toEqual(['b']);
    expect(ids({ status: { $ne: 'closed' } })).toEqual(['a', 'c', 'd']);
    expect(ids({ site: { $in: ['s2', 's3'] } })).toEqual(['b', 'd']);
    expect(ids({ site: { $nin: ['s1'] } })).toEqual(['b', 'd']);
    expect(ids({ tags: ['x'] })).toEqual(['a']);
  });

  it('ranges hold only between values of the same type: a string "4" or a missing field is not ≥ 3', () => {
    expect(ids({ priority: { $gte: 3 } })).toEqual(['a']);
    expect(ids({ priority: { $gt: 1, $lte: 4 } })).toEqual(['a']);
    expect(ids({ priority: { $lt: 4 } })).toEqual(['b']);
    expect(ids({ site: { $gte: 's2' } })).toEqual(['b', 'd']);
  });

  it('$exists: null and absent are both missing', () => {
    expect(ids({ status: { $exists: true } })).toEqual(['a', 'b']);
    expect(ids({ priority: { $exists: false } })).toEqual(['d']);
  });

  it('every field and every operator must hold', () => {
    expect(ids({ site: 's1', priority: { $gte: 3, $lt: 10 }, status: { $nin: ['closed'] } })).toEqual(['a']);
  });

  it('does not read inherited properties as fields', () => {
    expect(ids({ toString: { $exists: true } })).toEqual([]);
  });

  it('bad conditions are a domain error naming the field, operator and rule, answered 400 by http/', () => {
    const rules: string[] = [];
    const err = (where: Record<string, unknown>): unknown => {
      try {
        compileWhere(where);
      } catch (e) {
        if (!(e instanceof DomainError)) return e;
        rules.push(String(e.rule));
        const h = httpErrorOf(e);
        return { status: h?.status, code: h?.code, path: h?.path };
      }
      return undefined;
    };
    expect(err({ site: { $regex: 's' } })).toEqual({
      status: 400,
      code: 'bad_filter',
      path: 'where.site.$regex',
    });
    expect(err({ site: { $in: 's1' } })).toEqual({ status: 400, code: 'bad_filter', path: 'where.site.$in' });
    expect(err({ priority: { $gt: [1] } })).toEqual({
      status: 400,
      code: 'bad_filter',
      path: 'where.priority.$gt',
    });
    expect(err({ priority: { $exists: 1 } })).toEqual({
      status: 400,
      code: 'bad_filter',
      path: 'where.priority.$exists',
    });
    expect(err({ priority: {} })).toEqual({ status: 400, code: 'bad_filter', path: 'where.priority' });
    expect(rules).toEqual(['operator', 'array', 'orderable', 'boolean', 'operator']);
  });
});
