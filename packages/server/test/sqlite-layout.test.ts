import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { docKeyHash } from '../src/storage/sqlite/docKeyHash.js';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';

const dirs: string[] = [];
const newFile = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-layout-'));
  dirs.push(dir);
  return join(dir, 'db.sqlite');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const row = (id: string, n: number) => ({
  id,
  type: 'note',
  deleted: false,
  state: JSON.stringify({ id, n }),
  view: JSON.stringify({ id, n }),
});

describe('SQLite layout: documents found by a hashed lookup key', () => {
  it('two ids with the same lookup key stay two documents', async () => {
    const file = newFile();
    const e = new SqliteEngine({ file });
    const base = new Database(file, { readonly: true })
      .prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'hash_base'")
      .get()?.value;
    expect(base).toBeGreaterThan(1);
    // Birthday search among random ids (like real document ids) for a collision under this
    // database's base: ~58,000 tries expected, 2,000,000 make a miss vanishingly unlikely.
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; i < 2_000_000 && !pair; i++) {
      const id = randomBytes(16).toString('base64url');
      const h = docKeyHash(base!, 't1', id);
      const other = seen.get(h);
      if (other) pair = [other, id];
      else seen.set(h, id);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    const put = (id: string, n: number) =>
      e.commit({ tenant: 't1', changeIds: [`c-${id}-${n}`], docIds: [id] }, (loaded) => {
        expect([...loaded.docs.keys()]).toEqual(loaded.docs.has(id) ? [id] : []); // never the colliding neighbour
        return { docs: [row(id, n)], changes: [{ id: `c-${id}-${n}`, doc: id }] };
      });
    await put(a, 1);
    await put(b, 2);
    await put(a, 3); // an update finds its own row, not the other one
    expect(JSON.parse((await e.getDoc('t1', a))?.state ?? '')).toEqual({ id: a, n: 3 });
    expect(JSON.parse((await e.getDoc('t1', b))?.state ?? '')).toEqual({ id: b, n: 2 });
    const page = await e.pull('t1', { since: 0, limit: 10 });
    expect(page.docs.map((d) => d.id).sort()).toEqual([a, b].sort());
    await e.close();
  });

  it('keys depend on the tenant and on a per-database secret base', () => {
    expect(docKeyHash(12345, 'acme', 'x')).not.toBe(docKeyHash(12345, 'evil', 'x'));
    expect(docKeyHash(12345, 'acme', 'x')).not.toBe(docKeyHash(54321, 'acme', 'x'));
    // tenant/id boundary is part of the key: ("ab", "c") and ("a", "bc") differ
    expect(docKeyHash(12345, 'ab', 'c')).not.toBe(docKeyHash(12345, 'a', 'bc'));
    for (const h of [docKeyHash(2, 't', 'y'), docKeyHash(2 ** 31 - 2, 't'.repeat(100), 'z'.repeat(500))]) {
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 31 - 1).toBe(true);
    }
  });

  it('refuses a data directory written with the older (tenant, id) primary-key layout', () => {
    const file = newFile();
    const old = new Database(file);
    old.exec(`CREATE TABLE docs (tenant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
      deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL, PRIMARY KEY (tenant, id));
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO meta VALUES ('seq', 0);`);
    old.close();
    expect(() => new SqliteEngine({ file })).toThrow(/older fieldsync server.*not migrated/);
  });

  it('refuses a data directory written by a newer layout, saying so', async () => {
    const file = newFile();
    await new SqliteEngine({ file }).close();
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = 9 WHERE key = 'layout'").run();
    db.close();
    expect(() => new SqliteEngine({ file })).toThrow(/newer fieldsync server \(table layout 9/);
  });
});

