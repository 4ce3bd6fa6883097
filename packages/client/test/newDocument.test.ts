import { emptyDoc, materialize, ValidationError, type TypeDef } from '@fieldsync/core';
import { describe, expect, it } from 'vitest';
import type { Database, Doc } from '../src/index.js';
import { createDatabase, QueryError } from '../src/index.js';
import { RowStore } from '../src/collection/RowStore.js';

/** One field of every kind a document can leave unwritten. */
const Visit: TypeDef = {
  name: 'visits',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    site: { type: 'string' },
    history: { type: 'log', of: { type: 'string' } },
    parts: { type: 'list', of: { type: 'string' } },
    tags: { type: 'set', of: { type: 'string' } },
    report: { type: 'text' },
    count: { type: 'counter' },
    address: { type: 'object', fields: { city: { type: 'string' } } },
  },
};

async function open(): Promise<Database> {
  const db = await createDatabase({ name: 'new-docs', replicaId: 'dev1' });
  await db.defineType(Visit);
  return db;
}

const EMPTY = { history: [], parts: [], tags: [], report: '', count: 0 };

describe('a new document reads typed empty values', () => {
  it('by id, through a query, a projection, an index scan and a live query', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const id = await visits.insert({ title: 'Pump', site: 's1' });
    const byId = visits.findOne(id)!;
    expect(byId).toEqual({ id, title: 'Pump', site: 's1', ...EMPTY });
    expect('address' in byId).toBe(false); // an object nobody set stays absent
    expect((byId.history as unknown[]).map((e) => e)).toEqual([]); // the UI code of the issue
    expect(visits.find({ site: 's1' }).fetch()).toEqual([byId]);
    expect(visits.find({}, { fields: { count: 1, report: 1 } }).fetch()).toEqual([
      { id, count: 0, report: '' },
    ]);
    // Index builds read rows through the compiled filler: the unwritten counter is keyed as 0.
    const counted = await visits.insertMany(Array.from({ length: 100 }, (_, i) => ({ title: `t${i}` })));
    for (const other of counted) await visits.update(other, { $inc: { count: 1 } });
    visits.createIndex('count');
    expect(visits.find({ count: 0 }).fetch()).toEqual([byId]);
    expect(visits.find({ count: 0 }).explain()).toMatchObject({ plan: 'hash', examined: 1 });
    for (const other of counted) await visits.remove(other);
    const seen: Array<readonly Doc[]> = [];
    const stop = visits.find({ tags: { $size: 0 } }).subscribe((r) => seen.push(r));
    await visits.update(id, { $addToSet: { tags: 'urgent' } });
    stop();
    expect(seen.map((r) => r.length)).toEqual([1, 0]);
    // Promoted now (a set was written): read through core's materialize, same typed values.
    expect(visits.findOne(id)).toEqual({ id, title: 'Pump', site: 's1', ...EMPTY, tags: ['urgent'] });
    await db.close();
  });

  it('sorts and filters an unwritten counter as 0, an unwritten set as []', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const [a, b, c] = await visits.insertMany([{ title: 'a' }, { title: 'b' }, { title: 'c' }]);
    await visits.update(a!, { $inc: { count: 2 } });
    await visits.update(c!, { $inc: { count: -1 } });
    expect(
      visits
        .find({}, { sort: { count: 1 } })
        .fetch()
        .map((d) => d.id),
    ).toEqual([c, b, a]);
    expect(
      visits
        .find({ count: { $gte: 0 } }, { sort: { count: -1 } })
        .fetch()
        .map((d) => d.id),
    ).toEqual([a, b]);
    expect(visits.find({ count: { $exists: true } }).count()).toBe(3);
    expect(visits.find({ tags: { $size: 0 }, report: '' }).count()).toBe(3);
    await db.close();
  });
});

describe('insert with initial log entries', () => {
  it('insert and insertMany make them the first entries of the log', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const id = await visits.insert({ title: 'Pump', history: ['arrived', 'replaced seal'] });
    const [other] = await visits.insertMany([{ title: 'Valve', history: ['ordered part'] }]);
    const values = (docId: string) =>
      (visits.findOne(docId)!.history as Array<{ value: unknown }>).map((e) => e.value);
    expect(values(id)).toEqual(['arrived', 'replaced seal']);
    expect(values(other!)).toEqual(['ordered part']);
    await visits.update(id, { $push: { history: 'left site' } });
    expect(values(id)).toEqual(['arrived', 'replaced seal', 'left site']);
    await expect(visits.insert({ title: 'x', history: 'not a list' })).rejects.toMatchObject({
      path: 'history',
      rule: 'type',
    });
    await db.close();
  });
});

