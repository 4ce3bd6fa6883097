import fc from 'fast-check';
import { fcParams } from '../../../testing/fcSeed.js';
import { describe, expect, it } from 'vitest';
import type { QuerySource } from '../src/collection/runQuery.js';
import { runQuery } from '../src/collection/runQuery.js';
import { HashIndex } from '../src/index/HashIndex.js';
import { OrderedIndex } from '../src/index/OrderedIndex.js';
import type { SecondaryIndex } from '../src/index/planner.js';
import { LiveQuery } from '../src/live/LiveQuery.js';
import { LiveRegistry } from '../src/live/LiveRegistry.js';
import type { ResultChange } from '../src/live/ResultChange.js';
import { diffMatches, diffResults } from '../src/live/diffResults.js';
import { compileQuery } from '../src/query/compileQuery.js';
import type { Doc } from '../src/query/types.js';

/**
 * Rebuilds the new result ids from the previous ones and the reported changes only: removed and
 * moved documents leave their old slots, added and moved ones take their new slots, the rest
 * keep their relative order; every `changed` must then name the document at its index.
 */
function replay(prev: readonly Doc[], changes: readonly ResultChange[], length: number): string[] {
  const placed = new Map<number, string>();
  const pulled = new Set<string>();
  for (const c of changes) {
    if (c.type === 'removed') pulled.add(prev[c.index]!.id);
    else if (c.type === 'added') placed.set(c.index, c.doc.id);
    else if (c.type === 'moved') {
      expect(prev[c.from]!.id).toBe(c.id);
      placed.set(c.to, c.id);
      pulled.add(c.id);
    }
  }
  const rest = prev.map((d) => d.id).filter((id) => !pulled.has(id));
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(placed.get(i) ?? (rest.shift() as string));
  for (const c of changes) if (c.type === 'changed') expect(out[c.index]).toBe(c.doc.id);
  return out;
}

class Store implements QuerySource {
  readonly docs = new Map<string, Doc>();
  readonly indexes: SecondaryIndex[] = [
    new HashIndex({ kind: 'hash', fields: ['status'] }),
    new OrderedIndex({ kind: 'ordered', fields: ['updatedAt'] }),
  ];
  readonly registry = new LiveRegistry();
  write(id: string, after: Doc | undefined): void {
    const before = this.docs.get(id);
    if (after) this.docs.set(id, after);
    else this.docs.delete(id);
    if (before || after) for (const i of this.indexes) i.update(before, after);
    this.registry.write(id, before, after);
  }
}

const QUERIES: Array<[Record<string, unknown>, Record<string, unknown>]> = [
  [{}, {}],
  [{ status: 'open' }, { sort: { priority: -1 } }],
  [{ status: { $in: ['open', 'done'] } }, { sort: { updatedAt: 1 }, limit: 5 }],
  [{ priority: { $gte: 2 } }, { sort: { updatedAt: -1 }, skip: 2, limit: 4, fields: { priority: 1 } }],
  [{ $or: [{ status: 'done' }, { priority: 0 }] }, { sort: { priority: 1, updatedAt: -1 } }],
];

