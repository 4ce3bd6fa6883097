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
});