describe('conflicts() on a field the type does not declare', () => {
  it('throws ValidationError naming the path and the rule', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const id = await visits.insert({ title: 'Pump' });
    expect(visits.conflicts(id, 'title')).toEqual([]);
    expect(visits.conflicts(id, 'address.city')).toEqual([]);
    for (const [field, path] of [
      ['titel', 'titel'],
      ['address.zip', 'address.zip'],
    ]) {
      let error: unknown;
      try {
        visits.conflicts(id, field!);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ path, rule: 'unknown-field' });
    }
    await db.close();
  });
});

describe('$size', () => {
  it('matches arrays of exactly that length (sets, lists, logs; never text)', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const a = await visits.insert({ title: 'a', tags: ['x', 'y'], parts: ['p'], history: ['h'] });
    const b = await visits.insert({ title: 'b', report: 'xy', tags: ['x'] });
    const ids = (selector: Record<string, unknown>) =>
      visits
        .find(selector)
        .fetch()
        .map((d) => d.id)
        .sort();
    expect(ids({ tags: { $size: 2 } })).toEqual([a]);
    expect(ids({ tags: { $size: 1 } })).toEqual([b]);
    expect(ids({ parts: { $size: 0 } })).toEqual([b]);
    expect(ids({ history: { $size: 1 } })).toEqual([a]);
    expect(ids({ report: { $size: 2 } })).toEqual([]); // a string has no $size
    expect(ids({ tags: { $not: { $size: 2 } } })).toEqual([b]);
    await db.close();
  });

  it('a bad operand is a QueryError naming the operator path', async () => {
    const db = await open();
    const visits = db.collection('visits');
    for (const bad of [-1, 1.5, '2', null, [1]]) {
      let error: unknown;
      try {
        visits.find({ tags: { $size: bad } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QueryError);
      expect(error).toMatchObject({ path: 'tags.$size' });
    }
    await db.close();
  });
});

describe('objects merged per key', () => {
  it('a written object gets its unwritten collection and counter sub-fields typed empty', async () => {
    const db = await open();
    const visits = db.collection('visits');
    const id = await visits.insert({ title: 'Pump', address: { city: 'Oslo' } });
    expect(visits.findOne(id)!.address).toEqual({ city: 'Oslo' }); // only scalars declared: as written
    const Typed: TypeDef = {
      ...Visit,
      name: 'typed',
      fields: {
        ...Visit.fields,
        address: { type: 'object', fields: { city: { type: 'string' }, keys: { type: 'set' } } },
      },
    };
    await db.defineType(Typed);
    const other = await db.collection('typed').insert({ title: 'x', address: { city: 'Bergen' } });
    expect(db.collection('typed').findOne(other)!.address).toEqual({ city: 'Bergen', keys: [] });
    await db.close();
  });

  it("a plain row reads an object field's default with its sub-fields filled, a fresh copy each read", () => {
    const type: TypeDef = {
      name: 'site',
      version: 1,
      fields: {
        title: { type: 'string' },
        place: {
          type: 'object',
          default: { name: 'HQ' },
          fields: { name: { type: 'string' }, visits: { type: 'counter' } },
        },
      },
    };
    const rows = new RowStore('site', { typeFor: () => type, view: (s) => materialize(s, type) });
    const state = emptyDoc('s1', 'site', 1);
    state.s = '0000000a0:0000:dev1';
    state.r = { title: 'no place written' }; // e.g. received from a replica that did not fill defaults
    rows.set('s1', state);
    const first = rows.peekDoc('s1')!;
    expect(first).toEqual({ id: 's1', title: 'no place written', place: { name: 'HQ', visits: 0 } });
    expect(materialize(rows.state('s1')!, type)).toEqual(first); // the compiled reader agrees with core
    expect(rows.peekDoc('s1')!.place).not.toBe(first.place);
  });
});
