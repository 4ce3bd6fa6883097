import { createDocId } from '@fieldsync/core';
import type { SyncStatus } from '../sync/SyncStatus.js';
import type { ForwardError, ForwardedWrite, TabEnvelope } from './TabChannel.js';
import { TabLeader } from './TabLeader.js';

/** What the coordinator needs from its database. */
export interface CoordinatedHost {
  /** Makes a write as the leader (the database's own write path); throws if refused. */
  execute(op: ForwardedWrite): void | Promise<void>;
  /** Resolves when every write made so far is durable. */
  durable(): Promise<void>;
  post(msg: TabEnvelope): void;
  /** This tab has just become the leader (start syncing). */
  onLead(): void;
  /** The leader's sync status arrived (followers show it as their own). */
  onStatus(status: SyncStatus): void;
  /** A follower asked for the current sync status. */
  onHello(): void;
}

/** The leader refused a sequence update built on an outdated copy; the follower rebuilds it. */
export class StaleSequenceError extends Error {
  override readonly name = 'StaleSequenceError';
}

interface Request {
  op: ForwardedWrite;
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** How many answered requests the leader remembers, to answer a re-sent one without redoing it. */
const REMEMBERED = 10_000;

/**
 * One device, one writer: the tabs of a database elect a leader (`TabLeader`, Web Locks). The
 * leader alone stamps changes (under the device's one replica id) and runs the sync client; a
 * follower tab validates a write locally, then forwards it, and its promise resolves when the
 * leader reports it durable in the shared IndexedDB database — after the commit message that
 * carries the result, so the follower already shows it. When the leader goes away, the next tab
 * is granted the lock, makes its own unanswered writes itself, and tells the others to re-send
 * theirs; requests are numbered per tab so a re-sent request the leader already made is only
 * answered.
 */
export class TabCoordinator {
  readonly tabId = createDocId();
  readonly #host: CoordinatedHost;
  readonly #leader: TabLeader;
  #leading = false;
  #seq = 0;
  readonly #pending = new Map<number, Request>();
  readonly #answered = new Map<string, ForwardError | undefined>();

  constructor(name: string, host: CoordinatedHost) {
    this.#host = host;
    this.#leader = new TabLeader(name, () => void this.#lead());
    host.post({ t: 'hello' });
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Follower: sends `op` to the leader; resolves once it is durable, rejects if refused. */
  forward(op: ForwardedWrite): Promise<void> {
    const req = ++this.#seq;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // awaited through settled(); never an unhandled rejection
    this.#pending.set(req, { op, promise, resolve, reject });
    this.#host.post({ t: 'fwd', from: this.tabId, req, op });
    return promise;
  }

  /** Resolves when every write forwarded so far is durable; rejects with the first refusal. */
  async settled(): Promise<void> {
    await Promise.all([...this.#pending.values()].map((r) => r.promise));
  }

  /** Handles a tab message; false if it is not the coordinator's (a commit). */
  receive(msg: TabEnvelope): boolean {
    switch (msg.t) {
      case 'fwd':
        if (this.#leading) void this.#serve(msg.from, msg.req, msg.op);
        return true;
      case 'done': {
        if (msg.to !== this.tabId) return true;
        const r = this.#pending.get(msg.req);
        if (!r) return true;
        this.#pending.delete(msg.req);
        if (msg.error) r.reject(toError(msg.error));
        else r.resolve();
        return true;
      }
      case 'leader':
        // A new leader: it never saw what we sent its predecessor (or did, and answers at once).
        for (const [req, r] of this.#pending) this.#host.post({ t: 'fwd', from: this.tabId, req, op: r.op });
        return true;
      case 'status':
        if (!this.#leading) this.#host.onStatus(msg.status);
        return true;
      case 'hello':
        if (this.#leading) this.#host.onHello();
        return true;
      default:
        return false;
    }
  }

  /** Gives up leadership (the next tab takes over) or stops waiting for it. */
  close(): void {
    this.#leading = false;
    this.#leader.close();
  }

  async #lead(): Promise<void> {
    this.#leading = true;
    this.#host.onLead();
    this.#host.post({ t: 'leader' });
    // Our own writes that no leader answered: make them ourselves, in order.
    for (const [req, r] of [...this.#pending]) {
      this.#pending.delete(req);
      try {
        await this.#host.execute(r.op);
        await this.#host.durable();
        r.resolve();
      } catch (e) {
        r.reject(e);
      }
    }
  }

  /** Leader: makes a follower's write and answers once it is durable. */
  async #serve(from: string, req: number, op: ForwardedWrite): Promise<void> {
    const key = `${from}:${req}`;
    if (this.#answered.has(key)) {
      const error = this.#answered.get(key);
      this.#host.post({ t: 'done', to: from, req, ...(error ? { error } : {}) });
      return;
    }
    let error: ForwardError | undefined;
    try {
      await this.#host.execute(op); // the synchronous part runs now, in arrival order
      await this.#host.durable();
    } catch (e) {
      error = toForwardError(e);
    }
    if (this.#answered.size >= REMEMBERED) this.#answered.clear();
    this.#answered.set(key, error);
    this.#host.post({ t: 'done', to: from, req, ...(error ? { error } : {}) });
  }
}

function toForwardError(e: unknown): ForwardError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { code, path, rule } = e as { code?: unknown; path?: unknown; rule?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof path === 'string' ? { path } : {}),
    ...(typeof rule === 'string' ? { rule } : {}),
  };
}

/** The leader's refusal as an Error with the same name, message, code, path and rule. */
function toError(f: ForwardError): Error {
  if (f.name === 'StaleSequenceError') return new StaleSequenceError(f.message);
  const e = new Error(f.message) as Error & { code?: string; path?: string; rule?: string };
  e.name = f.name;
  if (f.code !== undefined) e.code = f.code;
  if (f.path !== undefined) e.path = f.path;
  if (f.rule !== undefined) e.rule = f.rule;
  return e;
}