describe('live queries', () => {
  it('stay equal to a fresh query, and their changes replay to the new results', () => {
    const op = fc.record({
      id: fc.integer({ min: 0, max: 30 }),
      remove: fc.boolean(),
      status: fc.constantFrom('open', 'done', 'assigned'),
      priority: fc.integer({ min: 0, max: 4 }),
      updatedAt: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { maxLength: 40 }), (commits) => {
        const store = new Store();
        const lives = QUERIES.map(([s, o]) => {
          const q = new LiveQuery(compileQuery(s, o), store);
          store.registry.add(q);
          // Checked after each flush (a throw inside a listener is reported asynchronously).
          const seen = {
            results: [] as readonly Doc[],
            calls: 0,
            replayed: [] as string[][],
            wanted: [] as string[][],
          };
          q.addListener((results, changes) => {
            seen.replayed.push(replay(seen.results, changes, results.length));
            seen.wanted.push(results.map((d) => d.id));
            seen.results = results;
            seen.calls++;
          });
          return { q, seen, compiled: compileQuery(s, o) };
        });
        for (const commit of commits) {
          const callsBefore = lives.map((l) => l.seen.calls);
          for (const w of commit) {
            const id = `d${w.id}`;
            store.write(
              id,
              w.remove ? undefined : { id, status: w.status, priority: w.priority, updatedAt: w.updatedAt },
            );
          }
          store.registry.flush();
          lives.forEach((l, i) => {
            const fresh = runQuery(store, l.compiled, true).docs.slice(l.compiled.skip);
            const want = l.compiled.project ? fresh.map((d) => l.compiled.project!(d)) : fresh;
            expect(l.q.results).toEqual(want);
            expect(l.seen.replayed).toEqual(l.seen.wanted);
            // One commit → at most one notification per query.
            expect(l.seen.calls - callsBefore[i]!).toBeLessThanOrEqual(1);
          });
        }
      }),
      fcParams('live queries', 80),
    );
  });

  it('a write only visits queries filed under its old or new values', () => {
    const store = new Store();
    const visits = new Map<string, number>();
    const make = (status: string): LiveQuery => {
      const q = new LiveQuery(compileQuery({ status }), store);
      const apply = q.apply.bind(q);
      q.apply = (id, b, a) => {
        visits.set(status, (visits.get(status) ?? 0) + 1);
        apply(id, b, a);
      };
      store.registry.add(q);
      return q;
    };
    for (const s of ['open', 'done', 'assigned', 'cancelled']) make(s);
    store.write('x', { id: 'x', status: 'open', priority: 1, updatedAt: 1 });
    store.write('x', { id: 'x', status: 'done', priority: 1, updatedAt: 2 });
    store.registry.flush();
    expect(Object.fromEntries(visits)).toEqual({ open: 2, done: 1 });
  });

  it('queries with several equalities are filed under the tuple of values', () => {
    const store = new Store();
    const visits: string[] = [];
    for (const site of ['s1', 's2']) {
      const q = new LiveQuery(compileQuery({ status: 'open', site }), store);
      const apply = q.apply.bind(q);
      q.apply = (id, b, a) => {
        visits.push(site);
        apply(id, b, a);
      };
      store.registry.add(q);
    }
    store.write('x', { id: 'x', status: 'open', site: 's1', priority: 1, updatedAt: 1 });
    store.write('y', { id: 'y', status: 'done', site: 's2', priority: 1, updatedAt: 1 });
    store.registry.flush();
    expect(visits).toEqual(['s1']);
  });

  it('a commit of 200,000 writes is merged once, not shifted into the results per write (a first sync)', () => {
    // Each document sorts first (newest number first, numbers arriving in ascending order), the
    // worst case of placing writes one by one: every write shifted all the results.
    const compiled = compileQuery({}, { sort: { number: -1 } });
    const docs: Doc[] = [];
    for (let i = 0; i < 200_000; i++) docs.push({ id: `d${String(i).padStart(7, '0')}`, number: i });
    let best = Infinity;
    for (let run = 0; run < 2; run++) {
      const q = new LiveQuery(compiled, new Store());
      const t = performance.now();
      for (const d of docs) q.apply(d.id, undefined, d);
      q.flush();
      best = Math.min(best, performance.now() - t);
      expect(q.results.map((d) => d.number)).toEqual(docs.map((d) => d.number).reverse());
    }
    console.log(`live query, one commit of 200,000 writes: ${best.toFixed(1)} ms (best of 2)`);
    // A guard against going back to quadratic, not a speed target (that is bench:app's): measured
    // 236 ms merged once per commit, 5,791 ms spliced per write (load 3.4). The bound leaves a
    // loaded CI machine 12× room and still fails the quadratic path by half.
    expect(best).toBeLessThan(3_000);
  });

  it('diffMatches gives diffResults’ answer for two complete result lists', () => {
    const write = fc.record({
      id: fc.integer({ min: 0, max: 40 }),
      remove: fc.boolean(),
      rank: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }),
        fc.array(write, { maxLength: 25 }),
        (start, writes) => {
          const byRank = (a: Doc, b: Doc): number =>
            (a.rank as number) - (b.rank as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
          const docs = new Map<string, Doc>(start.map((n) => [`d${n}`, { id: `d${n}`, rank: n % 7 }]));
          const prev = [...docs.values()].sort(byRank);
          const touched = new Set<string>();
          for (const w of writes) {
            const id = `d${w.id}`;
            touched.add(id);
            if (w.remove) docs.delete(id);
            else docs.set(id, { id, rank: w.rank });
          }
          const next = [...docs.values()].sort(byRank);
          const changes = diffMatches(prev, next, touched);
          expect(changes).toEqual(diffResults(prev, next, touched));
          expect(replay(prev, changes, next.length)).toEqual(next.map((d) => d.id));
        },
      ),
      fcParams('diffMatches', 200),
    );
  });
});
