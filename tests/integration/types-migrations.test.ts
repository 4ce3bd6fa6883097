import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { SchemaError, docToJSON, validateDocument, type MigrationStep, type TypeDef } from '@fieldsync/core';
import { testServer, waitFor, type TestServer } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

const INSPECTION: TypeDef = {
  name: 'Inspection',
  version: 1,
  fields: {
    site: { type: 'string', required: true },
    notes: { type: 'string' },
    priority: { type: 'number' },
  },
};
const RENAME: MigrationStep[] = [
  { op: 'renameField', from: 'notes', to: 'findings' },
  { op: 'addField', field: 'severity', def: { type: 'enum', values: ['low', 'high'], default: 'low' } },
];

interface PullBody {
  cursor: number;
  types: TypeDef[];
  docs: Array<{ id: string; v: number }>;
  more: boolean;
}

/**
 * Issue 6 end to end: real clients (`createDatabase({ sync })`) and a real server over HTTP.
 * Each test uses its own tenant, so types defined by one test never leak into another.
 */
describe.each(engines)('types and migrations travel with the data (%s)', (engine) => {
  let srv: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-types-'));
  const dbs: Database[] = [];
  const open = async (
    user: string,
    tenant: string,
    o: { storage?: SqliteStorage; claims?: Record<string, unknown>; pullLimit?: number } = {},
  ) => {
    const db = await createDatabase({
      name: user,
      replicaId: user,
      ...(o.storage ? { storage: o.storage } : {}),
      sync: {
        url: srv.url,
        token: await srv.token(user, tenant, o.claims ?? { role: 'admin' }),
        autoStart: false,
        ...(o.pullLimit ? { pullLimit: o.pullLimit } : {}),
      },
    });
    dbs.push(db);
    return db;
  };
  const all = (db: Database) => {
    const out: Record<string, unknown> = {};
    for (const d of db.collection('Inspection').find().fetch()) out[d.id as string] = d;
    return out;
  };
  /** CRDT states at the newest version (what each replica would store after its next write). */
  const states = (db: Database) => {
    const out: Record<string, unknown> = {};
    for (const [id, s] of db.collection('Inspection').states)
      out[id] = docToJSON(db.types.registry.upgradeDoc(s));
    return out;
  };
  const pullAll = async (token: string, limit: number): Promise<PullBody[]> => {
    const pages: PullBody[] = [];
    for (let since = 0; ;) {
      const res = await fetch(`${srv.url}/v1/pull?since=${since}&limit=${limit}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await res.json()) as PullBody;
      pages.push(body);
      if (!body.more) return pages;
      since = body.cursor;
    }
  };
  const put = async (token: string, def: unknown) => {
    const res = await fetch(`${srv.url}/v1/types/Inspection`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(def),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        error?: { code: string; message: string; path?: string };
        changed?: boolean;
      },
    };
  };

  beforeAll(async () => {
    srv = await testServer({
      engine,
      types: [],
      permissions: { defineTypes: (u) => u.claims['role'] === 'admin' },
    });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('B offline across a rename: B validates the new records, its old-version edit lands in findings, replicas identical, types survive a reopen', async () => {
    const t = 'one';
    const a = await open('anna', t);
    const file = join(dir, `ben-${engine}.sqlite`);
    const b = await open('ben', t, { storage: new SqliteStorage(file) });
    const seen: number[] = [];
    b.types.subscribe((list) => seen.push(list.find((x) => x.name === 'Inspection')?.version ?? 0));

    await a.defineType(INSPECTION);
    const r1 = await a.collection('Inspection').insert({ site: 's1', notes: 'leaking valve' });
    await a.sync!.flush();
    await b.sync!.flush(); // B knows v1 and r1, then goes offline
    expect(b.collection('Inspection').findOne(r1)).toMatchObject({ notes: 'leaking valve' });

    // A, online: more records, then the migration, then records at the new version.
    const r2 = await a.collection('Inspection').insert({ site: 's2', notes: 'cracked pipe' });
    const v2 = await a.migrateType('Inspection', RENAME);
    expect(v2).toMatchObject({ version: 2, migrations: RENAME });
    expect(a.collection('Inspection').findOne(r2)).toMatchObject({
      findings: 'cracked pipe',
      severity: 'low',
    }); // lazily upgraded on read
    expect(a.collection('Inspection').findOne(r2)).not.toHaveProperty('notes');
    const r3 = await a.collection('Inspection').insert({ site: 's3', findings: 'rust', severity: 'high' });
    await a.sync!.flush();

    // B, still offline and still at v1, edits an old record's notes.
    expect(b.types.get('Inspection')!.version).toBe(1);
    await b.collection('Inspection').update(r1, { $set: { notes: 'valve replaced (B)' } });
    await b.sync!.flush(); // reconnect
    await a.sync!.flush();

    const type = b.types.get('Inspection')!;
    expect(type.version).toBe(2);
    for (const d of b.collection('Inspection').find().fetch()) validateDocument(d, type); // throws if invalid
    expect(b.collection('Inspection').findOne(r1)).toEqual({
      id: r1,
      site: 's1',
      findings: 'valve replaced (B)',
      severity: 'low',
    });
    expect(b.collection('Inspection').findOne(r3)).toMatchObject({ findings: 'rust', severity: 'high' });
    expect(all(b)).toEqual(all(a));
    expect(Object.keys(all(a))).toHaveLength(3);
    expect(states(b)).toEqual(states(a));
    expect(b.rejectedChanges()).toEqual([]);
    expect(seen).toContain(2);

    // Persisted in client storage: B reopens offline (no server) and still validates and renders.
    await b.close();
    const again = await createDatabase({ name: 'ben', replicaId: 'ben', storage: new SqliteStorage(file) });
    dbs.push(again);
    expect(again.types.history('Inspection').map((d) => d.version)).toEqual([1, 2]);
    expect(again.collection('Inspection').findOne(r1)).toMatchObject({
      findings: 'valve replaced (B)',
      severity: 'low',
    });
    await again.collection('Inspection').update(r2, { $set: { severity: 'high' } }); // writes at v2 offline
    expect(again.collection('Inspection').states.get(r2)!.v).toBe(2); // the upgrade is persisted with the write
  });

  it('the protocol delivers every type version before or with the first record that needs it (fresh client, one-record pages)', async () => {
    const t = 'order';
    const a = await open('anna', t);
    await a.defineType(INSPECTION);
    await a.collection('Inspection').insert({ site: 's1', notes: 'n1' });
    await a.sync!.flush();
    await a.migrateType('Inspection', RENAME);
    await a.collection('Inspection').insert({ site: 's2', findings: 'f2' });
    await a.sync!.flush();

    const token = await srv.token('reader', t);
    const known = new Set<number>();
    let records = 0;
    for (const page of await pullAll(token, 1)) {
      for (const def of page.types) known.add(def.version); // a page's types are applied first
      for (const d of page.docs) {
        expect(known.has(d.v)).toBe(true);
        records++;
      }
    }
    expect(records).toBe(2);
    expect([...known].sort()).toEqual([1, 2]);

    const c = await open('carl', t, { pullLimit: 1 }); // never online before: gets everything now
    await c.sync!.flush();
    const type = c.types.get('Inspection')!;
    expect(type.version).toBe(2);
    const docs = c.collection('Inspection').find().fetch();
    expect(docs).toHaveLength(2);
    for (const d of docs) validateDocument(d, type);
    expect(all(c)).toEqual(all(a));
  });

  it('a client two versions behind: its v1 edits are carried through v2 and v3 (rename, add with default, number → string)', async () => {
    const t = 'two';
    const a = await open('anna', t);
    const c = await open('carl', t);
    await a.defineType(INSPECTION);
    const r1 = await a.collection('Inspection').insert({ site: 's1', notes: 'old', priority: 1 });
    await a.sync!.flush();
    await c.sync!.flush(); // C at v1, then offline

    await a.migrateType('Inspection', [{ op: 'renameField', from: 'notes', to: 'findings' }]);
    await a.migrateType('Inspection', [
      { op: 'addField', field: 'severity', def: { type: 'enum', values: ['low', 'high'], default: 'low' } },
      { op: 'changeType', field: 'priority', def: { type: 'string' }, map: { kind: 'toString' } },
    ]);
    const r2 = await a.collection('Inspection').insert({ site: 's2', findings: 'new', priority: 'urgent' });
    await a.sync!.flush();

    await c.collection('Inspection').update(r1, { $set: { notes: 'edited at v1', priority: 3 } });
    await c.sync!.flush();
    await a.sync!.flush();

    expect(c.types.get('Inspection')!.version).toBe(3);
    expect(c.collection('Inspection').findOne(r1)).toEqual({
      id: r1,
      site: 's1',
      findings: 'edited at v1',
      priority: '3',
      severity: 'low',
    });
    expect(c.collection('Inspection').findOne(r2)).toMatchObject({ findings: 'new', priority: 'urgent' });
    expect(all(c)).toEqual(all(a));
    expect(states(c)).toEqual(states(a));
  });

  it.each([
    // 'comments' < 'findings': B's definition wins although A's reaches the server first, so the
    // server re-expresses the documents it stored under A's definition, and so does A.
    ['comments', 'the later definition wins'],
    // 'remarks' > 'findings': A's stays chosen; the server translates B's changes (their `th`)
    // and B rebases the documents it had upgraded under its own definition.
    ['remarks', 'the earlier definition wins'],
  ])(
    'concurrent renames on two offline clients (notes → findings vs notes → %s: %s): one winner everywhere, both edits kept, identical replicas',
    async (bName) => {
      const t = `concurrent-${bName}`;
      const win = bName < 'findings' ? bName : 'findings';
      const a = await open('anna', t);
      const b = await open('ben', t);
      await a.defineType(INSPECTION);
      const r = await a.collection('Inspection').insert({ site: 's1', notes: 'orig' });
      const r2 = await a.collection('Inspection').insert({ site: 's2', notes: 'orig2' });
      await a.sync!.flush();
      await b.sync!.flush();

      // Offline, both define version 2 and write under it.
      await a.migrateType('Inspection', [{ op: 'renameField', from: 'notes', to: 'findings' }]);
      await b.migrateType('Inspection', [{ op: 'renameField', from: 'notes', to: bName }]);
      await a.collection('Inspection').update(r, { $set: { findings: 'from A' } });
      await b.collection('Inspection').update(r2, { $set: { [bName]: 'from B' } });
      await b.collection('Inspection').update(r, { $set: { [bName]: 'from B too' } });

      await a.sync!.flush();
      await b.sync!.flush();
      await a.sync!.flush();

      for (const db of [a, b]) {
        expect(db.types.get('Inspection')!.migrations).toEqual([
          { op: 'renameField', from: 'notes', to: win },
        ]);
        expect(db.rejectedTypes()).toEqual([]);
        expect(db.rejectedChanges()).toEqual([]);
      }
      expect(b.collection('Inspection').findOne(r2)).toEqual({ id: r2, site: 's2', [win]: 'from B' });
      const winner = a.collection('Inspection').findOne(r)![win];
      expect(['from A', 'from B too']).toContain(winner);
      const loser = winner === 'from A' ? 'from B too' : 'from A';
      expect(
        a
          .collection('Inspection')
          .conflicts(r, win)
          .map((x) => x.value),
      ).toContain(loser); // A's edit is not lost
      expect(all(a)).toEqual(all(b));
      expect(states(a)).toEqual(states(b));

      // A third client that never saw either definition converges to the same documents.
      const c = await open('carl', t);
      await c.sync!.flush();
      expect(all(c)).toEqual(all(a));
    },
  );

  it('live clients: a migration made on A reaches B over SSE without any record write, and records at it render on B', async () => {
    const t = 'live';
    const a = await open('anna', t);
    const b = await open('ben', t);
    await a.defineType(INSPECTION);
    const r1 = await a.collection('Inspection').insert({ site: 's1', notes: 'n1' });
    a.sync!.start();
    b.sync!.start();
    await waitFor(() => b.collection('Inspection').findOne(r1) !== undefined);
    await a.migrateType('Inspection', RENAME); // no write: the type alone is pushed and streamed
    await waitFor(() => b.types.get('Inspection')?.version === 2);
    expect(b.collection('Inspection').findOne(r1)).toEqual({
      id: r1,
      site: 's1',
      findings: 'n1',
      severity: 'low',
    });
    const r2 = await a.collection('Inspection').insert({ site: 's2', findings: 'f2', severity: 'high' });
    await waitFor(() => b.collection('Inspection').findOne(r2) !== undefined);
    validateDocument(b.collection('Inspection').findOne(r2), b.types.get('Inspection')!);
    await a.sync!.stop();
    await b.sync!.stop();
  });

  it('invalid migrations are rejected with typed errors on the client and 4xx JSON on the server; nothing changes', async () => {
    const t = 'invalid';
    const a = await open('anna', t);
    await a.defineType(INSPECTION);
    await a.sync!.flush();
    const bad = async (steps: MigrationStep[], path: string, rule: string) => {
      const e = await a.migrateType('Inspection', steps).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(SchemaError);
      expect({ path: (e as SchemaError).path, rule: (e as SchemaError).rule }).toEqual({ path, rule });
    };
    await bad([{ op: 'renameField', from: 'notes', to: 'site' }], 'migrations[0].to', 'exists');
    await bad([{ op: 'removeField', field: 'colour' }], 'migrations[0].field', 'unknown-field');
    await bad(
      [{ op: 'changeType', field: 'notes', def: { type: 'number' } }],
      'migrations[0].map',
      'mapping',
    );
    await bad([], 'migrations', 'migration');
    await expect(a.defineType({ ...INSPECTION, version: 3 })).rejects.toMatchObject({
      name: 'SchemaError',
      rule: 'version-gap',
    });
    await expect(
      a.defineType({ ...INSPECTION, version: 2, fields: { site: { type: 'string' } } }),
    ).rejects.toMatchObject({ name: 'SchemaError', rule: 'migration' });
    expect(a.types.history('Inspection')).toEqual([INSPECTION]);
    expect(a.typesToPush()).toEqual([]);

    const token = await srv.token('anna', t, { role: 'admin' });
    const v2 = {
      name: 'Inspection',
      version: 2,
      fields: {
        site: { type: 'string', required: true },
        findings: { type: 'string' },
        priority: { type: 'number' },
      },
      migrations: [{ op: 'renameField', from: 'notes', to: 'findings' }],
    };
    const wrongFields = await put(token, { ...v2, fields: { ...v2.fields, extra: { type: 'string' } } });
    expect(wrongFields.status).toBe(422);
    expect(wrongFields.body.error).toMatchObject({ code: 'invalid_migration', path: 'fields' });
    const badStep = await put(token, {
      ...v2,
      migrations: [{ op: 'renameField', from: 'nope', to: 'findings' }],
    });
    expect(badStep.status).toBe(422);
    expect(badStep.body.error).toMatchObject({ code: 'invalid_migration', path: 'migrations[0].from' });
    const gap = await put(token, { ...v2, version: 3 });
    expect(gap.status).toBe(409);
    expect(gap.body.error?.code).toBe('type_version');
    const redefine = await put(token, { ...INSPECTION, fields: { site: { type: 'string' } } });
    expect(redefine.status).toBe(409);
    const malformed = await put(token, { ...v2, fields: { findings: { type: 'nope' } } });
    expect(malformed.status).toBe(422);
    expect(malformed.body.error?.code).toBe('invalid_type');
    const pages = await pullAll(token, 1000);
    expect(pages.flatMap((p) => p.types)).toEqual([INSPECTION]);
    expect((await put(token, v2)).status).toBe(200); // the valid one is accepted
  });

  it('a user without the define-types right gets 403 and nothing changes; their offline migration is set aside, not pushed', async () => {
    const t = 'perm';
    const admin = await open('ada', t);
    await admin.defineType(INSPECTION);
    const r1 = await admin.collection('Inspection').insert({ site: 's1', notes: 'n' });
    await admin.sync!.flush();

    const token = await srv.token('walt', t, { role: 'worker' });
    const v2 = {
      ...INSPECTION,
      version: 2,
      fields: { site: INSPECTION.fields['site'], findings: { type: 'string' }, priority: { type: 'number' } },
      migrations: [{ op: 'renameField', from: 'notes', to: 'findings' }],
    };
    const denied = await put(token, v2);
    expect(denied.status).toBe(403);
    expect(denied.body.error?.code).toBe('forbidden');
    expect((await put(token, INSPECTION)).status).toBe(200); // re-sending a known definition is a no-op, allowed

    const w = await open('walt', t, { claims: { role: 'worker' } });
    await w.sync!.flush();
    await w.migrateType('Inspection', RENAME);
    await w.collection('Inspection').update(r1, { $set: { findings: 'written under the refused v2' } });
    await w.sync!.flush();
    expect(w.rejectedTypes()).toHaveLength(1);
    expect(w.rejectedTypes()[0]!.reason).toContain('403');
    expect(w.typesToPush()).toEqual([]);
    // The change written at the refused version is not dropped: stored as unknown-version data,
    // invisible at v1 (the server never advanced the document past the versions it knows).
    expect(w.rejectedChanges()).toEqual([]);
    const after = await pullAll(token, 1000);
    expect(after.flatMap((p) => p.types)).toEqual([INSPECTION]);
    expect(after.flatMap((p) => p.docs).map((d) => d.v)).toEqual([1]);
    await admin.sync!.flush();
    expect(admin.types.get('Inspection')!.version).toBe(1);
    expect(admin.collection('Inspection').findOne(r1)).toEqual({ id: r1, site: 's1', notes: 'n' });
  });
});

describe('server-configured types and migrations', () => {
  it('migrating a server-configured type writes the chain below it into _types, so a fresh device gets every version', async () => {
    const srv = await testServer({ types: [INSPECTION] });
    try {
      const token = await srv.token('ada', 'acme');
      const a = await createDatabase({
        name: 'a',
        replicaId: 'a',
        sync: { url: srv.url, token, autoStart: false },
      });
      await a.defineType(INSPECTION); // identical to the server's: a no-op there
      const id = await a.collection('Inspection').insert({ site: 's1', notes: 'n' });
      await a.migrateType('Inspection', RENAME);
      await a.sync!.flush();
      const c = await createDatabase({
        name: 'c',
        replicaId: 'c',
        sync: { url: srv.url, token, autoStart: false },
      });
      await c.sync!.flush(); // never defined anything itself
      expect(c.types.history('Inspection').map((d) => d.version)).toEqual([1, 2]);
      expect(c.collection('Inspection').findOne(id)).toEqual({
        id,
        site: 's1',
        findings: 'n',
        severity: 'low',
      });
      await a.close();
      await c.close();
    } finally {
      await srv.close();
    }
  });
});
