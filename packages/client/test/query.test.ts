import { describe, expect, it } from 'vitest';
import { compileQuery } from '../src/query/compileQuery.js';
import { compileSelector } from '../src/query/compileSelector.js';
import { ModifierError, QueryError } from '../src/query/errors.js';
import { parseModifier } from '../src/query/parseModifier.js';
import { workOrderType } from './fixtures.js';

const docs = [
  {
    id: 'a',
    status: 'open',
    priority: 1,
    tags: ['x', 'y'],
    address: { city: 'Oslo' },
    lines: [
      { sku: 'p1', qty: 2 },
      { sku: 'p2', qty: 5 },
    ],
  },
  { id: 'b', status: 'done', priority: 3, tags: [], address: { city: 'Bergen' }, title: 'Pump repair' },
  { id: 'c', status: 'open', priority: 4, title: 'pump check', lines: [{ sku: 'p3', qty: 1 }] },
  { id: 'd', status: 'assigned', priority: null },
];

function ids(selector: unknown): string[] {
  const p = compileSelector(selector);
  return docs.filter((d) => p(d)).map((d) => d.id);
}

describe('selector matcher', () => {
  it.each([
    [{}, ['a', 'b', 'c', 'd']],
    [{ status: 'open' }, ['a', 'c']],
    [{ status: { $eq: 'open' } }, ['a', 'c']],
    [{ status: { $ne: 'open' } }, ['b', 'd']],
    [{ priority: { $gt: 1 } }, ['b', 'c']],
    [{ priority: { $gte: 1, $lt: 4 } }, ['a', 'b']],
    [{ priority: { $lte: 3 } }, ['a', 'b']],
    [{ priority: { $gt: 'a' } }, []],
    [{ status: { $in: ['done', 'assigned'] } }, ['b', 'd']],
    [{ status: { $nin: ['done', 'assigned'] } }, ['a', 'c']],
    [{ title: { $exists: true } }, ['b', 'c']],
    [{ title: { $exists: false } }, ['a', 'd']],
    [{ priority: null }, ['d']],
    [{ missing: null }, ['a', 'b', 'c', 'd']],
    [{ title: { $regex: '^pump', $options: 'i' } }, ['b', 'c']],
    [{ title: /repair/ }, ['b']],
    [{ title: { $not: /repair/ } }, ['a', 'c', 'd']],
    [{ priority: { $not: { $gt: 2 } } }, ['a', 'd']],
    [{ tags: 'y' }, ['a']],
    [{ tags: ['x', 'y'] }, ['a']],
    [{ tags: { $in: ['x'] } }, ['a']],
    [{ 'address.city': 'Bergen' }, ['b']],
    [{ address: { city: 'Oslo' } }, ['a']],
    [{ 'lines.sku': 'p3' }, ['c']],
    [{ 'lines.qty': { $gt: 4 } }, ['a']],
    [{ 'lines.0.sku': 'p1' }, ['a']],
    [{ $or: [{ status: 'done' }, { priority: 4 }] }, ['b', 'c']],
    [{ $and: [{ status: 'open' }, { priority: { $gt: 1 } }] }, ['c']],
    [{ $nor: [{ status: 'open' }, { priority: null }] }, ['b']],
  ])('%j matches %j', (selector, expected) => {
    expect(ids(selector)).toEqual(expected);
  });

  it.each([
    [{ status: { $foo: 1 } }, 'status.$foo', /unknown operator \$foo/],
    [{ $where: 'x' }, '$where', /unknown top-level operator/],
    [{ status: { $in: 'open' } }, 'status.$in', /need an array/],
    [{ $or: [] }, '$or', /non-empty array/],
    [{ $and: {} }, '$and', /non-empty array/],
    [{ status: { $eq: 1, city: 2 } }, 'status', /cannot mix/],
    [{ title: { $regex: '(' } }, 'title.$regex', /invalid regular expression/],
    [{ title: { $options: 'i' } }, 'title.$options', /without \$regex/],
    [{ title: { $exists: 'yes' } }, 'title.$exists', /true or false/],
    [{ title: { $not: 'x' } }, 'title.$not', /operator object/],
    [{ $or: [{ a: { $bad: 1 } }] }, '$or[0].a.$bad', /unknown operator/],
    ['open', '', /must be an object/],
  ])('rejects %j with a QueryError at %s', (selector, path, message) => {
    let err: unknown;
    try {
      compileSelector(selector);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueryError);
    expect((err as QueryError).path).toBe(path);
    expect((err as QueryError).code).toBe('query');
    expect((err as Error).message).toMatch(message);
  });
});

