import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import type { CommittedBatch, StorageEngine, StoredDoc } from '../src/storage/StorageEngine.js';

/** Storage engines must pass this same suite (SQLite and PostgreSQL). */
export interface EngineFactory {
  /** A fresh, empty engine. */
  create(): Promise<StorageEngine>;
  /** A second engine on the same data (another process, or a restart). */
  reopen(): Promise<StorageEngine>;
  cleanup(): Promise<void>;
}

const doc = (id: string, n: number, type = 'note'): Omit<StoredDoc, 'seq'> => ({
  id,
  type,
  deleted: false,
  state: JSON.stringify({ id, n }),
  view: JSON.stringify({ id, n }),
});

/** Writes docs as one commit, with one change id per doc. */
async function put(
  e: StorageEngine,
  tenant: string,
  docs: Array<Omit<StoredDoc, 'seq'>>,
  changePrefix = 'c',
) {
  return e.commit(
    { tenant, changeIds: docs.map((d) => `${changePrefix}-${d.id}`), docIds: docs.map((d) => d.id) },
    () => ({
      docs,
      changes: docs.map((d) => ({ id: `${changePrefix}-${d.id}`, doc: d.id })),
    }),
  );
}

export function storageSuite(name: string, factory: () => EngineFactory): void {
  describe(`storage engine: ${name}`, () => {
    let f: EngineFactory;
    let e: StorageEngine;
    const extra: StorageEngine[] = [];
    beforeEach(async () => {
      f = factory();
      e = await f.create();
      await e.init();
    });
    afterEach(async () => {
      for (const x of extra.splice(0)) await x.close();
      await e.close();
      await f.cleanup();
    });

    it('assigns increasing sequences in commit order and returns the cursor', async () => {
      const a = await put(e, 't1', [doc('a', 1), doc('b', 1)]);
      const b = await put(e, 't1', [doc('a', 2)], 'd');
      expect(a.docs.map((d) => d.seq)).toEqual([1, 2]);
      expect(a.cursor).toBe(2);
      expect(b.docs[0]?.seq).toBe(3);
      expect(await e.tenantHead('t1')).toBe(3);
      const stored = await e.getDoc('t1', 'a');
      expect(stored?.seq).toBe(3);
      expect(JSON.parse(stored?.state ?? '{}')).toEqual({ id: 'a', n: 2 });
    });

    it('hands the plan the known change ids and the current doc states', async () => {
      await put(e, 't1', [doc('a', 1)]);
      let seen: { known: string[]; docs: string[] } | undefined;
      await e.commit({ tenant: 't1', changeIds: ['c-a', 'c-new'], docIds: ['a', 'zzz'] }, (loaded) => {
        seen = { known: [...loaded.known], docs: [...loaded.docs.keys()] };
        return { docs: [], changes: [] };
      });
      expect(seen).toEqual({ known: ['c-a'], docs: ['a'] });
    });

    it('an empty plan writes nothing and does not advance the sequence', async () => {
      await put(e, 't1', [doc('a', 1)]);
      const r = await e.commit({ tenant: 't1', changeIds: [], docIds: [] }, () => ({
        docs: [],
        changes: [],
      }));
      expect(r).toEqual({ docs: [], cursor: 1 });
      expect(await e.tenantHead('t1')).toBe(1);
    });

    it('a plan that throws rolls back everything', async () => {
      await put(e, 't1', [doc('a', 1)]);
      await expect(
        e.commit({ tenant: 't1', changeIds: ['x'], docIds: ['a'] }, () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      // A write that fails in the database (duplicate change id) rolls back its docs too.
      await expect(
        e.commit({ tenant: 't1', changeIds: [], docIds: ['b'] }, () => ({
          docs: [doc('b', 1)],
          changes: [{ id: 'c-a', doc: 'b' }],
        })),
      ).rejects.toThrow();
      expect(await e.getDoc('t1', 'b')).toBeUndefined();
      expect(await e.tenantHead('t1')).toBe(1);
      const ok = await put(e, 't1', [doc('c', 1)]);
      expect(ok.cursor).toBe(2);
    });

    it('pulls pages in sequence order with a resumable cursor, latest state only', async () => {
      await put(e, 't1', [doc('a', 1), doc('b', 1), doc('c', 1)]);
      await put(e, 't1', [doc('a', 2)], 'd');
      const p1 = await e.pull('t1', { since: 0, limit: 2 });
      expect(p1.docs.map((d) => d.id)).toEqual(['b', 'c']);
      expect(p1.more).toBe(true);
      const p2 = await e.pull('t1', { since: p1.cursor, limit: 2 });
      expect(p2.docs.map((d) => d.id)).toEqual(['a']);
      expect(p2.more).toBe(false);
      const p3 = await e.pull('t1', { since: p2.cursor, limit: 2 });
      expect(p3).toEqual({ docs: [], cursor: p2.cursor, more: false });
    });

    it('bounds a page by bytes as well as count; a document larger than the budget travels alone', async () => {
      const big = (id: string, chars: number): Omit<StoredDoc, 'seq'> => {
        const json = JSON.stringify({ id, pad: 'é'.repeat(chars) }); // 2 UTF-8 bytes per é
        return { id, type: 'note', deleted: false, state: json, view: json };
      };
      // Each row is ~4,000 bytes of state + view; a page budget of 10,000 holds two of them.
      await put(e, 't1', [
        big('a', 1000),
        big('b', 1000),
        big('c', 1000),
        big('huge', 20_000),
        big('d', 1000),
      ]);
      const pages: string[][] = [];
      for (let since = 0; ;) {
        const p = await e.pull('t1', { since, limit: 100, maxBytes: 10_000 });
        pages.push(p.docs.map((d) => d.id));
        if (!p.more) break;
        since = p.cursor;
      }
      expect(pages).toEqual([['a', 'b'], ['c'], ['huge'], ['d']]);
      // Count still bounds, and without a budget nothing changes.
      expect((await e.pull('t1', { since: 0, limit: 1, maxBytes: 1e9 })).docs.map((d) => d.id)).toEqual([
        'a',
      ]);
      expect((await e.pull('t1', { since: 0, limit: 100 })).docs).toHaveLength(5);
      const last = await e.pull('t1', { since: 0, limit: 5, maxBytes: 1e9 });
      expect(last.more).toBe(false);
    });

    it('filters by type and bounds by upTo', async () => {
      await put(e, 't1', [doc('a', 1, 'note'), doc('b', 1, 'task'), doc('c', 1, 'note')]);
      const notes = await e.pull('t1', { since: 0, limit: 10, types: ['note'] });
      expect(notes.docs.map((d) => d.id)).toEqual(['a', 'c']);
      const upTo = await e.pull('t1', { since: 0, limit: 10, upTo: 2 });
      expect(upTo.docs.map((d) => d.id)).toEqual(['a', 'b']);
    });

    it('isolates tenants: same ids and change ids are separate documents', async () => {
      await put(e, 'acme', [doc('a', 1)]);
      await put(e, 'evil', [doc('a', 666)]);
      expect(JSON.parse((await e.getDoc('acme', 'a'))?.state ?? '')).toEqual({ id: 'a', n: 1 });
      expect(
        (await e.pull('acme', { since: 0, limit: 10 })).docs.map((d) => JSON.parse(d.state) as unknown),
      ).toEqual([{ id: 'a', n: 1 }]);
      let known: string[] = [];
      await e.commit({ tenant: 'other', changeIds: ['c-a'], docIds: [] }, (l) => {
        known = [...l.known];
        return { docs: [], changes: [] };
      });
      expect(known).toEqual([]);
    });

    it('notifies committed batches in sequence order', async () => {
      const seen: CommittedBatch[] = [];
      e.onCommit((b) => seen.push(b));
      await put(e, 't1', [doc('a', 1), doc('b', 1)]);
      await put(e, 't2', [doc('c', 1)]);
      await waitFor(() => seen.length === 2);
      expect(seen.map((b) => [b.tenant, b.from, b.to])).toEqual([
        ['t1', 1, 2],
        ['t2', 1, 1], // t2's own sequence
      ]);
      expect(seen[0]?.docs?.map((d) => d.id)).toEqual(['a', 'b']);
    });

    it('concurrent commits: a failing one stores nothing, the others commit with consecutive sequences', async () => {
      const a = put(e, 't1', [doc('a', 1), doc('b', 1)], 'x');
      const bad = e.commit({ tenant: 't1', changeIds: ['y-c'], docIds: ['c'] }, () => {
        throw new Error('plan failed');
      });
      // Fails in the write itself (same change id twice violates the primary key): nothing of it may stay.
      const half = e.commit({ tenant: 't1', changeIds: ['z-d'], docIds: ['d'] }, () => ({
        docs: [doc('d', 1)],
        changes: [
          { id: 'z-d', doc: 'd' },
          { id: 'z-d', doc: 'd' },
        ],
      }));
      const b = put(e, 't2', [doc('e', 1)], 'x');
      const [ra, rbad, rhalf, rb] = await Promise.allSettled([a, bad, half, b]);
      expect(rbad.status === 'rejected' && String(rbad.reason)).toContain('plan failed');
      expect(rhalf.status).toBe('rejected');
      // Each tenant's sequence is gap-free on its own: the failed t1 writes took no number.
      const seqA = ra.status === 'fulfilled' ? ra.value.docs.map((d) => d.seq) : [];
      const seqB = rb.status === 'fulfilled' ? rb.value.docs.map((d) => d.seq) : [];
      expect(seqA).toEqual([1, 2]);
      expect(seqB).toEqual([1]);
      expect(await e.tenantHead('t2')).toBe(1);
      expect(await e.getDoc('t1', 'c')).toBeUndefined();
      expect(await e.getDoc('t1', 'd')).toBeUndefined();
      expect(await e.tenantHead('t1')).toBe(2);
      const page = await e.pull('t1', { since: 0, limit: 10 });
      expect(page.docs.map((d) => [d.id, d.seq])).toEqual([
        ['a', seqA[0]],
        ['b', seqA[1]],
      ]);
    });

    it('keeps committed data across a reopen', async () => {
      await put(e, 't1', [doc('a', 1)]);
      await e.close();
      e = await f.reopen();
      await e.init();
      expect((await e.getDoc('t1', 'a'))?.seq).toBe(1);
      expect((await put(e, 't1', [doc('b', 1)])).cursor).toBe(2);
    });

    it('concurrent read-modify-write of one document through two engines never loses an update', async () => {
      const e2 = await f.reopen();
      await e2.init();
      extra.push(e2);
      // The document does not exist yet: the first writers also race to create it.
      // Each commit merges onto the state it was handed (like a CRDT merge) and adds its own
      // mark; a write based on a stale read would drop the marks of the writes it raced with.
      const bump = (engine: StorageEngine, i: number) =>
        engine.commit({ tenant: 't1', changeIds: [`inc-${i}`], docIds: ['n'] }, (loaded) => {
          const prev = JSON.parse(loaded.docs.get('n')?.state ?? '{"marks":[]}') as { marks?: number[] };
          const next = JSON.stringify({ id: 'n', marks: [...(prev.marks ?? []), i] });
          return {
            docs: [{ id: 'n', type: 'note', deleted: false, state: next, view: next }],
            changes: [{ id: `inc-${i}`, doc: 'n' }],
          };
        });
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => bump(i % 2 ? e : e2, i)));
      const marks = (JSON.parse((await e.getDoc('t1', 'n'))?.state ?? '{}') as { marks: number[] }).marks;
      expect([...marks].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      // Every commit wrote exactly one new version, in a distinct sequence.
      expect(new Set(results.map((r) => r.cursor)).size).toBe(30);
      expect(await e.tenantHead('t1')).toBe(30);
      expect((await e.pull('t1', { since: 0, limit: 100 })).docs.map((d) => d.id)).toEqual(['n']);
    });

    it('the same change id pushed twice at once is stored once', async () => {
      const write = (docId: string) =>
        e.commit({ tenant: 't1', changeIds: ['same'], docIds: [docId] }, (loaded) =>
          loaded.known.has('same')
            ? { docs: [], changes: [] }
            : { docs: [doc(docId, 1)], changes: [{ id: 'same', doc: docId }] },
        );
      const [a, b] = await Promise.all([write('x'), write('y')]);
      expect([a.docs.length, b.docs.length].sort()).toEqual([0, 1]);
      const stored = [await e.getDoc('t1', 'x'), await e.getDoc('t1', 'y')].filter((d) => d !== undefined);
      expect(stored).toHaveLength(1);
      expect(await e.tenantHead('t1')).toBe(1);
    });

    it('keeps each change id with its content hash and each replica with the user that first used it', async () => {
      await e.commit({ tenant: 't1', changeIds: ['c1', 'c2'], docIds: ['a'], replicas: ['r1'] }, () => ({
        docs: [doc('a', 1)],
        changes: [
          { id: 'c1', doc: 'a', hash: 'h-one' },
          { id: 'c2', doc: 'a' },
        ],
        bind: [{ replica: 'r1', user: 'anna' }],
      }));
      let seen: unknown;
      const look = (tenant: string) =>
        e.commit({ tenant, changeIds: ['c1', 'c2', 'c3'], docIds: [], replicas: ['r1', 'r2'] }, (l) => {
          seen = { known: [...l.known].sort(), hashes: [...l.hashes], owners: [...l.owners] };
          return { docs: [], changes: [] };
        });
      await look('t1');
      expect(seen).toEqual({ known: ['c1', 'c2'], hashes: [['c1', 'h-one']], owners: [['r1', 'anna']] });
      await look('t2'); // per tenant
      expect(seen).toEqual({ known: [], hashes: [], owners: [] });
      // Survives a reopen.
      await e.close();
      e = await f.reopen();
      await e.init();
      await look('t1');
      expect(seen).toEqual({ known: ['c1', 'c2'], hashes: [['c1', 'h-one']], owners: [['r1', 'anna']] });
    });

    it('two engines binding the same new replica at once: one user owns it, the other plan sees that owner', async () => {
      const e2 = await f.reopen();
      await e2.init();
      extra.push(e2);
      const claims: Array<{ user: string; owner: string | undefined }> = [];
      const claim = (engine: StorageEngine, user: string, i: number) =>
        engine.commit(
          { tenant: 't1', changeIds: [`x${i}`], docIds: [`d${i}`], replicas: ['shared'] },
          (l) => {
            const owner = l.owners.get('shared');
            claims.push({ user, owner });
            if (owner !== undefined && owner !== user) return { docs: [], changes: [] };
            return {
              docs: [doc(`d${i}`, i)],
              changes: [{ id: `x${i}`, doc: `d${i}`, hash: `h${i}` }],
              ...(owner === undefined ? { bind: [{ replica: 'shared', user }] } : {}),
            };
          },
        );
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => claim(i % 2 ? e : e2, i % 2 ? 'anna' : 'ben', i)),
      );
      let owner: string | undefined;
      await e.commit({ tenant: 't1', changeIds: [], docIds: [], replicas: ['shared'] }, (l) => {
        owner = l.owners.get('shared');
        return { docs: [], changes: [] };
      });
      expect(['anna', 'ben']).toContain(owner);
      // Exactly the owner's commits wrote (each plan's last run decided; retries re-ran plans).
      const wrote = results.filter((r) => r.docs.length > 0).length;
      expect(wrote).toBe(6);
      expect(claims.some((c) => c.owner !== undefined)).toBe(true);
    });

    it('maintenance: time marks per tenant, a compacted cursor per tenant that only rises, batched removal of change id ranges', async () => {
      const m = e.maintenance;
      await put(e, 't1', [doc('a', 1), doc('b', 1)]); // t1: 1, 2
      await m.mark(1_000);
      await put(e, 't1', [doc('c', 1)]); // t1: 3
      await put(e, 't2', [doc('z', 1)]); // t2: 1
      await m.mark(2_000);
      expect(await m.headAt('t1', 999)).toBe(0);
      expect(await m.headAt('t1', 1_500)).toBe(2);
      expect(await m.headAt('t1', 2_000)).toBe(3);
      expect(await m.headAt('t2', 1_500)).toBe(0);
      expect(await m.headAt('t2', 2_000)).toBe(1);
      await m.mark(3_000); // nothing moved: the heads at 3,000 are those of 2,000
      expect(await m.headAt('t1', 3_000)).toBe(3);
      await m.pruneMarks(2_500); // keeps each tenant's newest mark at or before 2,500
      expect(await m.headAt('t1', 1_500)).toBe(0);
      expect(await m.headAt('t1', 2_500)).toBe(3);
      expect(await m.headAt('t2', 2_500)).toBe(1);
      expect(await m.compacted('t1')).toBe(0);
      await m.setCompacted('t1', 2);
      await m.setCompacted('t1', 1);
      expect(await m.compacted('t1')).toBe(2);
      expect(await m.compacted('t2')).toBe(0); // per tenant
      await m.setSwept('t2', 1);
      expect([await m.swept('t1'), await m.swept('t2')]).toEqual([0, 1]);
      // Change ids go by ranges of their key (ids are stamps: below = made earlier), per tenant.
      expect(await m.deleteChanges('t1', 'c-c', 1)).toBe(1);
      expect(await m.deleteChanges('t1', 'c-c', 10)).toBe(1);
      expect(await m.deleteChanges('t1', 'c-c', 10)).toBe(0);
      let known: string[] = [];
      await e.commit({ tenant: 't1', changeIds: ['c-a', 'c-b', 'c-c'], docIds: [] }, (l) => {
        known = [...l.known];
        return { docs: [], changes: [] };
      });
      expect(known).toEqual(['c-c']);
      expect((await m.tenants()).sort()).toEqual(['t1', 't2']);
      // Persisted.
      await e.close();
      e = await f.reopen();
      await e.init();
      expect(await e.maintenance.compacted('t1')).toBe(2);
      expect(await e.maintenance.swept('t2')).toBe(1);
      expect(await e.maintenance.headAt('t1', 2_000)).toBe(3);
    });

    it("maintenance: a tenant's deleted documents up to its cursor are removed; its head stays", async () => {
      const gone = (id: string) => ({ ...doc(id, 0), deleted: true });
      await put(e, 't1', [gone('a'), doc('b', 1), gone('c')]); // t1: 1..3
      await put(e, 't2', [gone('x'), gone('y')]); // t2: 1, 2
      await put(e, 't1', [gone('d')], 'late'); // t1: 4
      expect(await e.tenantHead('t1')).toBe(4);
      expect(await e.maintenance.deleteTombstones('t1', 3, 1)).toBe(1);
      expect(await e.maintenance.deleteTombstones('t1', 3, 10)).toBe(1);
      expect(await e.maintenance.deleteTombstones('t1', 3, 10)).toBe(0);
      expect((await e.pull('t1', { since: 0, limit: 10 })).docs.map((d) => d.id)).toEqual(['b', 'd']);
      // t2's rows with the same sequences are another tenant's: untouched.
      expect((await e.pull('t2', { since: 0, limit: 10 })).docs.map((d) => d.id)).toEqual(['x', 'y']);
      expect(await e.maintenance.deleteTombstones('t2', 2, 10)).toBe(2);
      expect((await e.pull('t2', { since: 0, limit: 10 })).docs).toEqual([]);
      // The head is the tenant's sequence, not its newest row: it stays when every row is gone.
      expect(await e.tenantHead('t2')).toBe(2);
      expect((await e.maintenance.tenants()).sort()).toEqual(['t1', 't2']);
      expect(await e.tenantHead('nobody')).toBe(0);
      expect((await put(e, 't2', [doc('w', 1)])).cursor).toBe(3);
    });

    it('maintenance: rewrite replaces a state at the same sequence, and skips a document written since', async () => {
      await put(e, 't1', [doc('a', 1), doc('b', 1)]); // 1, 2
      await put(e, 't1', [doc('b', 2)], 'd'); // b → 3
      const n = await e.maintenance.rewrite('t1', [
        { id: 'a', seq: 1, state: JSON.stringify({ id: 'a', n: 'compacted' }) },
        { id: 'b', seq: 2, state: JSON.stringify({ id: 'b', n: 'stale' }) },
      ]);
      expect(n).toBe(1);
      expect(await e.getDoc('t1', 'a')).toMatchObject({ seq: 1 });
      expect(JSON.parse((await e.getDoc('t1', 'a'))!.state)).toEqual({ id: 'a', n: 'compacted' });
      expect(JSON.parse((await e.getDoc('t1', 'b'))!.state)).toEqual({ id: 'b', n: 2 });
      expect(await e.tenantHead('t1')).toBe(3);
    });

    it('maintenance: a new epoch is persisted and answered from then on', async () => {
      const old = e.epoch();
      expect(old).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const next = await e.maintenance.resetEpoch();
      expect(next).not.toBe(old);
      expect(e.epoch()).toBe(next);
      await e.close();
      e = await f.reopen();
      await e.init();
      expect(e.epoch()).toBe(next);
    });

    it("every tenant has its own sequence: one tenant's writes move neither another's head nor its cursors", async () => {
      const a1 = await put(e, 'acme', [doc('a', 1), doc('b', 1)]);
      const b1 = await put(e, 'beta', [doc('a', 1)]);
      expect(a1.docs.map((d) => d.seq)).toEqual([1, 2]);
      expect(b1.docs.map((d) => d.seq)).toEqual([1]);
      const bPage = await e.pull('beta', { since: 0, limit: 10 });
      expect(bPage.cursor).toBe(1);
      // acme writes a lot; beta's head, its pull cursor and what it sees after its cursor stay put.
      for (let i = 0; i < 5; i++) await put(e, 'acme', [doc(`n${i}`, i)], `x${i}`);
      expect(await e.tenantHead('acme')).toBe(7);
      expect(await e.tenantHead('beta')).toBe(1);
      expect(await e.pull('beta', { since: bPage.cursor, limit: 10 })).toEqual({
        docs: [],
        cursor: 1,
        more: false,
      });
      const empty = await e.commit({ tenant: 'beta', changeIds: [], docIds: [] }, () => ({
        docs: [],
        changes: [],
      }));
      expect(empty.cursor).toBe(1);
      // beta's next write continues its own sequence.
      const b2 = await put(e, 'beta', [doc('c', 1)], 'y');
      expect(b2.docs[0]?.seq).toBe(2);
      expect((await e.pull('beta', { since: 1, limit: 10 })).docs.map((d) => [d.id, d.seq])).toEqual([
        ['c', 2],
      ]);
      // Survives a reopen.
      await e.close();
      e = await f.reopen();
      await e.init();
      expect([await e.tenantHead('acme'), await e.tenantHead('beta')]).toEqual([7, 2]);
      expect((await put(e, 'beta', [doc('d', 1)], 'z')).cursor).toBe(3);
    });

    it('concurrent writers of several tenants through two engines: every tenant gap-free, no cursor hole', async () => {
      const e2 = await f.reopen();
      await e2.init();
      extra.push(e2);
      const tenants = ['t1', 't2', 't3'];
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++)
        writes.push(put(i % 2 ? e : e2, tenants[i % 3]!, [doc(`d${i}`, i), doc(`e${i}`, i)], `w${i}`));
      const got = new Map(tenants.map((t) => [t, new Set<string>()]));
      const cursors = new Map(tenants.map((t) => [t, 0]));
      const done = Promise.all(writes);
      let finished = false;
      void done.then(
        () => (finished = true),
        () => (finished = true),
      );
      // Until every write has finished (however long a loaded machine takes to start the writer
      // threads), and then until nothing more is left to read.
      for (;;) {
        const wasFinished = finished;
        let more = false;
        for (const t of tenants) {
          const p = await e.pull(t, { since: cursors.get(t)!, limit: 5 });
          for (const d of p.docs) got.get(t)!.add(d.id);
          cursors.set(t, p.cursor);
          more ||= p.more;
        }
        if (wasFinished && !more) break;
        await new Promise((r) => setImmediate(r));
      }
      await done;
      for (const t of tenants) {
        expect(got.get(t)!.size).toBe(40);
        expect(await e.tenantHead(t)).toBe(40);
        const seqs = (await e.pull(t, { since: 0, limit: 100 })).docs.map((d) => d.seq);
        expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      }
    });

    it('concurrent writers through two engines never leave a cursor hole for a reader', async () => {
      const e2 = await f.reopen();
      await e2.init();
      extra.push(e2);
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) writes.push(put(i % 2 ? e : e2, 't1', [doc(`d${i}`, i)], `w${i}`));
      // A reader pulling while writes commit must eventually see all 40 docs with its cursor
      // (a skipped sequence would be lost forever).
      const got = new Set<string>();
      let cursor = 0;
      const done = Promise.all(writes);
      let finished = false;
      void done.then(
        () => (finished = true),
        () => (finished = true),
      );
      // Until every write has finished (however long a loaded machine takes to start the writer
      // threads), and then until nothing more is left to read.
      for (;;) {
        const wasFinished = finished;
        const p = await e.pull('t1', { since: cursor, limit: 7 });
        for (const d of p.docs) got.add(d.id);
        cursor = p.cursor;
        if (wasFinished && !p.more) break;
        // Let queued writes run: SQLite commits pushes in groups on the next event-loop turn.
        await new Promise((r) => setImmediate(r));
      }
      await done;
      expect(got.size).toBe(40);
      expect(await e.tenantHead('t1')).toBe(40);
    });
  });
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
