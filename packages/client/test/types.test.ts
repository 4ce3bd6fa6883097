import { docToJSON, SchemaError, type TypeDef } from '@fieldsync/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Database, HashIndex, StorageAdapter } from '../src/index.js';
import { createDatabase, MemoryStorage } from '../src/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

/** Client-side type versions without a server: lazy upgrades on read, persisted by writes. */
const NOTE: TypeDef = {
  name: 'note',
  version: 1,
  fields: { title: { type: 'string' }, body: { type: 'text' } },
};
const dir = mkdtempSync(join(tmpdir(), 'fieldsync-types-client-'));
const dbs: Database[] = [];
afterAll(async () => {
  for (const db of dbs) await db.close();
  rmSync(dir, { recursive: true, force: true });
});
const open = async (name: string, storage: StorageAdapter = new MemoryStorage()) => {
  const db = await createDatabase({ name, replicaId: name, storage });
  dbs.push(db);
  return db;
};

it('reads upgrade lazily; the next write persists the upgrade; the store survives a reopen', async () => {
  const file = join(dir, 'lazy.sqlite');
  const db = await open('lazy', new SqliteStorage(file));
  const versions: number[] = [];
  db.types.subscribe((list) => versions.push(list[0]?.version ?? 0));
  await db.defineType(NOTE);
  const notes = db.collection('note');
  const a = await notes.insert({ title: 'a' });
  const b = await notes.insert({ title: 'b' });
  await notes.text(a, 'body').insert(0, 'hello');
  await db.migrateType('note', [
    { op: 'renameField', from: 'title', to: 'heading' },
    { op: 'renameField', from: 'body', to: 'content' },
  ]);
  expect(versions).toEqual([0, 1, 2]);
  expect(notes.findOne(a)).toEqual({ id: a, heading: 'a', content: 'hello' });
  expect(
    notes
      .find({ heading: 'b' })
      .fetch()
      .map((d) => d.id),
  ).toEqual([b]); // queries see the new names
  expect(notes.states.get(a)!.v).toBe(1); // not rewritten by the migration
  // A text edit on a document still stored at v1 refers to the upgraded (renamed) text.
  await notes.text(a, 'content').insert(5, ' world');
  expect(notes.findOne(a)!.content).toBe('hello world');
  expect(notes.states.get(a)!.v).toBe(2); // persisted upgraded by that write
  await db.close();

  const again = await open('lazy', new SqliteStorage(file));
  expect(again.types.history('note').map((d) => d.version)).toEqual([1, 2]);
  expect(again.collection('note').states.get(a)!.v).toBe(2);
  expect(again.collection('note').states.get(b)!.v).toBe(1);
  expect(again.collection('note').findOne(b)).toEqual({ id: b, heading: 'b', content: '' });
  expect(again.typesToPush().map((d) => d.version)).toEqual([1, 2]); // never pushed: still pending
});

it('conflicts() of a renamed field shows the loser of edits made before the migration', async () => {
  const x = await open('x');
  const y = await open('y');
  for (const db of [x, y]) await db.defineType(NOTE);
  const id = await x.collection('note').insert({ title: 'orig' });
  await y.applyRemote([docToJSON(x.collection('note').states.get(id)!)]);
  await x.collection('note').update(id, { $set: { title: 'from x' } });
  await y.collection('note').update(id, { $set: { title: 'from y' } });
  await x.applyRemote([docToJSON(y.collection('note').states.get(id)!)]);
  await x.migrateType('note', [{ op: 'renameField', from: 'title', to: 'heading' }]);
  const winner = x.collection('note').findOne(id)!.heading;
  const loser = winner === 'from x' ? 'from y' : 'from x';
  expect(
    x
      .collection('note')
      .conflicts(id, 'heading')
      .map((c) => c.value),
  ).toContain(loser);
});

it('invalid definitions reject with SchemaError and change nothing', async () => {
  const db = await open('invalid');
  await expect(db.migrateType('nope', [{ op: 'removeField', field: 'x' }])).rejects.toMatchObject({
    name: 'SchemaError',
    rule: 'unknown-type',
  });
  await db.defineType(NOTE);
  await expect(
    db.migrateType('note', [{ op: 'addField', field: 'title', def: { type: 'string' } }]),
  ).rejects.toBeInstanceOf(SchemaError);
  await expect(
    db.migrateType('note', [{ op: 'changeMerge', field: 'title', merge: 'counter' }]),
  ).rejects.toMatchObject({ rule: 'merge-policy' });
  await expect(db.defineType({ ...NOTE, fields: { title: { type: 'number' } } })).rejects.toMatchObject({
    rule: 'version-gap',
  });
  expect(db.types.list()).toEqual([NOTE]);
});

it('a migration re-materializes live query results and indexes, cached documents or not', async () => {
  const db = await open('live-migration');
  await db.defineType({
    name: 'task',
    version: 1,
    fields: { title: { type: 'string' }, status: { type: 'string' } },
  });
  const tasks = db.collection('task');
  tasks.createIndex('crew'); // a field only the next version has
  const ids = await tasks.insertMany(
    Array.from({ length: 50 }, (_, i) => ({ title: `t${i}`, status: i % 2 ? 'open' : 'done' })),
  );
  const cached = tasks.findOne(ids[1]!)!;
  const counts: number[] = [];
  tasks.find({ crew: 'none' }).subscribe((r) => counts.push(r.length));
  let openTasks: readonly Record<string, unknown>[] = [];
  tasks.find({ status: 'open' }).subscribe((r) => (openTasks = r));
  expect(counts).toEqual([0]);
  await db.migrateType('task', [{ op: 'addField', field: 'crew', def: { type: 'string', default: 'none' } }]);
  expect(counts).toEqual([0, 50]);
  expect(openTasks).toHaveLength(25);
  expect(openTasks.every((d) => d.crew === 'none')).toBe(true);
  expect(tasks.findOne(ids[1]!)).not.toBe(cached);
  expect(tasks.findOne(ids[1]!)).toEqual({ ...cached, crew: 'none' });
  expect((tasks.indexes[0] as HashIndex).lookup(['none'])?.size).toBe(50);
  expect(tasks.find({ crew: 'none' }).count()).toBe(50);
});
