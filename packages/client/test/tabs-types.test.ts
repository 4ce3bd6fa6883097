import { afterEach, expect, it } from 'vitest';
import { docToJSON } from '@fieldsync/core';
import type { Database } from '../src/index.js';
import { createDatabase, MemoryStorage } from '../src/index.js';

/** One store opened by two "tabs" that announce commits over Node's real BroadcastChannel. */
class SharedStorage extends MemoryStorage {
  override readonly keepsLiveState = false;
  readonly sharedName = `tabs-types-${Math.random().toString(36).slice(2)}`;
}

const open: Database[] = [];
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

it('a migration made in one tab reaches the other tab before its documents, which merge at the new version', async () => {
  const storage = new SharedStorage();
  const a = await createDatabase({ name: 'tabs', storage });
  open.push(a);
  await a.defineType({
    name: 'Inspection',
    version: 1,
    fields: { site: { type: 'string' }, notes: { type: 'string' } },
  });
  const b = await createDatabase({ name: 'tabs', storage });
  open.push(b);
  const id = await a.collection('Inspection').insert({ site: 's1', notes: 'old' });
  await until(() => b.collection('Inspection').findOne(id) !== undefined, 'the insert in tab b');

  // Tab b edits at v1 while tab a migrates and writes at v2.
  await b.collection('Inspection').update(id, { $set: { site: 's1-b' } });
  await a.migrateType('Inspection', [{ op: 'renameField', from: 'notes', to: 'findings' }]);
  await a.collection('Inspection').update(id, { $set: { findings: 'new' } });
  await until(() => b.types.get('Inspection')?.version === 2, 'the type in tab b');
  await until(() => b.collection('Inspection').findOne(id)?.findings === 'new', 'the v2 write in tab b');
  await until(() => a.collection('Inspection').findOne(id)?.site === 's1-b', 'the v1 write in tab a');
  expect(b.collection('Inspection').findOne(id)).toEqual({ id, site: 's1-b', findings: 'new' });
  expect(a.collection('Inspection').findOne(id)).toEqual(b.collection('Inspection').findOne(id));
  expect(b.collection('Inspection').states.get(id)!.v).toBe(2);
  // The CRDT states agree too: tab b did not keep a stray v1 `notes` register next to `findings`.
  const state = (db: Database) =>
    docToJSON(db.types.registry.upgradeDoc(db.collection('Inspection').states.get(id)!));
  expect(state(b)).toEqual(state(a));
  expect(state(b).fields).not.toHaveProperty('notes');
  // The definition made in tab a is still marked for pushing in the store tab b persists.
  expect(b.typesToPush().map((d) => d.version)).toEqual([1, 2]);
});
