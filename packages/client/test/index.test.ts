import fc from 'fast-check';
import { fcParams } from '../../../testing/fcSeed.js';
import { describe, expect, it } from 'vitest';
import type { QuerySource } from '../src/collection/runQuery.js';
import { runQuery } from '../src/collection/runQuery.js';
import { HashIndex } from '../src/index/HashIndex.js';
import type { IndexSpec } from '../src/index/indexKey.js';
import { OrderedIndex } from '../src/index/OrderedIndex.js';
import type { SecondaryIndex } from '../src/index/planner.js';
import { SortedList } from '../src/index/SortedList.js';
import { compileQuery } from '../src/query/compileQuery.js';
import { compareValues } from '../src/query/compareValues.js';
import type { Doc } from '../src/query/types.js';

// Seeded: a failure prints the seed and path that reproduce it.

describe('SortedList', () => {
  it('matches a sorted-array model under random inserts, removes and range scans', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3000 })), {
          maxLength: 3000,
        }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (ops, a, b) => {
          const list = new SortedList();
          const model = new Map<string, number>();
          for (const [insert, key, n] of ops) {
            const id = `id${n}`;
            if (insert && !model.has(id)) {
              list.insert(key, id);
              model.set(id, key);
            } else if (!insert && model.has(id)) {
              expect(list.remove(model.get(id), id)).toBe(true);
              model.delete(id);
            }
          }
          expect(list.size).toBe(model.size);
          const lo = Math.min(a, b);
          const hi = Math.max(a, b);
          const expected = [...model]
            .filter(([, k]) => k > lo && k <= hi)
            .sort(([i1, k1], [i2, k2]) => k1 - k2 || (i1 < i2 ? -1 : i1 > i2 ? 1 : 0))
            .map(([id]) => id);
          const lower = { value: lo, inclusive: false };
          const upper = { value: hi, inclusive: true };
          expect([...list.range(lower, upper)]).toEqual(expected);
          expect([...list.range(lower, upper, true)]).toEqual([...expected].reverse());
          expect(list.estimate(lower, upper)).toBeGreaterThanOrEqual(expected.length);
        },
      ),
      fcParams('client index', 60),
    );
  });

  it('after a bulk load, finds every pair through the chunks it split and emptied', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1500 }),
        // Many inserts of one key overflow a chunk in the middle (splits there, not only at the end).
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(20)),
            fc.integer({ min: 0, max: 6000 }),
          ),
          { maxLength: 3000, size: 'max' },
        ),
        (loaded, ops) => {
          const model = new Map<string, number>();
          for (let n = 0; n < loaded; n++) model.set(`id${n}`, n % 41);
          const sorted = [...model].sort(([i1, k1], [i2, k2]) => k1 - k2 || (i1 < i2 ? -1 : i1 > i2 ? 1 : 0));
          const list = new SortedList();
          list.load(
            sorted.map(([, k]) => k),
            sorted.map(([id]) => id),
          );
          for (const [insert, key, n] of ops) {
            const id = `id${n}`;
            if (insert && !model.has(id)) {
              list.insert(key, id);
              model.set(id, key);
            } else if (!insert && model.has(id)) {
              expect(list.remove(model.get(id), id)).toBe(true);
              expect(list.remove(model.get(id), id)).toBe(false);
              model.delete(id);
            }
          }
          const all = [...model]
            .sort(([i1, k1], [i2, k2]) => k1 - k2 || (i1 < i2 ? -1 : i1 > i2 ? 1 : 0))
            .map(([id]) => id);
          expect([...list.range(undefined, undefined)]).toEqual(all);
          for (const key of [0, 7, 40]) {
            const at = { value: key, inclusive: true };
            expect([...list.range(at, undefined)]).toEqual(
              all.filter((id) => (model.get(id) as number) >= key),
            );
          }
        },
      ),
      fcParams('client index', 40),
    );
  });
});

