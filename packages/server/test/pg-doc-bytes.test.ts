import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docBytes } from '../src/storage/docBytes.js';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import type { StorageEngine, StoredDoc } from '../src/storage/StorageEngine.js';
import { fcParams } from '../../../testing/fcSeed.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';

const hasPg = await pgReachable();

type Row = Omit<StoredDoc, 'seq'>;
/** A document whose state and view differ in size; `é` and `🙂` are 2 and 4 UTF-8 bytes. */
const row = (id: string, state: string, view = state.slice(0, Math.floor(state.length / 2))): Row => ({
  id,
  type: 'note',
  deleted: false,
  state: JSON.stringify({ id, s: state }),
  view: JSON.stringify({ id, v: view }),
});

let changeNo = 0;
const write = (e: StorageEngine, tenant: string, docs: Row[]) =>
  e.commit({ tenant, changeIds: docs.map(() => `c${++changeNo}`), docIds: docs.map((d) => d.id) }, () => ({
    docs,
    changes: docs.map((d, i) => ({ id: `c${changeNo - docs.length + i + 1}`, doc: d.id })),
  }));

/** Pages by `docBytes` of the rows in sequence order: what both engines must answer. */
function expectedPages(rows: Row[], limit: number, maxBytes: number): string[][] {
  const pages: string[][] = [];
  let page: string[] = [];
  let bytes = 0;
  for (const r of rows) {
    const n = docBytes(r.state, r.view);
    if (page.length > 0 && (page.length === limit || bytes + n > maxBytes)) {
      pages.push(page);
      page = [];
      bytes = 0;
    }
    page.push(r.id);
    bytes += n;
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

async function pages(e: StorageEngine, tenant: string, limit: number, maxBytes: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let since = 0; ;) {
    const p = await e.pull(tenant, { since, limit, maxBytes });
    out.push(p.docs.map((d) => d.id));
    if (!p.more) return out;
    expect(p.docs.length).toBeGreaterThan(0);
    since = p.cursor;
  }
}

/**
 * Issue 13: PostgreSQL pages by each row's stored size (`docs.bytes`). The size must be the
 * UTF-8 bytes of state + view after every kind of write, and rows without one (a store of the
 * previous version, or written by a server of it) must page exactly as if they had one.
 */
describe.runIf(hasPg)('PostgreSQL: stored document sizes', () => {
  const schema = uniqueSchema();
  let e: PostgresEngine;
  let sql: pg.Client;
  beforeAll(async () => {
    e = new PostgresEngine({ url: PG_URL, schema });
    await e.init();
    sql = new pg.Client({ connectionString: PG_URL });
    await sql.connect();
  });
  afterAll(async () => {
    await sql.end();
    await e.close();
    await dropSchema(schema);
  });

  /** Each row's stored size against `docBytes` of its stored text, in sequence order. */
  const sizes = async (tenant: string) =>
    (
      await sql.query<{ id: string; bytes: string | null; state: string; view: string }>(
        `SELECT id, bytes, state::text AS state, view::text AS view FROM ${schema}.docs WHERE tenant = $1 ORDER BY seq`,
        [tenant],
      )
    ).rows.map((r) => ({
      id: r.id,
      stored: r.bytes === null ? null : Number(r.bytes),
      actual: docBytes(r.state, r.view),
    }));
  const expectSized = async (tenant: string): Promise<void> => {
    const all = await sizes(tenant);
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) expect(s.stored, s.id).toBe(s.actual);
  };
  const current = async (tenant: string): Promise<Row[]> =>
    (await e.pull(tenant, { since: 0, limit: 10_000 })).docs.map(({ seq: _, ...d }) => d);

  it('pages of written and rewritten documents of mixed sizes are cut where the UTF-8 sizes say (property)', async () => {
    const text = fc.string({
      unit: fc.constantFrom('a', 'é', '🙂', '"', '\\'),
      maxLength: 3000,
    });
    const writes = fc.array(fc.tuple(fc.nat(7), text), { minLength: 1, maxLength: 20 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        writes,
        fc.integer({ min: 1, max: 6 }),
        // A budget anywhere, or exactly at (or one byte off) the end of the first rows.
        fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 }))),
        async (w, limit, budget) => {
          const tenant = `p${run++}`;
          for (const [n, s] of w) await write(e, tenant, [row(`d${n}`, s)]);
          await expectSized(tenant);
          const rows = await current(tenant);
          let maxBytes = typeof budget === 'number' ? budget : budget[1];
          if (typeof budget !== 'number')
            for (const r of rows.slice(0, (budget[0] % rows.length) + 1))
              maxBytes += docBytes(r.state, r.view);
          expect(await pages(e, tenant, limit, maxBytes)).toEqual(expectedPages(rows, limit, maxBytes));
        },
      ),
      fcParams('pg stored sizes: pages', 25),
    );
  });

  it('sizes stay right through updates that grow, shrink or keep the size, and through compaction rewrites', async () => {
    await write(e, 'u', [row('a', 'x'.repeat(5000)), row('b', 'é'.repeat(3000)), row('c', 'small')]);
    await write(e, 'u', [row('a', 'x'.repeat(20_000))]); // grows
    await write(e, 'u', [row('b', 'é'.repeat(100))]); // shrinks
    await write(e, 'u', [row('c', 'SMALL')]); // same size, other text
    await expectSized('u');
    // Compaction replaces a state at the same sequence: the size follows the new state.
    const a = await e.getDoc('u', 'a');
    const rewritten = JSON.stringify({ id: 'a', s: '🙂'.repeat(10) });
    expect(await e.maintenance.rewrite('u', [{ id: 'a', seq: a!.seq, state: rewritten }])).toBe(1);
    expect((await e.getDoc('u', 'a'))?.state).toBe(rewritten);
    await expectSized('u');
    const rows = await current('u');
    for (const maxBytes of [0, 200, 3000, 12_000, 1e9])
      expect(await pages(e, 'u', 10, maxBytes)).toEqual(expectedPages(rows, 10, maxBytes));
  });

  it('a store of the previous version (no size column) pages identically and gets its sizes stored, a locked row included', async () => {
    const docs = Array.from({ length: 12 }, (_, i) =>
      row(`o${i}`, (i % 3 === 0 ? 'é' : 'o').repeat(500 * (i + 1))),
    );
    await write(e, 'old', docs.slice(0, 6));
    await write(e, 'old', docs.slice(6));
    const rows = await current('old');
    const want = expectedPages(rows, 5, 6000);
    // The previous version's layout: no column, index, trigger or function of the sizes.
    const old = uniqueSchema();
    try {
      await sql.query(`CREATE SCHEMA ${old}`);
      for (const t of ['docs', 'changes', 'meta', 'info', 'replicas', 'tenants', 'tenant_marks'])
        await sql.query(`CREATE TABLE ${old}.${t} (LIKE ${schema}.${t} INCLUDING ALL)`);
      await sql.query(`ALTER TABLE ${old}.docs DROP COLUMN bytes`);
      for (const t of ['docs', 'changes', 'meta', 'info', 'replicas', 'tenants', 'tenant_marks'])
        await sql.query(
          `INSERT INTO ${old}.${t} SELECT ${t === 'docs' ? 'tenant, id, type, seq, deleted, state, view' : '*'} FROM ${schema}.${t}`,
        );
      const upgraded = new PostgresEngine({ url: PG_URL, schema: old });
      try {
        await upgraded.init();
        const unknown = await sql.query(
          `SELECT count(*) AS n FROM ${old}.docs WHERE tenant = 'old' AND bytes IS NULL`,
        );
        expect(Number(unknown.rows[0].n)).toBe(12);
        // A writer holds one row: the page sizes it without storing, and leaves it unknown.
        const holder = new pg.Client({ connectionString: PG_URL });
        await holder.connect();
        try {
          await holder.query('BEGIN');
          await holder.query(`SELECT 1 FROM ${old}.docs WHERE tenant = 'old' AND id = 'o3' FOR UPDATE`);
          expect(await pages(upgraded, 'old', 5, 6000)).toEqual(want);
          const left = await sql.query(`SELECT id FROM ${old}.docs WHERE tenant = 'old' AND bytes IS NULL`);
          expect(left.rows.map((r: { id: string }) => r.id)).toEqual(['o3']);
          await holder.query('ROLLBACK');
        } finally {
          await holder.end();
        }
        expect(await pages(upgraded, 'old', 5, 6000)).toEqual(want);
        const all = await sql.query<{ id: string; bytes: string }>(
          `SELECT id, bytes FROM ${old}.docs WHERE tenant = 'old' ORDER BY seq`,
        );
        expect(all.rows.map((r) => [r.id, Number(r.bytes)])).toEqual(
          rows.map((r) => [r.id, docBytes(r.state, r.view)]),
        );
        for (const maxBytes of [0, 1000, 20_000, 1e9])
          expect(await pages(upgraded, 'old', 4, maxBytes)).toEqual(expectedPages(rows, 4, maxBytes));
      } finally {
        await upgraded.close();
      }
    } finally {
      await dropSchema(old);
    }
  });

  it('rows written by a server of the previous version (which writes no size) are sized by the database', async () => {
    await write(e, 'prev', [row('a', 'a'.repeat(1000)), row('b', 'b'.repeat(1000))]);
    // The previous version's upsert, verbatim but for the values: no `bytes` anywhere.
    const upsert = (id: string, seq: number, body: Row) =>
      sql.query(
        `INSERT INTO ${schema}.docs (tenant, id, type, seq, deleted, state, view)
         VALUES ('prev', $1, 'note', $2, false, $3::json, $4::json)
         ON CONFLICT (tenant, id) DO UPDATE SET type = excluded.type, seq = excluded.seq,
           deleted = excluded.deleted, state = excluded.state, view = excluded.view`,
        [id, seq, body.state, body.view],
      );
    await upsert('a', 3, row('a', 'é'.repeat(4000))); // an update that changes the size
    await upsert('c', 4, row('c', '🙂'.repeat(700))); // a new document
    await upsert('b', 5, row('b', 'B'.repeat(1000))); // an update that keeps the size
    await sql.query(`UPDATE ${schema}.tenants SET seq = 5 WHERE tenant = 'prev'`);
    await expectSized('prev');
    const rows = await current('prev');
    for (const maxBytes of [0, 5000, 12_000, 1e9])
      expect(await pages(e, 'prev', 10, maxBytes)).toEqual(expectedPages(rows, 10, maxBytes));
  });
});