describe('sort, projection, options', () => {
  const sortIds = (sort: unknown): string[] => {
    const q = compileQuery({}, { sort } as never);
    return [...docs].sort(q.compare).map((d) => d.id);
  };

  it('sorts on several keys, with id as the final tie-breaker', () => {
    expect(sortIds({ status: 1, priority: -1 })).toEqual(['d', 'b', 'c', 'a']);
    expect(sortIds([['priority', 'desc']])).toEqual(['c', 'b', 'a', 'd']);
    expect(sortIds(undefined)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('projects included and excluded fields, nested paths and id', () => {
    const inc = compileQuery({}, { fields: { status: 1, 'address.city': 1 } }).project!;
    expect(inc(docs[0]!)).toEqual({ id: 'a', status: 'open', address: { city: 'Oslo' } });
    const exc = compileQuery({}, { fields: { tags: 0, lines: 0, address: 0, id: 0 } }).project!;
    expect(exc(docs[0]!)).toEqual({ status: 'open', priority: 1 });
  });

  it.each([
    [{ sort: { a: 2 } }, 'sort.a'],
    [{ sort: 'a' }, 'sort'],
    [{ fields: { a: 1, b: 0 } }, 'fields.b'],
    [{ limit: -1 }, 'limit'],
    [{ skip: 1.5 }, 'skip'],
    [{ limt: 5 }, 'options.limt'],
  ])('rejects bad options %j', (options, path) => {
    expect(() => compileQuery({}, options as never)).toThrow(QueryError);
    try {
      compileQuery({}, options as never);
    } catch (e) {
      expect((e as QueryError).path).toBe(path);
    }
  });
});

describe('modifier → intents', () => {
  const fields = workOrderType.fields;

  it('chooses the intent from the field type', () => {
    expect(
      parseModifier(
        {
          $set: { title: 'x', 'address.city': 'Oslo' },
          $unset: { site: 1 },
          $inc: { visits: 2, estimate: 1.5 },
          $push: { notes: { $each: ['a', 'b'] } },
          $addToSet: { tags: 'red' },
        },
        fields,
        { id: 'a', estimate: 10 },
      ),
    ).toEqual([
      { op: 'set', path: ['title'], value: 'x' },
      { op: 'set', path: ['address', 'city'], value: 'Oslo' },
      { op: 'unset', path: ['site'] },
      { op: 'inc', path: ['visits'], by: 2 },
      { op: 'set', path: ['estimate'], value: 11.5 },
      { op: 'append', path: ['notes'], values: ['a', 'b'] },
      { op: 'add', path: ['tags'], values: ['red'] },
    ]);
    expect(parseModifier({ $pull: { tags: { $in: ['a', 'b'] } } }, fields, undefined)).toEqual([
      { op: 'remove', path: ['tags'], values: ['a', 'b'] },
    ]);
  });

  it.each([
    [{ $rename: { a: 'b' } }, '$rename', /unknown modifier/],
    [{ title: 'x' }, 'title', /replacement documents/],
    [{}, '', /empty modifier/],
    [{ $set: 5 }, '$set', /needs an object/],
    [{ $set: { nope: 1 } }, '$set.nope', /unknown field "nope"/],
    [{ $set: { id: 'x' } }, '$set.id', /id cannot be modified/],
    [{ $inc: { title: 1 } }, '$inc.title', /counter or number/],
    [{ $inc: { visits: 'a' } }, '$inc.visits', /finite number/],
    [{ $push: { tags: 'a' } }, '$push.tags', /log or list/],
    [{ $addToSet: { notes: 'a' } }, '$addToSet.notes', /set field/],
    [{ $set: { title: 'a' }, $unset: { title: 1 } }, '$unset.title', /modified twice/],
    [{ $set: { address: {}, 'address.city': 'x' } }, '$set.address.city', /modified twice/],
    [{ $push: { notes: { $each: 'a' } } }, '$push.notes', /needs an array/],
  ])('rejects %j with a ModifierError at %s', (modifier, path, message) => {
    let err: unknown;
    try {
      parseModifier(modifier, fields, { id: 'a' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModifierError);
    expect((err as ModifierError).path).toBe(path);
    expect((err as Error).message).toMatch(message);
  });
});

describe('compiled-query cache', () => {
  it('never confuses selectors JSON cannot tell apart', async () => {
    const { compileQueryCached } = await import('../src/query/queryCache.js');
    const match = (selector: unknown) =>
      docs.filter((d) => compileQueryCached(selector, undefined).predicate(d)).map((d) => d.id);
    expect(match({ title: /repair/ })).toEqual(['b']);
    expect(match({ title: /check/ })).toEqual(['c']);
    expect(match({ priority: null })).toEqual(['d']);
    expect(match({ priority: undefined })).toEqual(['d']);
    expect(match({})).toEqual(['a', 'b', 'c', 'd']);
    expect(compileQueryCached({ status: 'open' }, { limit: 1 })).toBe(
      compileQueryCached({ status: 'open' }, { limit: 1 }),
    );
  });
});
