import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommittedBatch, StoredDoc } from '../src/storage/StorageEngine.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';

// Every group of pushes is written by the engine's writer thread (sqliteWriterWorker.ts); the
// main thread only reads and merges. These tests pin down that path, seen from a second
// connection ("another process"): acks after COMMIT, the re-check of what the merge read, and
// waiting for another connection's write lock off the main thread.

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function open(): { e: SqliteEngine; probe: Database.Database; file: string; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-direct-'));
  const file = join(dir, 'db.sqlite');
  const e = new SqliteEngine({ file });
  const probe = new Database(file);
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= e.close());
  cleanup.push(close);
  cleanup.push(() => void probe.close());
  return { e, probe, file, close };
}

type Marks = { id: string; marks: number[] };
const marksOf = (d: StoredDoc | undefined): number[] => (d ? (JSON.parse(d.state) as Marks).marks : []);

/** A push of `ids`, each document merged onto what the engine loaded (its marks plus `mark`). */
function push(e: SqliteEngine, ids: string[], mark: number): Promise<{ docs: StoredDoc[]; cursor: number }> {
  return e.commit({ tenant: 't', changeIds: ids.map((id) => `c${mark}-${id}`), docIds: ids }, (loaded) => ({
    docs: ids.map((id) => {
      const state = JSON.stringify({ id, marks: [...marksOf(loaded.docs.get(id)), mark] });
      return { id, type: 'note', deleted: false, state, view: state };
    }),
    changes: ids.map((id) => ({ id: `c${mark}-${id}`, doc: id })),
  }));
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function committedSeq(probe: Database.Database, id: string): number | undefined {
  return probe
    .prepare<[string], { seq: number }>("SELECT seq FROM docs WHERE tenant = 't' AND id = ?")
    .get(id)?.seq;
}

describe('SQLite engine: writes on the writer thread', () => {
  it('a push, small or large, is committed by the writer thread: nothing when commit() returns, all of it when it resolves', async () => {
    const { e, probe } = open();
    const small = push(e, ['a', 'b'], 1);
    expect(committedSeq(probe, 'a')).toBeUndefined();
    expect((await small).cursor).toBe(2);
    expect(committedSeq(probe, 'a')).toBe(1);
    expect(committedSeq(probe, 'b')).toBe(2);

    const large = push(e, range('L', 2000), 2);
    expect(committedSeq(probe, 'L0')).toBeUndefined();
    expect((await large).cursor).toBe(2002);
    expect(committedSeq(probe, 'L1999')).toBe(2002);
  });

  it('small and large pushes at once: both paths used, acks after COMMIT, sequence order, no lost update', async () => {
    const { e, probe, file, close } = open();
    const batches: CommittedBatch[] = [];
    e.onCommit((b) => {
      // Announced only once committed: every document of the batch is visible to another connection.
      for (const d of b.docs ?? []) expect(committedSeq(probe, d.id)).toBe(d.seq);
      batches.push(b);
    });
    const acked = (p: Promise<{ docs: StoredDoc[]; cursor: number }>) =>
      p.then((r) => {
        // (a later push on the same document may have committed since)
        for (const d of r.docs) expect(committedSeq(probe, d.id)).toBeGreaterThanOrEqual(d.seq);
        return r;
      });
    await acked(push(e, ['s0'], 0));
    expect(committedSeq(probe, 's0')).toBe(1);
    // The large push goes to the writer thread; the small ones are merged while it commits. One
    // touches a document of the large push (must wait for it and merge onto it), the others not.
    const all = [
      acked(push(e, [...range('L', 500), 'shared'], 1)),
      acked(push(e, ['x'], 2)),
      acked(push(e, ['shared'], 3)),
      acked(push(e, ['y', 'shared2'], 4)),
    ];
    expect(committedSeq(probe, 'x')).toBeUndefined(); // queued behind the writer thread's group
    const results = await Promise.all(all);
    // x and y/shared2 form the next group, sent once the writer thread answered; the push on
    // `shared` merges after that group, onto what the large push wrote.
    expect(results.map((r) => r.cursor)).toEqual([502, 503, 506, 505]);

    // Then a burst of small pushes on one document, all at once.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => acked(push(e, ['shared2'], 10 + i))),
    );
    expect(new Set(burst.map((r) => r.cursor)).size).toBe(20);

    expect(batches.map((b) => [b.from, b.to])).toEqual([
      [1, 1],
      [2, 502],
      [503, 503],
      [504, 505],
      [506, 506],
      ...Array.from({ length: 20 }, (_, i) => [507 + i, 507 + i]),
    ]);
    expect(marksOf(await e.getDoc('t', 'shared'))).toEqual([1, 3]);
    expect(marksOf(await e.getDoc('t', 'shared2')).sort((a, b) => a - b)).toEqual([
      4,
      ...Array.from({ length: 20 }, (_, i) => 10 + i),
    ]);

    await close();
    const again = new SqliteEngine({ file });
    cleanup.push(() => again.close());
    expect(await again.tenantHead('t')).toBe(526);
    expect((await again.pull('t', { since: 0, limit: 1000 })).docs).toHaveLength(505);
  });

  it('the writer thread rechecks what was read: a write by another connection in between is merged again', async () => {
    const { e: seeded, probe, file, close } = open();
    await push(seeded, ['a'], 1);
    await close();
    const e = new SqliteEngine({ file });
    cleanup.push(() => e.close());
    let calls = 0;
    const r = await e.commit({ tenant: 't', changeIds: ['c2'], docIds: ['a'] }, (loaded) => {
      if (++calls === 1) {
        // "Another process" commits a new version of `a` after the engine read it.
        probe
          .transaction(() => {
            const seq = probe
              .prepare<[], { seq: number }>(
                "UPDATE tenants SET seq = seq + 1 WHERE tenant = 't' RETURNING seq",
              )
              .get()?.seq;
            const state = JSON.stringify({ id: 'a', marks: [1, 99] });
            probe
              .prepare("UPDATE docs SET seq = ?, state = ?, view = ? WHERE tenant = 't' AND id = 'a'")
              .run(seq, state, state);
          })
          .immediate();
      }
      const state = JSON.stringify({ id: 'a', marks: [...marksOf(loaded.docs.get('a')), 2] });
      return {
        docs: [{ id: 'a', type: 'note', deleted: false, state, view: state }],
        changes: [{ id: 'c2', doc: 'a' }],
      };
    });
    expect(calls).toBe(2);
    expect(r.cursor).toBe(3);
    expect(marksOf(await e.getDoc('t', 'a'))).toEqual([1, 99, 2]);
  });

  it('another connection holding the write lock: the main thread does not wait, the writer thread does', async () => {
    const { e, probe } = open();
    probe.prepare('BEGIN IMMEDIATE').run();
    const started = performance.now();
    const p = push(e, ['a'], 1);
    expect(performance.now() - started).toBeLessThan(200); // handed to the writer thread, not written here
    let done = false;
    void p.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false); // the writer thread waits for the lock
    probe.prepare('COMMIT').run();
    expect((await p).cursor).toBe(1);
    expect(committedSeq(probe, 'a')).toBe(1);
  });
});
