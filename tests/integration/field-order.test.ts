import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import type { TypeDef } from '@fieldsync/core';
import { testServer, waitFor, type TestServer } from '../../testing/server/harness.js';
import pg from 'pg';
import { PostgresEngine } from '@fieldsync/server';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/**
 * Deliberately unsorted names of different lengths: PostgreSQL's JSONB would hand them back as
 * `a, notes, title, …` (by length, then bytes), SQLite as written. Objects too: `address` is
 * merged per key (arrival order), `contact` is a whole value written in another order.
 */
const VISIT: TypeDef = {
  name: 'Visit',
  version: 1,
  fields: {
    siteAddress: { type: 'string' },
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'done'] },
    a: { type: 'string' },
    notes: { type: 'string' },
    zoneCode: { type: 'string' },
    priority: { type: 'number' },
    address: {
      type: 'object',
      fields: { street: { type: 'string' }, zip: { type: 'string' }, city: { type: 'string' } },
    },
    contact: {
      type: 'object',
      merge: 'lww',
      fields: { phone: { type: 'string' }, name: { type: 'string' } },
    },
  },
};

const keysOf = (x: unknown): string[] => Object.keys(x as object);

describe.each(engines)('field order is part of the type (%s server)', (engine) => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-order-'));
  const dbs: Database[] = [];
  let n = 0;
  const open = async (user: string, file?: string): Promise<Database> => {
    const db = await createDatabase({
      name: `${user}-${n++}`,
      replicaId: `${user}${n}`,
      ...(file ? { storage: new SqliteStorage(file) } : {}),
      sync: { url: srv.url, token: await srv.token(user, 'order', { role: 'admin' }), autoStart: false },
    });
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    srv = await testServer({
      engine,
      types: [],
      permissions: { defineTypes: (u) => u.claims['role'] === 'admin' },
    });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close().catch(() => undefined);
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A fresh device (SQLite client storage) syncs everything, and is reopened from its storage:
   * both times the type, `findOne`, `find` and a live query list exactly `expected`, and the
   * nested objects their sub-fields' order.
   */
  const freshDeviceSees = async (label: string, expected: string[], ids: string[]): Promise<void> => {
    const file = join(dir, `${label}-${engine}.sqlite`);
    const check = async (db: Database): Promise<void> => {
      expect(keysOf(db.types.get('Visit')!.fields)).toEqual(expected);
      const col = db.collection('Visit');
      for (const id of ids) {
        const doc = col.findOne(id)!;
        expect(keysOf(doc)).toEqual(['id', ...expected.filter((k) => k in doc)]);
        expect(keysOf(doc['address'])).toEqual(['street', 'zip', 'city']);
        expect(keysOf(doc['contact'])).toEqual(['phone', 'name']);
      }
      const found = col.find().fetch();
      expect(found).toHaveLength(ids.length);
      for (const doc of found) expect(keysOf(doc)).toEqual(['id', ...expected.filter((k) => k in doc)]);
      let live: readonly Record<string, unknown>[] = [];
      const stop = col.find({}).subscribe((r) => (live = r));
      expect(live).toHaveLength(ids.length);
      for (const doc of live) expect(keysOf(doc)).toEqual(['id', ...expected.filter((k) => k in doc)]);
      stop();
    };
    const fresh = await open('fresh', file);
    await fresh.sync!.flush();
    await check(fresh);
    await fresh.close();
    const reopened = await createDatabase({ name: 'reopened', storage: new SqliteStorage(file) });
    dbs.push(reopened);
    await check(reopened);
    await reopened.close();
  };

  it('round-trips to a fresh device unchanged, before and after a rename, an add and a remove', async () => {
    const admin = await open('adam');
    await admin.defineType(VISIT);
    const col = admin.collection('Visit');
    // Values given in another order than the type's; later updates in yet another order.
    const r1 = await col.insert({
      priority: 2,
      contact: { name: 'Ann', phone: '555' },
      zoneCode: 'Z9',
      a: 'x',
      address: { city: 'Graz', street: 'Main 1' },
      title: 'Pump',
      siteAddress: 'Main 1, Graz',
    });
    const r2 = await col.insert({ title: 'Valve', notes: 'n', status: 'open' });
    await col.update(r2, {
      $set: { 'address.city': 'Linz', 'address.zip': '4020', 'address.street': 'Hof 2' },
    });
    await col.update(r2, {
      $set: { contact: { name: 'Ben', phone: '777' }, priority: 1, siteAddress: 'Hof 2' },
    });
    await col.update(r1, { $set: { 'address.zip': '8010', status: 'done', notes: 'fixed' } });
    await admin.sync!.flush();
    const ids = [r1, r2];
    const v1 = keysOf(VISIT.fields);
    expect(keysOf(col.findOne(r1))).toEqual(['id', ...v1]);

    // The wire: the type as the server sends it keeps the declared order.
    const token = await srv.token('reader', 'order');
    const pulled = (await (
      await fetch(`${srv.url}/v1/pull?since=0`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { types: TypeDef[] };
    expect(pulled.types.map((t) => keysOf(t.fields))).toEqual([v1]);
    expect(keysOf(pulled.types[0]!.fields['address']!.fields)).toEqual(['street', 'zip', 'city']);

    await freshDeviceSees('v1', v1, ids);

    // A rename keeps the field's position.
    await admin.migrateType('Visit', [{ op: 'renameField', from: 'notes', to: 'remarks' }]);
    await admin.sync!.flush();
    const v2 = [
      'siteAddress',
      'title',
      'status',
      'a',
      'remarks',
      'zoneCode',
      'priority',
      'address',
      'contact',
    ];
    expect(keysOf(admin.types.get('Visit')!.fields)).toEqual(v2);
    expect(keysOf(col.findOne(r1))).toEqual(['id', ...v2]);
    await freshDeviceSees('v2', v2, ids);

    // An add goes where the step says: after a named field, or at the end.
    await admin.migrateType('Visit', [
      { op: 'addField', field: 'crew', def: { type: 'string', default: 'blue' }, after: 'status' },
      { op: 'addField', field: 'b', def: { type: 'number', default: 0 }, before: 'siteAddress' },
      { op: 'addField', field: 'closedAt', def: { type: 'date' } },
    ]);
    await col.update(r2, { $set: { closedAt: '2026-12-06', crew: 'red', b: 3 } });
    await admin.sync!.flush();
    const v3 = [
      'b',
      'siteAddress',
      'title',
      'status',
      'crew',
      'a',
      'remarks',
      'zoneCode',
      'priority',
      'address',
      'contact',
      'closedAt',
    ];
    expect(keysOf(admin.types.get('Visit')!.fields)).toEqual(v3);
    await freshDeviceSees('v3', v3, ids);

    // A remove leaves the others in order.
    await admin.migrateType('Visit', [{ op: 'removeField', field: 'a' }]);
    await admin.sync!.flush();
    const v4 = v3.filter((k) => k !== 'a');
    await freshDeviceSees('v4', v4, ids);

    // The admin's own device, and a device that was online throughout, agree.
    const other = await open('carl');
    await other.sync!.flush();
    await waitFor(() => other.types.get('Visit')?.version === 4);
    const last = other.collection('Visit').findOne(r2)!;
    expect(keysOf(last)).toEqual(['id', ...v4.filter((k) => k in last)]);
    expect(keysOf(last)).toHaveLength(11);
    expect(other.collection('Visit').findOne(r2)).toEqual(col.findOne(r2));
  });
});

describe.runIf(engines.includes('postgres'))('PostgreSQL: a schema made when documents were jsonb', () => {
  it('is converted to json columns at start, keeping every row', async () => {
    const schema = uniqueSchema();
    const first = new PostgresEngine({ url: PG_URL, schema });
    await first.init();
    await first.close();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      // A jsonb-era schema had no stored row sizes either (their triggers would refuse the ALTER).
      await c.query(`ALTER TABLE ${schema}.docs DROP COLUMN bytes CASCADE`);
      await c.query(
        `ALTER TABLE ${schema}.docs ALTER COLUMN state TYPE jsonb USING state::jsonb, ALTER COLUMN view TYPE jsonb USING view::jsonb`,
      );
      await c.query(
        `INSERT INTO ${schema}.docs (tenant, id, type, seq, deleted, state, view) VALUES ('t', 'd1', 'X', 1, false, '{"bb":1,"a":2}', '{"id":"d1"}')`,
      );
      const second = new PostgresEngine({ url: PG_URL, schema });
      await second.init();
      const types = await c.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'docs' AND column_name IN ('state', 'view') ORDER BY column_name`,
        [schema],
      );
      expect(types.rows.map((r) => r.data_type)).toEqual(['json', 'json']);
      const page = await second.pull('t', { since: 0, limit: 10, maxBytes: 1e6 });
      expect(page.docs.map((d) => JSON.parse(d.state) as unknown)).toEqual([{ a: 2, bb: 1 }]);
      await second.close();
    } finally {
      await c.end();
      await dropSchema(schema);
    }
  });
});