function source(docs: Doc[], specs: Array<[kind: 'hash' | 'ordered', fields: string[]]>): QuerySource {
  const map = new Map(docs.map((d) => [d.id, d]));
  const indexes: SecondaryIndex[] = specs.map(([kind, fields]) =>
    kind === 'hash' ? new HashIndex({ kind, fields }) : new OrderedIndex({ kind, fields }),
  );
  for (const i of indexes) i.build(map.values());
  return { docs: map, indexes };
}

const STATUSES = ['open', 'assigned', 'done', 'cancelled'];
const docArb = fc.record({
  status: fc.constantFrom(...STATUSES),
  priority: fc.integer({ min: 0, max: 4 }),
  site: fc.constantFrom('s1', 's2', 's3'),
  updatedAt: fc.integer({ min: 0, max: 100 }),
  tags: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
});

const queries: Array<[selector: Record<string, unknown>, options: Record<string, unknown>]> = [
  [{ status: 'open', site: 's2' }, {}],
  [{ status: { $in: ['open', 'done'] }, site: 's1' }, { sort: { updatedAt: -1 } }],
  [{ priority: { $gte: 3 } }, { sort: { updatedAt: -1 }, limit: 5 }],
  [{ priority: { $gt: 1, $lte: 3 } }, { sort: { priority: 1 }, skip: 2, limit: 4 }],
  [{ status: 'done' }, { sort: { updatedAt: 1 }, limit: 3 }],
  [{ tags: 'b' }, { sort: { updatedAt: 1 } }],
  [{ tags: { $in: ['a', 'c'] }, priority: { $lt: 2 } }, {}],
  [
    { status: 'open', updatedAt: { $gte: 50 } },
    { sort: { updatedAt: -1 }, limit: 2 },
  ],
  [{ $or: [{ status: 'open' }, { priority: 4 }] }, { limit: 7 }],
];

describe('indexes answer exactly like a full scan', () => {
  it('for random collections and every index layout', () => {
    fc.assert(
      fc.property(fc.array(docArb, { maxLength: 300 }), (raw) => {
        const docs: Doc[] = raw.map((d, i) => ({ id: `d${String(i).padStart(4, '0')}`, ...d }));
        const plain = source(docs, []);
        const indexed = source(docs, [
          ['hash', ['status', 'site']],
          ['hash', ['tags']],
          ['ordered', ['updatedAt']],
          ['ordered', ['priority']],
          ['ordered', ['status', 'updatedAt']],
        ]);
        for (const [selector, options] of queries) {
          const q = compileQuery(selector, options);
          const want = runQuery(plain, q, true).docs.map((d) => d.id);
          const got = runQuery(indexed, q, true).docs.map((d) => d.id);
          expect(got, JSON.stringify([selector, options])).toEqual(want);
        }
      }),
      fcParams('client index', 40),
    );
  });
});

describe('planner and explain', () => {
  const docs: Doc[] = Array.from({ length: 5000 }, (_, i) => ({
    id: `w${String(i).padStart(5, '0')}`,
    status: STATUSES[i % 4],
    priority: i % 5,
    site: `site${i % 200}`,
    updatedAt: (i * 7919) % 5000,
  }));
  const src = source(docs, [
    ['hash', ['status', 'site']],
    ['hash', ['status']],
    ['ordered', ['updatedAt']],
    ['ordered', ['priority']],
  ]);

  it('uses the compound hash index for equality on both fields', () => {
    const run = runQuery(src, compileQuery({ status: 'open', site: 'site4' }), true);
    expect(run.plan.kind).toBe('hash');
    expect(run.plan.index?.name).toBe('hash:status+site');
    expect(run.examined).toBe(run.docs.length);
    expect(run.docs.length).toBe(25);
  });

  it('walks the sort index and stops early for range + sort + limit', () => {
    const q = compileQuery({ priority: { $gte: 3 } }, { sort: { updatedAt: -1 }, limit: 50 });
    const run = runQuery(src, q, true);
    expect(run.plan.index?.name).toBe('ordered:updatedAt');
    expect(run.plan.sorted).toBe(true);
    expect(run.examined).toBeLessThan(200);
    const check = docs
      .filter((d) => (d.priority as number) >= 3)
      .sort((a, b) => compareValues(b.updatedAt, a.updatedAt));
    expect(run.docs.map((d) => d.id)).toEqual(check.slice(0, 50).map((d) => d.id));
  });

  it('uses a range on an ordered index when there is no limit', () => {
    const run = runQuery(src, compileQuery({ priority: { $gt: 3 } }), true);
    expect(run.plan.index?.name).toBe('ordered:priority');
    expect(run.docs.length).toBe(1000);
  });

  it('falls back to a full scan without a usable index', () => {
    const run = runQuery(src, compileQuery({ title: 'x' }), true);
    expect(run.plan.kind).toBe('scan');
    expect(run.examined).toBe(5000);
  });
});

