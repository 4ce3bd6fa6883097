import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { serveCli } from './cliProcess.js';
import { CorePeer, SECRET, WORK_ORDER } from '../../../testing/server/harness.js';

/**
 * docs/deploy.md, "Backing up the SQLite data directory while it serves", done as written: copies
 * taken with SQLite's online backup and with VACUUM INTO while a real `fieldsync serve` keeps
 * committing, then a restore with a new epoch served by a new process.
 */
const deployMd = readFileSync(resolve(import.meta.dirname, '../../../docs/deploy.md'), 'utf8');
const VACUUM_INTO = "VACUUM INTO '";
const NEW_EPOCH = "UPDATE info SET value = lower(hex(randomblob(16))) WHERE key = 'epoch'";

const dir = mkdtempSync(join(tmpdir(), 'fieldsync-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const epochOf = async (url: string, token: string): Promise<string | null> =>
  (
    await fetch(`${url}/v1/pull?since=0&limit=1`, { headers: { authorization: `Bearer ${token}` } })
  ).headers.get('fieldsync-epoch');

describe('docs/deploy.md: backing up SQLite while the server serves', () => {
  it('the documented statements are the ones tested', () => {
    expect(deployMd).toContain(`"${VACUUM_INTO}`);
    expect(deployMd).toContain('".backup \'');
    expect(deployMd).toContain(`"${NEW_EPOCH}"`);
    expect(deployMd).toContain('".timeout 5000"');
  });

  it('online copies hold every acknowledged write; a restore with a new epoch serves them to a new device', async () => {
    const types = join(dir, 'types.json');
    writeFileSync(types, JSON.stringify([WORK_ORDER]));
    const data = join(dir, 'data');
    const live = await serveCli(['--data', data, '--types', types]);
    const token = await signToken(SECRET, { user: 'anna', tenant: 'acme' });
    const peer = new CorePeer(live.url, token, 'writer');
    const push = async (n: number, label: string): Promise<string[]> => {
      const changes = Array.from({ length: n }, (_, i) =>
        peer.change(undefined, [{ op: 'set', path: ['title'], value: `${label} ${i}` }]),
      );
      const res = await peer.push(changes);
      expect(res.status).toBe(200);
      return changes.map((c) => c.doc);
    };
    try {
      const acknowledged = await push(200, 'before');
      // A writer keeps committing while the copies are taken.
      let writing = true;
      const writer = (async () => {
        while (writing) await push(20, 'during');
      })();

      const db = new Database(join(data, 'fieldsync.sqlite'));
      db.pragma('busy_timeout = 5000'); // what the documented ".timeout 5000" sets
      const vacuumed = join(dir, 'vacuumed.sqlite');
      const backedUp = join(dir, 'backed-up.sqlite');
      db.exec(`${VACUUM_INTO}${vacuumed}'`);
      await db.backup(backedUp);
      db.close();
      writing = false;
      await writer;

      for (const copy of [vacuumed, backedUp]) {
        const c = new Database(copy, { readonly: true });
        expect(c.pragma('integrity_check', { simple: true }), copy).toBe('ok');
        const ids = new Set(
          (c.prepare("SELECT id FROM docs WHERE tenant = 'acme'").all() as Array<{ id: string }>).map(
            (r) => r.id,
          ),
        );
        c.close();
        expect(
          acknowledged.filter((id) => !ids.has(id)),
          copy,
        ).toEqual([]);
      }

      // Restore: a fresh directory holding the copy, a new epoch, a new server process.
      const liveEpoch = await epochOf(live.url, token);
      const restoredDir = join(dir, 'restored');
      mkdirSync(restoredDir);
      const restoredFile = join(restoredDir, 'fieldsync.sqlite');
      writeFileSync(restoredFile, readFileSync(vacuumed));
      const r = new Database(restoredFile);
      // The copy carries the live store's epoch: that is why the restore must renew it.
      const copied = r.prepare("SELECT value FROM info WHERE key = 'epoch'").get() as { value: string };
      expect(copied.value).toBe(liveEpoch);
      r.exec(NEW_EPOCH);
      r.close();
      const restored = await serveCli(['--data', restoredDir, '--types', types]);
      try {
        const restoredEpoch = await epochOf(restored.url, token);
        expect(liveEpoch).toBeTruthy();
        expect(restoredEpoch).toBeTruthy();
        expect(restoredEpoch).not.toBe(liveEpoch);
        const device = new CorePeer(restored.url, token, 'new-device');
        await device.pull();
        expect(acknowledged.filter((id) => !device.docs.has(id))).toEqual([]);
      } finally {
        await restored.stop();
      }
    } finally {
      await live.stop();
    }
  });
});
