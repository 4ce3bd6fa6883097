import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '@fieldsync/client';
import { SqliteStorage } from '@fieldsync/client/sqlite';
import { signToken, startServer, type RunningServer } from '@fieldsync/server';
import { SECRET, WORK_ORDER, waitFor } from '../../testing/server/harness.js';
import { pgReachable } from '../../testing/pgTest.js';
import { pgStore, sqliteStore } from './restoreStores.js';
import { TcpProxy } from './tcpProxy.js';

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

/**
 * Issue 11, case 3: a server restored from a backup. Devices hold cursors past the restored log
 * and acknowledged changes the restored store lost; they must notice (another epoch, or a head
 * below their cursor) and resync: re-pull everything and push back what the server lacks.
 */
describe.each(engines)('no silent split after a restore (%s)', (engine) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  for (const newEpoch of [true, false]) {
    it(`every device — and a fresh one — holds all five orders (${newEpoch ? 'restore gives a new epoch' : 'same epoch: caught by the head'})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fieldsync-restore-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      let store = engine === 'sqlite' ? sqliteStore(dir) : pgStore();
      const stores = [store];
      cleanups.push(async () => {
        for (const s of stores) await s.cleanup();
      });
      let srv: RunningServer | undefined;
      const start = async (): Promise<void> => {
        srv = await startServer({ storage: store.open(), secret: SECRET, port: 0, types: [WORK_ORDER] });
        proxy.retarget(srv.port);
      };
      const stop = async (): Promise<void> => {
        await srv?.close();
        srv = undefined;
      };
      const proxy = await TcpProxy.start(0);
      cleanups.push(() => proxy.close());
      cleanups.push(stop);
      await start();

      const dbs: Database[] = [];
      cleanups.push(async () => {
        for (const db of dbs) await db.close();
      });
      const device = async (user: string, file?: string): Promise<Database> => {
        const db = await createDatabase({
          name: user,
          replicaId: user,
          ...(file ? { storage: new SqliteStorage(join(dir, file)) } : {}),
          sync: {
            url: proxy.url,
            token: await signToken(SECRET, { user, tenant: 'acme' }),
            autoStart: false,
            initialMs: 20,
            maxMs: 200,
            probeMs: 100,
          },
        });
        await db.defineType(WORK_ORDER);
        dbs.push(db);
        return db;
      };
      const titles = (db: Database): string[] =>
        db
          .collection('workOrder')
          .find()
          .fetch()
          .map((d) => String(d['title']))
          .sort();
      const ALL = ['wo-1', 'wo-2', 'wo-3', 'wo-4', 'wo-5'];

      const anna = await device('anna', 'anna.sqlite');
      const ben = await device('ben');
      await anna.collection('workOrder').insert({ title: 'wo-1' });
      await anna.sync!.flush();
      await ben.sync!.flush();
      ben.sync!.start(); // Ben stays live through everything
      await waitFor(() => ben.sync!.status.live);

      const backup = await store.backup(stop, start);
      stores.push(backup);
      await waitFor(() => ben.sync!.status.live, 10_000);

      await anna.collection('workOrder').insert({ title: 'wo-2' });
      // A migration made after the backup: the restored store will not know version 2.
      await anna.migrateType('workOrder', [{ op: 'addField', field: 'crew', def: { type: 'string' } }]);
      const wo3 = await anna.collection('workOrder').insert({ title: 'wo-3', crew: 'night' });
      await ben.collection('workOrder').insert({ title: 'wo-4' });
      await waitFor(() => ben.sync!.status.pending === 0);
      await anna.sync!.flush();
      expect(titles(anna)).toEqual(ALL.slice(0, 4));
      expect(await anna.outbox.count()).toBe(0); // acknowledged: nothing left to re-push

      // Without a new epoch only the head tells a device that history was lost, and only until the
      // restored store's head passes its cursor (others' writes and push-backs raise it): that is
      // why a restore must renew the epoch (`fieldsync restore` does). So in that variant Ben is
      // away and only Anna — the first one back — is checked for noticing by the head alone.
      if (!newEpoch) await ben.sync!.stop();
      // The server dies and is restored from the backup (which holds wo-1 only).
      await stop();
      store = backup;
      if (newEpoch) {
        const s = store.open();
        await s.init();
        await s.maintenance.resetEpoch();
        await s.close();
      }
      await start();
      await anna.collection('workOrder').insert({ title: 'wo-5' }); // queued in the outbox
      await anna.sync!.flush();
      expect(titles(anna)).toEqual(ALL);
      const fresh = await device('fresh');
      await fresh.sync!.flush();
      expect(titles(fresh)).toEqual(ALL); // the server holds all five again
      expect(fresh.types.get('workOrder')?.version).toBe(2);
      expect(fresh.collection('workOrder').findOne(wo3)).toMatchObject({ crew: 'night' });
      expect(anna.sync!.status).toMatchObject({ resyncing: false, lastError: undefined, pending: 0 });

      if (newEpoch) {
        // Ben, live, notices on reconnecting (another epoch) and resyncs by himself.
        await waitFor(
          () => titles(ben).length === 5 && ben.sync!.status.live && !ben.sync!.status.resyncing,
          10_000,
        );
        expect(titles(ben)).toEqual(ALL);
      }

      const later = await device('later');
      await later.sync!.flush();
      expect(titles(later)).toEqual(ALL);

      // The resync is done once: later flushes are plain deltas.
      await anna.sync!.flush();
      expect(titles(anna)).toEqual(ALL);
      expect(anna.sync!.status.resyncing).toBe(false);
    }, 30_000);
  }
});
