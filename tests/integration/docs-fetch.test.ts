import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { MAX_DOCS_IDS, type TypeDef } from '@fieldsync/core';
import { WORK_ORDER, testServer, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/** This device's definition has a field the server does not know: changes writing it are refused. */
const EXTENDED: TypeDef = { ...WORK_ORDER, fields: { ...WORK_ORDER.fields, secret: { type: 'string' } } };

/**
 * Returning documents to the server's state (discarding a refused change or a refused type
 * version) asks `GET /v1/docs?ids=…` for exactly those documents, in batches of at most
 * `MAX_DOCS_IDS`, instead of scanning a full pull.
 */
describe.each(engines)('the client restores documents with GET /v1/docs (%s)', (engine) => {
  let srv: TestServer;
  const dbs: Database[] = [];
  /** A database whose every request is recorded as `METHOD /path?query`. */
  const open = async (user: string, o: { type?: TypeDef; role?: string } = {}) => {
    const requests: string[] = [];
    const db = await createDatabase({
      name: user,
      replicaId: user,
      sync: {
        url: srv.url,
        token: await srv.token(user, 'acme', { role: o.role ?? 'worker' }),
        autoStart: false,
        fetch: (input, init) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
          return fetch(input, init);
        },
      },
    });
    if (!db.typeFor('workOrder')) await db.defineType(o.type ?? WORK_ORDER);
    dbs.push(db);
    return { db, requests };
  };
  beforeAll(async () => {
    srv = await testServer({ engine, permissions: { defineTypes: (u) => u.claims['role'] === 'admin' } });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
  });

  it('discard() fetches the one document by id, with no pull', async () => {
    const { db: ben } = await open('ben', { role: 'admin' });
    const id = await ben.collection('workOrder').insert({ title: 'A', status: 'open' });
    await ben.sync!.flush();
    const { db: anna, requests } = await open('anna', { type: EXTENDED });
    await anna.sync!.flush();
    await anna.collection('workOrder').update(id, { $set: { title: 'B', secret: 'x' } });
    await anna.sync!.flush();
    const [refused] = anna.rejectedChanges();
    expect(refused).toBeDefined();

    const before = requests.length;
    await refused!.discard();
    expect(requests.slice(before)).toEqual([`GET /v1/docs?ids=${id}`]);
    expect(anna.collection('workOrder').findOne(id)).toMatchObject({ title: 'A', status: 'open' });
    expect(anna.collection('workOrder').findOne(id)).not.toHaveProperty('secret');
  });

  it(`discardLocalType() fetches ${MAX_DOCS_IDS + 50} documents in batches of at most ${MAX_DOCS_IDS}, with no pull`, async () => {
    const { db: admin } = await open('adam', { role: 'admin' });
    const n = MAX_DOCS_IDS + 50;
    const ids = await admin
      .collection('workOrder')
      .insertMany(Array.from({ length: n }, (_, i) => ({ title: `W${i}`, status: 'open' as const })));
    await admin.sync!.flush();
    const { db: walt, requests } = await open('walt');
    await walt.sync!.flush();
    await walt.migrateType('workOrder', [{ op: 'addField', field: 'secret', def: { type: 'string' } }]);
    for (const id of ids) await walt.collection('workOrder').update(id, { $set: { secret: 's' } });
    await walt.sync!.flush();
    expect(walt.rejectedTypes()).toHaveLength(1);

    const before = requests.length;
    await walt.discardLocalType('workOrder');
    const after = requests.slice(before);
    expect(after.every((r) => r.startsWith('GET /v1/docs?ids='))).toBe(true);
    const asked = after.map((r) => decodeURIComponent(r.slice('GET /v1/docs?ids='.length)).split(','));
    expect(asked.map((a) => a.length)).toEqual([MAX_DOCS_IDS, n - MAX_DOCS_IDS]);
    expect(asked.flat().sort()).toEqual([...ids].sort());
    for (const id of ids) expect(walt.collection('workOrder').findOne(id)).not.toHaveProperty('secret');
    expect(walt.types.get('workOrder')!.version).toBe(1);
  });
});