describe('SQLite layout 3: a layout-2 store (one sequence for all tenants) is migrated in place', () => {
  /** A layout-2 store as the server before per-tenant sequences left it (with issue 11's tables). */
  function layout2(file: string): void {
    const db = new Database(file);
    db.exec(`
      CREATE TABLE docs (tenant TEXT NOT NULL, id TEXT NOT NULL, h INTEGER NOT NULL, type TEXT NOT NULL, seq INTEGER NOT NULL,
        deleted INTEGER NOT NULL, state TEXT NOT NULL, view TEXT NOT NULL);
      CREATE INDEX docs_h ON docs (h);
      CREATE INDEX docs_tenant_seq ON docs (tenant, seq);
      CREATE TABLE changes (tenant TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT,
        PRIMARY KEY (tenant, id)) WITHOUT ROWID;
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE INDEX docs_deleted ON docs (seq) WHERE deleted = 1;
      CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE replicas (tenant TEXT NOT NULL, replica TEXT NOT NULL, owner TEXT NOT NULL,
        PRIMARY KEY (tenant, replica)) WITHOUT ROWID;
      CREATE TABLE marks (at INTEGER PRIMARY KEY, head INTEGER NOT NULL);
      INSERT INTO meta VALUES ('seq', 6), ('layout', 2), ('hash_base', 12345), ('compacted', 2), ('swept', 1);
      INSERT INTO info VALUES ('epoch', 'old-epoch-0123456789ab');
      INSERT INTO marks VALUES (1000, 2), (2000, 5);
      INSERT INTO replicas VALUES ('acme', 'r1', 'anna');`);
    // Global sequences interleaved across tenants: acme 1, 3, 4, 6 (4 deleted); beta 2, 5.
    const rows: Array<[string, string, number, number]> = [
      ['acme', 'a1', 1, 0],
      ['beta', 'b1', 2, 0],
      ['acme', 'a2', 3, 0],
      ['acme', 'a3', 4, 1],
      ['beta', 'b2', 5, 0],
      ['acme', 'a4', 6, 0],
    ];
    const put = db.prepare('INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const change = db.prepare('INSERT INTO changes VALUES (?, ?, ?, ?, ?)');
    for (const [t, id, seq, del] of rows) {
      const json = JSON.stringify({ id, seq });
      put.run(t, id, docKeyHash(12345, t, id), 'note', seq, del, json, json);
      change.run(t, `c-${id}`, id, seq, `h-${id}`);
    }
    db.close();
  }

  it('keeps every document, sequence, cursor and epoch; each tenant continues from the old global head', async () => {
    const file = newFile();
    layout2(file);
    const e = new SqliteEngine({ file });
    expect(e.epoch()).toBe('old-epoch-0123456789ab'); // the same history: devices keep their cursors
    expect([await e.tenantHead('acme'), await e.tenantHead('beta')]).toEqual([6, 6]);
    expect((await e.maintenance.tenants()).sort()).toEqual(['acme', 'beta']);
    // Documents keep their sequences: a device's old cursor still means what it meant.
    const acme = await e.pull('acme', { since: 0, limit: 10 });
    expect(acme.docs.map((d) => [d.id, d.seq])).toEqual([
      ['a1', 1],
      ['a2', 3],
      ['a3', 4],
      ['a4', 6],
    ]);
    expect((await e.pull('beta', { since: 2, limit: 10 })).docs.map((d) => d.id)).toEqual(['b2']);
    expect(JSON.parse((await e.getDoc('beta', 'b1'))!.state)).toEqual({ id: 'b1', seq: 2 });
    // Every cursor handed out was ≤ 6: the next write of a tenant is numbered above it, never in a hole.
    const w = await e.commit({ tenant: 'beta', changeIds: ['c-new'], docIds: ['b3'] }, () => ({
      docs: [{ id: 'b3', type: 'note', deleted: false, state: '{}', view: '{}' }],
      changes: [{ id: 'c-new', doc: 'b3' }],
    }));
    expect(w.cursor).toBe(7);
    expect((await e.pull('beta', { since: 5, limit: 10 })).docs.map((d) => d.id)).toEqual(['b3']);
    expect(await e.tenantHead('acme')).toBe(6); // acme's head does not move with beta's write
    // Compaction state carried over per tenant: cursors, sweep, time marks, change ids, replicas.
    const m = e.maintenance;
    expect([await m.compacted('acme'), await m.compacted('beta')]).toEqual([2, 2]);
    expect([await m.swept('acme'), await m.swept('beta')]).toEqual([1, 1]);
    expect([await m.headAt('acme', 1500), await m.headAt('beta', 2000)]).toEqual([2, 5]);
    expect(await m.deleteTombstones('acme', 4, 10)).toBe(1);
    let loaded: { known: string[]; owners: string[] } | undefined;
    await e.commit({ tenant: 'acme', changeIds: ['c-a1', 'c-b1'], docIds: [], replicas: ['r1'] }, (l) => {
      loaded = { known: [...l.known], owners: [...l.owners.values()] };
      return { docs: [], changes: [] };
    });
    expect(loaded).toEqual({ known: ['c-a1'], owners: ['anna'] });
    await e.close();
    // Opened again: layout 3, nothing migrated twice.
    const again = new SqliteEngine({ file });
    expect([await again.tenantHead('acme'), await again.tenantHead('beta')]).toEqual([6, 7]);
    await again.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'layout'").pluck().get()).toBe(3);
    db.close();
  });

  it('a layout-2 server still writing the migrated file is refused on its next write, with a message', async () => {
    const file = newFile();
    layout2(file);
    await new SqliteEngine({ file }).close();
    // What the old server's writer ran first in every push: bump the one global sequence.
    const old = new Database(file);
    expect(() =>
      old.prepare("UPDATE meta SET value = value + ? WHERE key = 'seq' RETURNING value").get(1),
    ).toThrow(/sequence per tenant now .* stop every older fieldsync server/);
    old.close();
  });
});
