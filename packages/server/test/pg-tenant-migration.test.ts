import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../src/storage/postgres/PostgresEngine.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';

const hasPg = await pgReachable();

/** A schema as the server before per-tenant sequences left it (one `meta.seq`, issue 11's tables). */
async function globalSequenceSchema(s: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA ${s};
      CREATE TABLE ${s}.docs (tenant text NOT NULL, id text NOT NULL, type text NOT NULL, seq bigint NOT NULL,
        deleted boolean NOT NULL, state jsonb NOT NULL, view jsonb NOT NULL, PRIMARY KEY (tenant, id));
      CREATE INDEX docs_tenant_seq ON ${s}.docs (tenant, seq);
      CREATE TABLE ${s}.changes (tenant text NOT NULL, id text NOT NULL, doc text NOT NULL, seq bigint NOT NULL,
        hash text, PRIMARY KEY (tenant, id));
      CREATE TABLE ${s}.meta (key text PRIMARY KEY, value bigint NOT NULL);
      CREATE INDEX docs_deleted ON ${s}.docs (seq) WHERE deleted;
      CREATE TABLE ${s}.info (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE ${s}.replicas (tenant text NOT NULL, replica text NOT NULL, owner text NOT NULL,
        PRIMARY KEY (tenant, replica));
      CREATE TABLE ${s}.marks (at bigint PRIMARY KEY, head bigint NOT NULL);
      INSERT INTO ${s}.meta VALUES ('seq', 6), ('compacted', 2), ('swept', 1);
      INSERT INTO ${s}.info VALUES ('epoch', 'old-epoch-0123456789ab');
      INSERT INTO ${s}.marks VALUES (1000, 2), (2000, 5);
      INSERT INTO ${s}.replicas VALUES ('acme', 'r1', 'anna');`);
    // Global sequences interleaved across tenants: acme 1, 3, 4, 6 (4 deleted); beta 2, 5.
    for (const [t, id, seq, del] of [
      ['acme', 'a1', 1, false],
      ['beta', 'b1', 2, false],
      ['acme', 'a2', 3, false],
      ['acme', 'a3', 4, true],
      ['beta', 'b2', 5, false],
      ['acme', 'a4', 6, false],
    ] as const) {
      const json = JSON.stringify({ id, seq });
      await c.query(`INSERT INTO ${s}.docs VALUES ($1, $2, 'note', $3, $4, $5, $5)`, [t, id, seq, del, json]);
      await c.query(`INSERT INTO ${s}.changes VALUES ($1, $2, $3, $4, $5)`, [
        t,
        `c-${id}`,
        id,
        seq,
        `h-${id}`,
      ]);
    }
  } finally {
    await c.end();
  }
}

describe.runIf(hasPg)(
  'PostgreSQL: a schema with one global sequence is migrated to per-tenant sequences',
  () => {
    const schemas: string[] = [];
    afterEach(async () => {
      for (const s of schemas.splice(0)) await dropSchema(s);
    });

    it('keeps every document, sequence, cursor and epoch; each tenant continues from the old global head', async () => {
      const s = uniqueSchema();
      schemas.push(s);
      await globalSequenceSchema(s);
      const e = new PostgresEngine({ url: PG_URL, schema: s });
      try {
        await e.init();
        expect(e.epoch()).toBe('old-epoch-0123456789ab');
        expect([await e.tenantHead('acme'), await e.tenantHead('beta')]).toEqual([6, 6]);
        expect((await e.maintenance.tenants()).sort()).toEqual(['acme', 'beta']);
        const acme = await e.pull('acme', { since: 0, limit: 10 });
        expect(acme.docs.map((d) => [d.id, d.seq])).toEqual([
          ['a1', 1],
          ['a2', 3],
          ['a3', 4],
          ['a4', 6],
        ]);
        expect((await e.pull('beta', { since: 2, limit: 10 })).docs.map((d) => d.id)).toEqual(['b2']);
        const w = await e.commit({ tenant: 'beta', changeIds: ['c-new'], docIds: ['b3'] }, () => ({
          docs: [{ id: 'b3', type: 'note', deleted: false, state: '{}', view: '{}' }],
          changes: [{ id: 'c-new', doc: 'b3' }],
        }));
        expect(w.cursor).toBe(7);
        expect(await e.tenantHead('acme')).toBe(6);
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
      } finally {
        await e.close();
      }
      // A second start migrates nothing again.
      const again = new PostgresEngine({ url: PG_URL, schema: s });
      try {
        await again.init();
        expect([await again.tenantHead('acme'), await again.tenantHead('beta')]).toEqual([6, 7]);
      } finally {
        await again.close();
      }
    });

    it('a server of the old layout still writing the schema is refused on its next write, with a message', async () => {
      const s = uniqueSchema();
      schemas.push(s);
      await globalSequenceSchema(s);
      const e = new PostgresEngine({ url: PG_URL, schema: s });
      await e.init();
      await e.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        // What the old server's commit ran to number a write: bump the one global sequence.
        await expect(
          c.query(`UPDATE ${s}.meta SET value = value + 1 WHERE key = 'seq' RETURNING value`),
        ).rejects.toThrow(/sequence per tenant now; stop every older fieldsync server/);
        // ...and its start (which inserts the row if missing) does not reset it.
        await c.query(`INSERT INTO ${s}.meta (key, value) VALUES ('seq', 0) ON CONFLICT DO NOTHING`);
        await expect(c.query(`UPDATE ${s}.meta SET value = value + 1 WHERE key = 'seq'`)).rejects.toThrow();
      } finally {
        await c.end();
      }
    });

    it('a fresh schema refuses an old server the same way', async () => {
      const s = uniqueSchema();
      schemas.push(s);
      const e = new PostgresEngine({ url: PG_URL, schema: s });
      await e.init();
      await e.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await expect(c.query(`UPDATE ${s}.meta SET value = value + 1 WHERE key = 'seq'`)).rejects.toThrow(
          /sequence per tenant now/,
        );
      } finally {
        await c.end();
      }
    });
  },
);
