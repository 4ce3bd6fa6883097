import { spawn } from 'node:child_process';
import { closeSync, cpSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { pullAll } from './serverState.js';

const CLI = resolve(import.meta.dirname, '../packages/server/dist/cli.js');

/**
 * @typedef {{
 *   engine: 'sqlite' | 'postgres';
 *   dir: string;
 *   typesFile: string;
 *   secret: string;
 *   heartbeatMs: number;
 *   processes: number;
 *   postgres?: { url: string; schema: string };
 *   log?: (line: string) => void;
 * }} ServerPoolOptions
 */

/**
 * The server processes behind the proxies: `fieldsync serve` from the built CLI, on port 0 of
 * 127.0.0.1. SQLite: one process on a data directory. PostgreSQL: several processes sharing one
 * schema. Processes are SIGKILLed and restarted (on a new port; the proxies pick it up).
 */
export class ServerPool {
  /** @param {ServerPoolOptions} o */
  constructor(o) {
    this.o = o;
    this.dataDir = join(o.dir, 'server-data');
    /** @type {Array<{ child: import('node:child_process').ChildProcess | undefined; port: number; killing?: boolean }>} */
    this.slots = Array.from({ length: o.processes }, () => ({ child: undefined, port: 0 }));
    /** Server processes that exited without being killed by the suite (each one fails the run). */
    this.crashes = /** @type {string[]} */ ([]);
    this.kills = 0;
    this.starts = 0;
    // Never leave a server behind if the suite dies (a server keeps running without its parent).
    process.on('exit', () => {
      for (const s of this.slots) s.child?.kill('SIGKILL');
    });
  }

  /** @param {number} i */
  logFile(i) {
    return join(this.o.dir, `server-${i}.log`);
  }

  /** Starts every process that is not running. */
  async startAll() {
    await Promise.all(this.slots.map((_, i) => this.start(i)));
  }

  /** @param {number} i */
  async start(i) {
    const slot = /** @type {(typeof this.slots)[number]} */ (this.slots[i]);
    if (slot.child) return;
    const storage =
      this.o.engine === 'postgres' && this.o.postgres
        ? ['--postgres', this.o.postgres.url, '--schema', this.o.postgres.schema]
        : ['--data', this.dataDir];
    const args = [CLI, 'serve', '--port', '0', '--types', this.o.typesFile];
    args.push('--heartbeat', String(this.o.heartbeatMs), ...storage);
    const log = openSync(this.logFile(i), 'a');
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, FIELDSYNC_JWT_SECRET: this.o.secret },
      stdio: ['ignore', 'pipe', log],
    });
    this.starts++;
    slot.child = child;
    slot.killing = false;
    child.stdout?.on('data', (/** @type {Buffer} */ b) => writeSync(log, b));
    child.once('exit', (code, signal) => {
      closeSync(log);
      if (slot.child === child) {
        slot.child = undefined;
        slot.port = 0;
      }
      // Nobody here killed it: the server crashed (or exited) by itself.
      if (!slot.killing) {
        const what = `server ${i} exited by itself (${code ?? signal})`;
        this.crashes.push(what);
        this.o.log?.(what);
      }
    });
    slot.port = await new Promise((resolvePort, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server ${i} did not start: ${out}`)), 30_000);
      child.stdout?.on('data', (/** @type {Buffer} */ b) => {
        out += b.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          this.o.log?.(`server ${i} listening ${Date.now() - spawnedAt} ms after it was started`);
          resolvePort(Number(m[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const tail = readFileSync(this.logFile(i), 'utf8').slice(-2000);
        reject(new Error(`server ${i} exited (${code ?? signal}) while starting: ${out}${tail}`));
      });
    });
  }

  /** Live processes' indexes. */
  live() {
    return this.slots.flatMap((s, i) => (s.child && s.port ? [i] : []));
  }

  /**
   * The upstream for a new connection: a live process, chosen by `pick` among them.
   * @param {(n: number) => number} pick
   * @returns {import('./proxy.js').Target | undefined}
   */
  target(pick) {
    const live = this.live();
    if (live.length === 0) return undefined;
    const slot = this.slots[live[pick(live.length)] ?? -1];
    return slot ? { host: '127.0.0.1', port: slot.port } : undefined;
  }

  /** @param {number} i */
  url(i) {
    const slot = this.slots[i];
    return slot?.port ? `http://127.0.0.1:${slot.port}` : undefined;
  }

  /**
   * SIGKILLs process `i` (no chance to finish a commit, answer or close a stream).
   * @param {number} i
   */
  async kill(i) {
    const slot = this.slots[i];
    const child = slot?.child;
    if (!slot || !child) return;
    slot.killing = true;
    this.kills++;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /**
   * Runs the CLI (`fieldsync …`) to completion; rejects unless it exits 0.
   * @param {string[]} args
   */
  cli(args) {
    return this.#run(process.execPath, [CLI, ...args], { FIELDSYNC_JWT_SECRET: this.o.secret });
  }

  /**
   * @param {string} command
   * @param {string[]} args
   * @param {Record<string, string>} [env]
   * @returns {Promise<string>}
   */
  #run(command, args, env = {}) {
    return new Promise((resolveRun, reject) => {
      const child = spawn(command, args, {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (/** @type {Buffer} */ b) => (out += b.toString()));
      child.stderr.on('data', (/** @type {Buffer} */ b) => (out += b.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolveRun(out)
          : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${out}`)),
      );
    });
  }

  /**
   * A backup of the store while it serves: `fieldsync backup` (SQLite), `pg_dump` of the schema
   * (PostgreSQL). Returns what `restore` needs.
   * @param {string} name
   */
  async backup(name) {
    const dest = join(this.o.dir, name);
    if (this.o.engine === 'postgres' && this.o.postgres) {
      const file = `${dest}.dump`;
      await this.#run('pg_dump', [
        '--format=custom',
        `--schema=${this.o.postgres.schema}`,
        '-f',
        file,
        this.o.postgres.url,
      ]);
      return file;
    }
    await this.cli(['backup', dest, '--data', this.dataDir]);
    return dest;
  }

  /**
   * Stops every server process (SIGKILL), puts the backup in place of the store, gives it a new
   * epoch (the documented procedures: `fieldsync restore`; PostgreSQL: drop the schema,
   * `pg_restore`, `fieldsync reset-epoch`), and starts the processes again.
   * @param {string} backup what `backup` returned
   */
  async restore(backup) {
    for (const i of this.slots.keys()) await this.kill(i);
    if (this.o.engine === 'postgres' && this.o.postgres) {
      const { url, schema } = this.o.postgres;
      await this.#run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-c', `DROP SCHEMA ${schema} CASCADE`, url]);
      await this.#run('pg_restore', ['--exit-on-error', '-d', url, backup]);
      await this.cli(['reset-epoch', '--postgres', url, '--schema', schema]);
    } else await this.cli(['restore', backup, '--data', this.dataDir, '--force']);
    await this.startAll();
  }

  /**
   * What a SQLite backup holds: served by a temporary extra process on a copy of it, pulled with
   * `token`, stopped. (To show what a restore took away from the server.)
   * @param {string} backup
   * @param {string} token
   * @returns {Promise<import('./verify.js').DocJSON[]>}
   */
  async inspect(backup, token) {
    const dir = join(this.o.dir, 'backup-inspect');
    cpSync(backup, dir, { recursive: true });
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--data', dir, '--types', this.o.typesFile],
      {
        env: { ...process.env, FIELDSYNC_JWT_SECRET: this.o.secret },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      const url = await new Promise((resolveUrl, reject) => {
        let out = '';
        child.stdout.on('data', (/** @type {Buffer} */ b) => {
          out += b.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m?.[1]) resolveUrl(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`backup inspection server exited ${code}: ${out}`)));
      });
      return await pullAll(/** @type {string} */ (url), token);
    } finally {
      child.kill('SIGKILL');
    }
  }

  async stopAll() {
    await Promise.all(
      this.slots.map(async (s) => {
        const child = s.child;
        if (!child) return;
        s.killing = true;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }),
    );
  }
}
