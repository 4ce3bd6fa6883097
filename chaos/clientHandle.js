import { fork } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a chaos client process is started with (one JSON argument).
 * @typedef {{
 *   client: number;
 *   incarnation: number;
 *   seed: number;
 *   seq0: number;
 *   file: string;
 *   url: string;
 *   token: string;
 *   writeMeanMs: number;
 *   sync: Record<string, unknown>;
 * }} ClientConfig
 * @typedef {{ t: string; [k: string]: unknown }} Message
 * @typedef {(client: number, msg: Message) => void} MessageSink
 */

const CLIENT_JS = join(import.meta.dirname, 'client.js');

/**
 * The parent's side of one chaos client: starts its process, SIGKILLs it, reopens it from its
 * SQLite file, and sends it requests. Every message the process sends goes to `sink` (the run's
 * log); replies to a request are matched by id.
 */
export class ClientHandle {
  /**
   * @param {number} index
   * @param {{ dir: string; url: string; token: string; writeMeanMs: number; sync: Record<string, unknown>;
   *   seedOf: (client: number, incarnation: number) => number; nextSeq: (client: number) => number;
   *   sink: MessageSink }} o
   */
  constructor(index, o) {
    this.index = index;
    this.o = o;
    this.file = join(o.dir, `client-${String(index).padStart(2, '0')}.sqlite`);
    this.logFile = join(o.dir, `client-${String(index).padStart(2, '0')}.log`);
    this.incarnation = 0;
    this.kills = 0;
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    /** @type {string | undefined} */
    this.replica = undefined;
    this.writing = false;
    this.requests = 0;
    /** @type {Map<number, (m: Message) => void>} */
    this.waiting = new Map();
    /** @type {((m: Message) => void) | undefined} */
    this.onReady = undefined;
  }

  get alive() {
    return this.child !== undefined;
  }

  /** Starts (or reopens) the client process; resolves when its database is open and syncing. */
  async start() {
    if (this.child) return;
    const incarnation = ++this.incarnation;
    /** @type {ClientConfig} */
    const cfg = {
      client: this.index,
      incarnation,
      seed: this.o.seedOf(this.index, incarnation),
      seq0: this.o.nextSeq(this.index),
      file: this.file,
      url: this.o.url,
      token: this.o.token,
      writeMeanMs: this.o.writeMeanMs,
      sync: this.o.sync,
    };
    const log = openSync(this.logFile, 'a');
    const child = fork(CLIENT_JS, [JSON.stringify(cfg)], {
      stdio: ['ignore', log, log, 'ipc'],
      serialization: 'json',
    });
    closeSync(log);
    this.child = child;
    const ready = new Promise((resolve, reject) => {
      this.onReady = resolve;
      child.once('exit', (code, signal) =>
        reject(new Error(`client ${this.index} exited (${code ?? signal})`)),
      );
    });
    child.on('message', (raw) => {
      const msg = /** @type {Message} */ (raw);
      if (msg.t === 'ready') {
        this.replica = String(msg['replica']);
        this.onReady?.(msg);
      }
      const id = msg['id'];
      if (typeof id === 'number' && msg.t !== 'wrote') {
        const w = this.waiting.get(id);
        if (w) {
          this.waiting.delete(id);
          w(msg);
        }
      }
      this.o.sink(this.index, msg);
    });
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      for (const w of this.waiting.values()) w({ t: 'gone' });
      this.waiting.clear();
    });
    await ready;
    if (this.writing) this.send({ t: 'writing', on: true });
  }

  /** SIGKILLs the process (no chance to flush or close anything). */
  async kill() {
    const child = this.child;
    if (!child) return;
    this.kills++;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** @param {Message} msg */
  send(msg) {
    try {
      this.child?.send(msg);
    } catch {
      // the process died between the check and the send: a kill, handled by the caller
    }
  }

  /**
   * Sends a request and resolves with its reply, or `{ t: 'gone' }` if the process dies, or
   * `{ t: 'timeout' }` after `ms`.
   * @param {Message} msg
   * @param {number} ms
   * @returns {Promise<Message>}
   */
  request(msg, ms) {
    if (!this.child) return Promise.resolve({ t: 'gone' });
    const id = ++this.requests;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ t: 'timeout' });
      }, ms);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.send({ ...msg, id });
    });
  }

  /** @param {boolean} on */
  setWriting(on) {
    this.writing = on;
    this.send({ t: 'writing', on });
  }

  /** Closes the client cleanly (end of run); kills it if it does not exit in time. */
  async close() {
    const child = this.child;
    if (!child) return;
    const gone = new Promise((r) => child.once('exit', r));
    this.send({ t: 'close' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
