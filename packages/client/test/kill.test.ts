import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createDatabase } from '../src/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a process killed between writes loses no write whose promise had resolved', async () => {
  // The child runs on the built package: `npm test` builds first; run `npm run build -w @fieldsync/core -w @fieldsync/client` otherwise.
  expect(existsSync(dist), `${dist} missing: build the packages first`).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'fieldsync-kill-'));
  const file = join(dir, 'db.sqlite');
  const child = spawn(process.execPath, [join(here, 'child', 'writeUntilKilled.mjs'), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inserted = new Map<string, number>();
  const updated = new Set<string>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, id, n] = line.split(' ');
        if (kind === 'insert') inserted.set(id!, Number(n));
        if (kind === 'update') updated.add(id!);
      }
      // Kill mid-stream, while writes are in flight.
      if (inserted.size >= 150 && !child.killed) child.kill('SIGKILL');
    });
  });
  expect(inserted.size).toBeGreaterThanOrEqual(150);

  const db = await createDatabase({ name: 'kill', storage: new SqliteStorage(file) });
  const orders = db.collection('workOrders');
  for (const [id, n] of inserted) {
    const doc = orders.findOne(id);
    expect(doc, `resolved insert ${id} lost`).toBeDefined();
    expect(doc!.n).toBe(n);
    if (updated.has(id)) expect(doc!.status).toBe('done');
  }
  // Every resolved write is still in the outbox (nothing was synced), in order.
  const outbox = (await db.outbox.peek(1_000_000)) as Array<{ doc: string; id: string }>;
  const queued = new Set(outbox.map((c) => c.doc));
  for (const id of inserted.keys()) expect(queued.has(id)).toBe(true);
  expect(outbox.length).toBeGreaterThanOrEqual(inserted.size + updated.size);
  const ids = outbox.map((c) => c.id);
  expect([...ids].sort()).toEqual(ids);
  // The clock resumes after the last persisted stamp.
  expect(db.clock.last).toBe(ids.at(-1));
  await db.close();
});