describe('encodeKey', () => {
  it('keeps tuples apart that differ in value or kind, including separator look-alikes', async () => {
    const { encodeKey } = await import('../src/index/indexKey.js');
    // One index has one arity, so keys only need to differ between tuples of the same length.
    const tuples: unknown[][] = [
      ['a', 'b'],
      ['a\u0001sb', 'c'],
      ['a', 'b\u0001sc'],
      ['a\u0001sb\u0001sc', 'd'],
      [1, 'x'],
      ['1', 'x'],
      [true, 'x'],
      ['b1', 'x'],
      [null, 'x'],
      ['z', 'x'],
      [{ k: 1 }, 'x'],
      ['J[{"k":1}', 'x"]'],
      ['x', 1],
      ['x', '1'],
    ];
    const keys = tuples.map((t) => encodeKey(t));
    expect(new Set(keys).size).toBe(tuples.length);
    expect(new Set([encodeKey([1]), encodeKey(['1']), encodeKey([true]), encodeKey([null])]).size).toBe(4);
    expect(encodeKey([1, 'x'])).toBe(encodeKey([1, 'x']));
  });
});

describe('bulk build equals one update per document', () => {
  it('hash and ordered indexes, with missing fields, arrays, numbers, NaN and mixed key kinds', () => {
    const value = fc.oneof(
      fc.constantFrom(undefined, null, 'a', 'b', 1, 2, -0, 0, Number.NaN, Infinity),
      fc.array(fc.constantFrom('a', 1), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.array(fc.record({ x: value, y: value }), { maxLength: 80 }), (raw) => {
        const docs = raw.map((d, i) => {
          const doc: Record<string, unknown> = { id: `d${String(i).padStart(3, '0')}` };
          if (d.x !== undefined) doc.x = d.x;
          if (d.y !== undefined) doc.y = d.y;
          return doc;
        });
        const specs: Array<[IndexSpec['kind'], string[]]> = [
          ['hash', ['x']],
          ['hash', ['x', 'y']],
          ['ordered', ['x']],
          ['ordered', ['x', 'y']],
        ];
        for (const [kind, fields] of specs) {
          const built =
            kind === 'hash' ? new HashIndex({ kind, fields }) : new OrderedIndex({ kind, fields });
          const updated =
            kind === 'hash' ? new HashIndex({ kind, fields }) : new OrderedIndex({ kind, fields });
          built.build(docs);
          for (const d of docs) updated.update(undefined, d);
          expect(built.multikey).toBe(updated.multikey);
          if (built instanceof OrderedIndex && updated instanceof OrderedIndex) {
            expect([...built.scan([], undefined, undefined, false)]).toEqual([
              ...updated.scan([], undefined, undefined, false),
            ]);
          } else {
            const keys = new Set(
              docs.flatMap((d) => [
                JSON.stringify([d.x ?? null]),
                JSON.stringify([d.x ?? null, d.y ?? null]),
              ]),
            );
            for (const k of keys) {
              const tuple = JSON.parse(k) as unknown[];
              if (tuple.length !== fields.length) continue;
              expect([...((built as HashIndex).lookup(tuple) ?? [])].sort()).toEqual(
                [...((updated as HashIndex).lookup(tuple) ?? [])].sort(),
              );
            }
          }
        }
      }),
      fcParams('client index', 200),
    );
  });
});

