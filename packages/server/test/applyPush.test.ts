import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HybridLogicalClock,
  applyChange,
  createChange,
  docFromJSON,
  materialize,
  type Change,
  type DocState,
} from '@fieldsync/core';
import { SqliteEngine } from '../src/storage/sqlite/SqliteEngine.js';
import { applyPush, type PushContext } from '../src/sync/applyPush.js';
import type { TypeRegistry } from '../src/sync/TypeRegistry.js';
import { WORK_ORDER } from '../../../testing/server/harness.js';

describe('applyPush when core fails unexpectedly in the middle of a merge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldsync-apply-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects only that change and keeps the document exactly as the other changes left it', async () => {
    const storage = new SqliteEngine({ file: join(dir, 'db.sqlite') });
    const clock = new HybridLogicalClock({ replica: 'dev' });
    let doc: DocState | undefined;
    const mk = (intents: Parameters<typeof createChange>[0]['intents']): Change => {
      const c = createChange({ clock, type: WORK_ORDER, doc, ...(doc ? {} : { docId: 'wo-1' }), intents });
      doc = applyChange(doc, c, WORK_ORDER);
      return c;
    };
    const c1 = mk([{ op: 'set', path: ['title'], value: 'one' }]);
    const c2 = mk([{ op: 'set', path: ['priority'], value: 2 }]);
    const bad = mk([{ op: 'set', path: ['status'], value: 'done' }]);
    const c3 = mk([{ op: 'set', path: ['site'], value: 's1' }]);
    // A core registry whose merge corrupts the document half-way for one change, then throws a
    // non-typed error (the kind of bug the server must survive without losing the others).
    const core = {
      get: () => WORK_ORDER,
      applyChange: (d: DocState | undefined, c: Change) => {
        if (c.id === bad.id && d) {
          applyChange(d, c, WORK_ORDER);
          throw new TypeError('boom');
        }
        return applyChange(d, c, WORK_ORDER);
      },
    };
    const types = { registry: async () => core } as unknown as TypeRegistry;
    const ctx: PushContext = {
      storage,
      types,
      clock: new HybridLogicalClock({ replica: 'srv' }),
      permissions: undefined,
    };
    const res = await applyPush(ctx, { id: 'u', tenant: 't', claims: {} }, [c1, c2, bad, c3]);
    expect(res.results.map((r) => [r.status, r.error?.code])).toEqual([
      ['ok', undefined],
      ['ok', undefined],
      ['rejected', 'merge_failed'],
      ['ok', undefined],
    ]);
    const stored = await storage.getDoc('t', 'wo-1');
    const view = materialize(docFromJSON(JSON.parse(stored!.state)), WORK_ORDER);
    expect(view).toMatchObject({ title: 'one', priority: 2, site: 's1' });
    expect(view['status']).toBeUndefined();
    await storage.close();
  });
});
