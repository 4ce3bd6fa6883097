import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/jwt.js';
import { CorePeer, SECRET, SseClient, WORK_ORDER } from '../../../testing/server/harness.js';
import { PG_URL, dropSchema, pgReachable, uniqueSchema } from '../../../testing/pgTest.js';

/** These tests run the built CLI in real child processes (`npm test` builds first). */
const CLI = resolve(import.meta.dirname, '../dist/cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);

const dir = mkdtempSync(join(tmpdir(), 'fieldsync-proc-'));
const typesFile = join(dir, 'types.json');
writeFileSync(typesFile, JSON.stringify([WORK_ORDER]));
const children = new Set<ChildProcess>();

interface Proc {
  url: string;
  child: ChildProcess;
}

/** Starts `fieldsync serve` on a random free port of 127.0.0.1 and waits until it listens. */
async function serve(args: string[]): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--types', typesFile, ...args], {
    env: { ...process.env, FIELDSYNC_JWT_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return { url, child };
}

const kill = (p: Proc, signal: NodeJS.Signals) =>
  new Promise<void>((r) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return r();
    p.child.once('exit', () => r());
    p.child.kill(signal);
  });

afterEach(async () => {
  for (const c of children) {
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const engines: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (await pgReachable()) engines.push('postgres');

describe.each(engines)('server processes (%s)', (engine) => {
  const schema = uniqueSchema();
  const storageArgs =
    engine === 'postgres'
      ? ['--postgres', PG_URL, '--schema', schema]
      : ['--data', join(dir, `data-${engine}`)];
  afterAll(async () => {
    if (engine === 'postgres') await dropSchema(schema);
  });

  it('SIGKILL between push and pull loses no acknowledged change', async () => {
    const token = await signToken(SECRET, { user: 'anna', tenant: 'crash' });
    const first = await serve(storageArgs);
    const peer = new CorePeer(first.url, token, 'anna');
    const acked: string[] = [];
    for (let b = 0; b < 20; b++) {
      const batch = Array.from({ length: 25 }, (_, i) =>
        peer.change(undefined, [{ op: 'set', path: ['title'], value: `b${b}-${i}` }]),
      );
      const res = await peer.push(batch);
      for (const r of res.body.results)
        if (r.status === 'ok') acked.push(batch.find((c) => c.id === r.id)!.doc);
    }
    // Fire one more push and kill the server while it may be in flight: it is not acknowledged,
    // so it may or may not survive, but everything acknowledged before must.
    const inflight = peer
      .push([peer.change(undefined, [{ op: 'set', path: ['title'], value: 'in-flight' }])])
      .catch(() => undefined);
    await kill(first, 'SIGKILL');
    await inflight;
    expect(acked).toHaveLength(500);

    const second = await serve(storageArgs);
    const reader = new CorePeer(second.url, token, 'reader');
    await reader.pull();
    const missing = acked.filter((id) => !reader.docs.has(id));
    expect(missing).toEqual([]);
    await kill(second, 'SIGTERM');
  });

  if (engine === 'postgres') {
    it('scale-out: a change accepted by one process reaches SSE clients of the other', async () => {
      const a = await serve(storageArgs);
      const b = await serve(storageArgs);
      const token = await signToken(SECRET, { user: 'anna', tenant: 'scale' });
      const onB = await SseClient.open(`${b.url}/v1/events`, token);
      const onA = await SseClient.open(`${a.url}/v1/events`, token);
      try {
        await onB.waitFor((ev) => ev.some((e) => e.event === 'ready'));
        await onA.waitFor((ev) => ev.some((e) => e.event === 'ready'));
        const viaA = new CorePeer(a.url, token, 'wa');
        const viaB = new CorePeer(b.url, token, 'wb');
        const c1 = viaA.change(undefined, [{ op: 'set', path: ['title'], value: 'written on A' }]);
        await viaA.push([c1]);
        await onB.waitFor(() => onB.docs().some((d) => d.id === c1.doc));
        const c2 = viaB.change(undefined, [{ op: 'set', path: ['title'], value: 'written on B' }]);
        await viaB.push([c2]);
        await onA.waitFor(() => onA.docs().some((d) => d.id === c2.doc));
        // Interleaved writes on both: each stream gets all of them, ids strictly increasing.
        const many = [];
        for (let i = 0; i < 20; i++) {
          const p = i % 2 ? viaA : viaB;
          many.push(p.push([p.change(undefined, [{ op: 'set', path: ['title'], value: `x${i}` }])]));
        }
        await Promise.all(many);
        for (const s of [onA, onB]) {
          await s.waitFor(() => s.docs().length >= 22);
          const ids = s.events.filter((e) => e.event === 'sync').map((e) => Number(e.id));
          expect(ids).toEqual([...ids].sort((x, y) => x - y));
          expect(new Set(s.docs().map((d) => d.id)).size).toBe(22);
        }
      } finally {
        await onA.close();
        await onB.close();
      }
    });
  }
});

describe('fieldsync token', () => {
  it('prints a token the server accepts for that user and tenant', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'token', '--user', 'anna', '--tenant', 'acme', '--claim', 'teams[]=blue,red'],
      {
        env: { ...process.env, FIELDSYNC_JWT_SECRET: SECRET },
      },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => child.on('exit', r));
    const token = out.trim();
    const { hmacVerifier } = await import('../src/auth/jwt.js');
    const user = await hmacVerifier(SECRET)(token);
    expect(user).toMatchObject({ id: 'anna', tenant: 'acme', claims: { teams: ['blue', 'red'] } });
  });
});