describe('write-path keys', () => {
  const value = fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      'a',
      'b',
      'a\u0001sb',
      '',
      1,
      2,
      -0,
      0,
      Number.NaN,
      Infinity,
      true,
      false,
    ),
    fc.array(fc.constantFrom('a', 1, null), { maxLength: 2 }),
    fc.record({ k: fc.constantFrom(1, 'a') }),
  );

  it('compileKey gives the one encoded key compileKeys + encodeKey give, or SEVERAL', async () => {
    const { compileKey, compileKeys, encodeKey, SEVERAL } = await import('../src/index/indexKey.js');
    const specs = [['x'], ['x', 'y'], ['y', 'x', 'z'], ['x.k'], ['x', 'y.k']];
    fc.assert(
      fc.property(fc.record({ x: value, y: value, z: value }), (raw) => {
        const doc: Record<string, unknown> = { id: 'd' };
        for (const [k, v] of Object.entries(raw)) if (v !== undefined) doc[k] = v;
        for (const fields of specs) {
          const fast = compileKey(fields)(doc);
          const tuples = compileKeys(fields)(doc);
          if (fast === SEVERAL) {
            const plain = fields.every(
              (f) =>
                !f.includes('.') &&
                (doc[f] === null || typeof doc[f] !== 'object') &&
                !String(doc[f]).includes('\u0001'),
            );
            expect(plain).toBe(false);
          } else {
            expect(tuples).toHaveLength(1);
            expect(
              Object.is(fast, encodeKey(tuples[0] as unknown[])) ||
                (fast === 0 && encodeKey(tuples[0] as unknown[]) === 0),
            ).toBe(true);
          }
        }
      }),
      fcParams('client index', 500),
    );
  });

  it('indexes moved document by document equal indexes built from the final documents', () => {
    const edit = fc.record({ doc: fc.integer({ min: 0, max: 9 }), x: value, y: value, remove: fc.boolean() });
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 60 }), (edits) => {
        const specs: Array<[IndexSpec['kind'], string[]]> = [
          ['hash', ['x']],
          ['hash', ['x', 'y']],
          ['ordered', ['x']],
          ['ordered', ['x', 'y']],
        ];
        for (const [kind, fields] of specs) {
          const make = () =>
            kind === 'hash' ? new HashIndex({ kind, fields }) : new OrderedIndex({ kind, fields });
          const moved = make();
          const current = new Map<string, Record<string, unknown>>();
          for (const e of edits) {
            const id = `d${e.doc}`;
            const before = current.get(id);
            let after: Record<string, unknown> | undefined;
            if (!e.remove) {
              after = { id };
              if (e.x !== undefined) after.x = e.x;
              if (e.y !== undefined) after.y = e.y;
            }
            if (before === undefined && after === undefined) continue;
            moved.update(before, after);
            if (after) current.set(id, after);
            else current.delete(id);
          }
          const built = make();
          built.build([...current.values()]);
          if (built instanceof OrderedIndex && moved instanceof OrderedIndex) {
            expect([...moved.scan([], undefined, undefined, false)]).toEqual([
              ...built.scan([], undefined, undefined, false),
            ]);
            expect(moved.size).toBe(built.size);
          } else {
            const tuples = new Map<string, unknown[]>();
            // Every key any edit had, so a document left behind under an old key is seen too.
            for (const d of edits) {
              const x = Array.isArray(d.x) ? (d.x.length ? d.x : [null]) : [d.x ?? null];
              const y = Array.isArray(d.y) ? (d.y.length ? d.y : [null]) : [d.y ?? null];
              for (const a of x)
                for (const b of y)
                  tuples.set(
                    JSON.stringify(fields.length === 1 ? [a] : [a, b]),
                    fields.length === 1 ? [a] : [a, b],
                  );
            }
            for (const t of tuples.values()) {
              expect([...((moved as HashIndex).lookup(t) ?? [])].sort()).toEqual(
                [...((built as HashIndex).lookup(t) ?? [])].sort(),
              );
            }
          }
        }
      }),
      fcParams('client index', 300),
    );
  });
});
