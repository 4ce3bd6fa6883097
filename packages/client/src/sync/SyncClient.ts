import {
  MAX_DOCS_IDS,
  ProtocolError,
  parseSseEvent,
  type Delta,
  type DocsResponse,
  type ReadyEvent,
  type SseMessage,
} from '@fieldsync/core';
import { Backoff, type BackoffOptions } from './backoff.js';
import { SyncAbortedError } from './deadline.js';
import { resync, type ResyncKind } from './resync.js';
import { later, type Cancel } from './later.js';
import type { SyncHost } from './SyncHost.js';
import { inAnswerTo, receiving } from './protocolFailure.js';
import { initialStatus, type SyncStatus } from './SyncStatus.js';
import {
  SyncHttpError,
  SyncNetworkError,
  SyncTransport,
  type ServerInfo,
  type TransportOptions,
} from './SyncTransport.js';

/** Options of `createDatabase({ sync })`. */
export interface SyncOptions extends TransportOptions, BackoffOptions {
  /** Changes per push. Default 500 (the server accepts up to 1,000). Halved automatically on 413. */
  batchSize?: number;
  /** Documents per pull page (server caps it). */
  pullLimit?: number;
  /** Keep a realtime (SSE) stream open while started. Default true. */
  live?: boolean;
  /** Start syncing as soon as the database opens. Default true. */
  autoStart?: boolean;
  /** Outbox polling interval when the host cannot notify local changes. Default 2 s. */
  pollMs?: number;
  /**
   * The server's heartbeat interval (its `: ping` comments), used until the client learns the
   * real one: from the gap between two pings of a stream, or from `heartbeatMs` in the `ready`
   * event if the server states it. A stream silent for two heartbeats plus a margin is dead and
   * is reconnected. Default 15 s (the server's default).
   */
  heartbeatMs?: number;
  /**
   * While the server is unreachable, probe `GET /v1/health` this often instead of waiting out
   * the backoff (Node has no `online` event). Default 3 s; 0 disables.
   */
  probeMs?: number;
  /** Deadline of one probe. Default 2 s. */
  probeTimeoutMs?: number;
}

/** Meta key of the persisted pull cursor. */
export const CURSOR_KEY = 'sync.cursor';
/** Meta key of the server store's identity (`Fieldsync-Epoch`) the cursor belongs to. */
export const EPOCH_KEY = 'sync.epoch';
/** Meta key of a resync that must run (or finish) before anything else: survives a crash. */
export const RESYNC_KEY = 'sync.resync';

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** What kind of failure `e` is, for `status.lastErrorKind`. */
const kindOf = (e: unknown): SyncStatus['lastErrorKind'] =>
  e instanceof SyncHttpError ? 'http' : e instanceof ProtocolError ? 'protocol' : 'network';

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Rejection codes a fresh stamp cures: the change is re-issued, not set aside (PROTOCOL-11). */
const REISSUE_CODES = new Set(['clock_drift', 'id_conflict', 'replica_taken']);
/** Abort reason of requests cut short because the network came back (retried at once). */
const RETRY_NOW = 'retry-now';

/**
 * Replicates a local database with a fieldsync server: pushes the outbox in batches, pulls
 * everything after the persisted cursor, then follows the server's event stream.
 *
 * Design rules from the field notes: a change the server refuses is set aside (never blocks the
 * queue behind it); every retry waits with exponential backoff and jitter; the cursor is
 * persisted only after the documents it covers were merged, so a restart resumes without holes.
 * Pull, push and event handling run one at a time (a small mutex), so the cursor only ever moves
 * forward over data that was applied.
 *
 * Never wedged: every request has a deadline, the event stream has a watchdog (no byte for two
 * heartbeats = dead), `stop()` aborts whatever is in flight, and while the server is unreachable a
 * cheap health probe wakes the loop as soon as it answers. The status tells what is true:
 * `online` only once the server answered, `live`/`pushing`/`pulling` only while it is so.
 */
export class SyncClient {
  readonly #host: SyncHost;
  readonly #o: SyncOptions;
  readonly #t: SyncTransport;
  readonly #backoff: Backoff;
  readonly #listeners = new Set<(s: SyncStatus) => void>();
  #status: SyncStatus = initialStatus();
  #batchSize: number;
  /** Serializes sync steps; the first waits for the persisted sync state to load. */
  #mutex: Promise<unknown>;
  /** The epoch our cursor belongs to (persisted), and the last one the server stated. */
  #epoch: string | undefined;
  #serverEpoch: string | undefined;
  /** The persisted cursor, cached for the head check on every answer. */
  #cursorCache = 0;
  /** The server's head (`Fieldsync-Head`) as last answered: the end a pull's progress is measured to. */
  #head: number | undefined;
  /** A resync the server's answers called for (see `resync.ts`). */
  #resync: ResyncKind | undefined;
  #session: Promise<void> | undefined;
  /** Aborted by `stop()`: cancels every request in flight (then replaced for the next start). */
  #life = new AbortController();
  #stream: AbortController | undefined;
  #wake: (() => void) | undefined;
  #pushTimer: Cancel | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #unsubs: Array<() => void> = [];
  /** The server's heartbeat: learned from its pings or its `ready` event, else the configured one. */
  #heartbeatMs: number;

  constructor(host: SyncHost, options: SyncOptions) {
    this.#host = host;
    this.#o = options;
    this.#t = new SyncTransport(options, (info) => this.#observe(info));
    this.#backoff = new Backoff(options);
    this.#batchSize = options.batchSize ?? 500;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#mutex = this.#load().catch(() => undefined);
    // Keep `status.pending` current even while stopped ("3 changes waiting" while offline).
    this.#onOutboxChange(() => void this.#counts());
    void this.#counts();
  }

  async #load(): Promise<void> {
    this.#epoch = (await this.#host.getMeta(EPOCH_KEY)) || undefined;
    const pending = await this.#host.getMeta(RESYNC_KEY);
    if (pending === 'merge' || pending === 'replace') this.#resync = pending;
    await this.#cursor();
  }

  /** Subscribes to local outbox changes, if the host's outbox reports them (else: undefined, poll). */
  #onOutboxChange(fn: () => void): (() => void) | undefined {
    return this.#host.outbox.onChange?.(fn);
  }

  /** Refreshes `pending` and `rejected` from the outbox (what is really queued and set aside). */
  async #counts(): Promise<void> {
    const pending = await this.#host.outbox.count();
    const rejected = (await this.#host.outbox.rejectedCount?.()) ?? this.#status.rejected;
    this.#set({ pending, rejected });
  }

  /** A snapshot of the current status. */
  get status(): SyncStatus {
    return { ...this.#status };
  }

  /** Calls `fn` now and on every status change; returns the unsubscribe function. */
  subscribe(fn: (s: SyncStatus) => void): () => void {
    this.#listeners.add(fn);
    fn(this.status);
    return () => this.#listeners.delete(fn);
  }

  #set(patch: Partial<SyncStatus>): void {
    let changed = false;
    for (const k of Object.keys(patch) as Array<keyof SyncStatus>) {
      if (this.#status[k] !== patch[k]) changed = true;
    }
    if (!changed) return;
    this.#status = { ...this.#status, ...patch };
    const s = this.status;
    for (const l of this.#listeners) l(s);
  }

  /** Every answer from the server: it is reachable; its clock corrects ours. */
  #observe(info: ServerInfo): void {
    this.#set({ online: true });
    if (info.time !== undefined) this.#host.serverTime?.(info.time, info.receivedAt - info.sentAt);
    if (info.epoch !== undefined) {
      this.#serverEpoch = info.epoch;
      if (this.#epoch !== undefined && info.epoch !== this.#epoch) this.#needResync('merge');
    }
    if (info.head !== undefined) this.#head = info.head;
    // A head below our cursor: the server lost history we already pulled (restored, reset).
    if (info.head !== undefined && info.head < this.#cursorCache) this.#needResync('merge');
  }

  /** Schedules a resync; the live stream is closed so the loop runs it at once. */
  #needResync(kind: ResyncKind): void {
    if (this.#resync === 'merge') return;
    this.#resync = kind;
    this.#stream?.abort();
  }

  /**
   * Runs the pending resync(s), then adopts the server's epoch and cursor. The target epoch is
   * adopted in memory first, so the answers of the resync itself do not call for another one;
   * it is persisted (with the cursor) only when the resync completed: a crash re-runs it.
   */
  async #runResync(signal: AbortSignal): Promise<void> {
    while (this.#resync !== undefined) {
      const kind = this.#resync;
      this.#resync = undefined;
      this.#epoch = this.#serverEpoch;
      this.#cursorCache = 0;
      await this.#host.setMeta(RESYNC_KEY, kind);
      this.#set({ resyncing: true });
      try {
        const out = await resync(kind, this.#host, this.#t, this.#o.pullLimit, signal);
        if (this.#resync === undefined) {
          await this.#host.setMeta(CURSOR_KEY, String(out.cursor));
          this.#cursorCache = out.cursor;
          if (this.#epoch !== undefined) await this.#host.setMeta(EPOCH_KEY, this.#epoch);
          await this.#host.setMeta(RESYNC_KEY, '');
        }
        const first = out.refused[0];
        if (first)
          this.#set({
            lastError: `resync: the server refused ${out.refused.length} document(s); ${first.id}: ${first.reason}`,
          });
      } catch (e) {
        this.#resync ??= kind;
        throw e;
      } finally {
        this.#set({ resyncing: false });
      }
    }
  }

  /**
   * The server's current state of these documents (`GET /v1/docs`), for the database to roll a
   * document back (discarding a rejected change). Rejects when the server cannot be reached.
   */
  async fetchDocs(ids: readonly string[]): Promise<DocsResponse> {
    const signal = this.#life.signal;
    try {
      // In batches of the most ids one request may name (the server refuses more).
      const out: DocsResponse = { docs: [], missing: [] };
      for (let i = 0; i < ids.length; i += MAX_DOCS_IDS) {
        const part = await this.#t.docs(ids.slice(i, i + MAX_DOCS_IDS), signal);
        out.docs.push(...part.docs);
        out.missing.push(...part.missing);
      }
      return out;
    } catch (e) {
      if (!(e instanceof SyncHttpError && e.status === 404)) throw e;
    }
    // A server without `/v1/docs`: scan a full pull for them (costs a full pull; rare: a user action).
    const want = new Set(ids);
    const docs: unknown[] = [];
    for (let since = 0, pages = 0; pages < 1_000_000; pages++) {
      const d = await this.#t.pull(since, this.#o.pullLimit, signal);
      for (const doc of d.docs) if (want.has(String((doc as { id?: unknown }).id))) docs.push(doc);
      since = d.cursor;
      if (!d.more) break;
    }
    const found = new Set(docs.map((d) => String((d as { id?: unknown }).id)));
    return { docs, missing: ids.filter((id) => !found.has(id)) };
  }

  /** Starts background sync (idempotent). */
  start(): void {
    if (this.#status.running) return;
    this.#set({ running: true });
    const g = globalThis as {
      addEventListener?: (t: string, f: () => void) => void;
      removeEventListener?: (t: string, f: () => void) => void;
    };
    if (g.addEventListener && g.removeEventListener) {
      const on = (): void => this.#onOnline();
      const off = (): void => this.#onOffline();
      g.addEventListener('online', on);
      g.addEventListener('offline', off);
      this.#unsubs.push(() => {
        g.removeEventListener?.('online', on);
        g.removeEventListener?.('offline', off);
      });
    }
    const unsub = this.#onOutboxChange(() => this.#schedulePush());
    if (unsub) this.#unsubs.push(unsub);
    else this.#pollTimer = setInterval(() => this.#schedulePush(), this.#o.pollMs ?? 2000);
    // A type defined or migrated here is pushed at once, even before any record is written at it.
    const unsubTypes = this.#host.onLocalTypes?.(() => this.#schedulePush());
    if (unsubTypes) this.#unsubs.push(unsubTypes);
    this.#session = this.#run();
  }

  /**
   * Stops background sync. Requests in flight are aborted (their changes stay queued), so this
   * returns promptly whatever the network does. Local writes keep queuing.
   */
  async stop(): Promise<void> {
    this.#life.abort();
    this.#life = new AbortController();
    if (!this.#status.running) {
      await this.#mutex;
      return;
    }
    this.#set({ running: false, live: false });
    for (const u of this.#unsubs.splice(0)) u();
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pushTimer?.();
    this.#pollTimer = this.#pushTimer = undefined;
    this.#stream?.abort();
    this.#wake?.();
    await this.#session;
    await this.#mutex;
  }

  /**
   * Pushes everything in the outbox, then pulls until up to date. Rejects if the server cannot
   * be reached within the request deadline (the changes stay queued), or with `SyncAbortedError`
   * if `stop()` is called meanwhile. Works whether or not background sync is started.
   */
  async flush(): Promise<void> {
    for (;;) {
      const signal = this.#life.signal;
      try {
        await this.#exclusive(async () => {
          await this.#pushAll(signal);
          await this.#pullAll(signal);
        });
        break;
      } catch (e) {
        // Cut short by the network coming back (`online`): try again at once on fresh connections.
        if (!(e instanceof SyncAbortedError && signal.reason === RETRY_NOW)) throw e;
      }
    }
    this.#set({ lastSyncedAt: Date.now(), lastError: undefined, lastErrorKind: undefined, online: true });
  }

  /** Runs `fn` after every earlier sync step, never concurrently with one. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#mutex.then(fn);
    this.#mutex = run.catch(() => undefined);
    return run;
  }

  async #run(): Promise<void> {
    while (this.#status.running) {
      try {
        await this.flush();
        if (!this.#status.running) break;
        if (this.#o.live === false) {
          await this.#sleep(this.#o.pollMs ?? 2000);
          continue;
        }
        await this.#listen();
        // The stream ended without an error (server restart, proxy timeout): reconnect after a
        // pause — unless it was closed for a resync, which runs at once.
        if (this.#status.running && this.#resync === undefined) await this.#sleep(this.#backoff.next());
      } catch (e) {
        if (!this.#status.running) break;
        if (e instanceof SyncAbortedError) continue; // `online`: retry now
        if (e instanceof SyncHttpError && e.code === 'history_gone') {
          this.#needResync('replace');
          continue;
        }
        this.#fail(e);
        // Probe early only when the network failed: a server that answers garbage (or an error)
        // is reachable, and probing it would retry it every `probeMs` instead of backing off.
        await this.#pause(this.#backoff.next(), e instanceof SyncNetworkError);
      }
    }
  }

  /**
   * Reports a failed sync step. A network failure also means offline; an HTTP error or a
   * malformed answer (`ProtocolError`) came from a server that did answer.
   */
  #fail(e: unknown): void {
    const lastErrorKind = kindOf(e);
    const network = lastErrorKind === 'network';
    this.#set({
      lastError: lastErrorKind === 'protocol' ? `protocol: ${messageOf(e)}` : messageOf(e),
      lastErrorKind,
      live: false,
      pushing: false,
      pulling: false,
      ...(network ? { online: false } : {}),
    });
  }

  async #listen(): Promise<void> {
    const ctrl = new AbortController();
    this.#stream = ctrl;
    let failure: unknown;
    const onMessage = (m: SseMessage): void => {
      // After a failure nothing more of this stream is applied: a later event's cursor would
      // skip the range of the one that failed.
      if (failure !== undefined) return;
      let ev;
      try {
        ev = parseSseEvent(m.event, m.data);
      } catch (e) {
        failure = e instanceof ProtocolError ? inAnswerTo(e, 'GET /v1/events') : e;
        ctrl.abort();
        return;
      }
      if (ev.kind === 'ready') {
        this.#ready(ev.ready);
        return;
      }
      if (ev.kind !== 'sync') return;
      const signal = this.#life.signal;
      const delta = ev.delta;
      this.#exclusive(() => this.#apply(delta, signal, 'GET /v1/events')).then(
        () => this.#set({ lastSyncedAt: Date.now() }),
        (e: unknown) => {
          failure ??= e;
          ctrl.abort();
        },
      );
    };
    // Learn the server's heartbeat from the gap between two pings of this stream.
    let lastPing: number | undefined;
    const onComment = (text: string): void => {
      if (text !== 'ping') return;
      const now = Date.now();
      if (lastPing !== undefined) this.#heartbeatMs = Math.max(50, now - lastPing);
      lastPing = now;
    };
    const cursor = await this.#cursor();
    try {
      await this.#t.events(cursor, onMessage, ctrl.signal, () => this.#idleLimit(), onComment);
    } finally {
      this.#set({ live: false });
      if (this.#stream === ctrl) this.#stream = undefined;
    }
    await this.#mutex;
    if (failure !== undefined) throw failure;
  }

  /** The stream caught up: it is live; learn the server's heartbeat if it states it. */
  #ready(r: ReadyEvent): void {
    if (r.heartbeatMs !== undefined) this.#heartbeatMs = r.heartbeatMs;
    this.#backoff.reset();
    this.#set({
      live: true,
      online: true,
      lastSyncedAt: Date.now(),
      lastError: undefined,
      lastErrorKind: undefined,
    });
  }

  /** A stream silent this long is dead: two heartbeats, plus a margin for a slow network. */
  #idleLimit(): number {
    return 2 * this.#heartbeatMs + Math.min(2000, this.#heartbeatMs);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }

  /**
   * Waits `ms` before the next attempt. After a network failure, also probes the server every
   * `probeMs` meanwhile and retries as soon as it answers: the backoff grows to 30 s, and Node
   * has no `online` event to cut it short.
   */
  async #pause(ms: number, probe: boolean): Promise<void> {
    const every = this.#o.probeMs ?? 3000;
    const sleeping = this.#sleep(ms);
    if (!probe || every <= 0 || ms <= every) return sleeping;
    let slept = false;
    void sleeping.then(() => (slept = true));
    const signal = this.#life.signal;
    void (async () => {
      while (!slept && this.#status.running) {
        await Promise.race([sleeping, new Promise((r) => setTimeout(r, every))]);
        if (slept || !this.#status.running) return;
        if (await this.#t.probe(this.#o.probeTimeoutMs ?? 2000, signal)) {
          this.#backoff.reset();
          this.#wake?.();
          return;
        }
      }
    })().catch(() => undefined);
    return sleeping;
  }

  /**
   * The browser says the network is back. Requests in flight were sent on the old network and
   * may hang on a dead socket until their deadline: abort them and retry at once.
   */
  #onOnline(): void {
    this.#backoff.reset();
    const old = this.#life;
    this.#life = new AbortController();
    old.abort(RETRY_NOW);
    this.#stream?.abort();
    this.#wake?.();
  }

  #onOffline(): void {
    this.#set({ online: false, live: false });
    this.#stream?.abort();
  }

  /** A local change: push soon (coalesces bursts of writes into one batch). */
  #schedulePush(delayMs = 0): void {
    if (!this.#status.running || this.#pushTimer) return;
    this.#pushTimer = later(() => {
      this.#pushTimer = undefined;
      const signal = this.#life.signal;
      this.#exclusive(() => this.#pushAll(signal)).then(
        () => this.#backoff.reset(),
        (e: unknown) => {
          if (!this.#status.running) return;
          if (e instanceof SyncAbortedError) return this.#schedulePush();
          this.#fail(e);
          this.#schedulePush(this.#backoff.next());
        },
      );
    }, delayMs);
  }

  async #pushAll(signal: AbortSignal): Promise<void> {
    this.#set({ pushing: true });
    try {
      await this.#pushTypes(signal);
      const reissued = new Set<string>();
      for (;;) {
        const batch = await this.#host.outbox.peek(this.#batchSize);
        if (batch.length === 0) break;
        await this.#pushBatch(batch, signal, reissued);
      }
    } finally {
      this.#set({ pushing: false });
      await this.#counts();
    }
  }

  /**
   * Local type definitions go first, oldest version first, so the server knows every version
   * (and its migration) before it sees changes written at it. A definition the server refuses
   * for good (403 without the define-types right, 409, 422) is set aside like a rejected change;
   * 401, 429, 5xx and network failures keep it queued.
   */
  async #pushTypes(signal: AbortSignal): Promise<void> {
    const host = this.#host;
    if (!host.typesToPush || !host.typePushed) return;
    for (const def of host.typesToPush()) {
      try {
        await this.#t.putType(def, signal);
        await host.typePushed(def);
      } catch (e) {
        if (!(e instanceof SyncHttpError) || e.transient || e.status === 401) throw e;
        await host.typePushed(def, e.message);
      }
    }
  }

  async #pushBatch(batch: unknown[], signal: AbortSignal, reissued: Set<string>): Promise<void> {
    const idOf = (c: unknown): string => String((c as { id?: unknown }).id);
    let res;
    try {
      res = await this.#t.push(batch, signal);
    } catch (e) {
      const permanent = e instanceof SyncHttpError && !e.transient && e.status !== 401 && e.status !== 403;
      if (!permanent) throw e;
      // The whole request was refused (too large, malformed). Split to isolate the culprit;
      // a single change that is still refused is set aside so it never wedges the queue.
      if (batch.length > 1) {
        this.#batchSize = Math.max(1, Math.floor(batch.length / 2));
        return;
      }
      await this.#host.outbox.reject(idOf(batch[0]), e.message);
      return;
    }
    const acked: string[] = [];
    const reissue = new Map<string, string[]>();
    for (let i = 0; i < batch.length; i++) {
      // One result per change, naming it (checked by `parsePushResponse`).
      const r = res.results[i] as (typeof res.results)[number];
      const id = idOf(batch[i]);
      if (r.status !== 'rejected') {
        acked.push(id);
        continue;
      }
      const code = r.error?.code ?? 'rejected';
      // A stamp problem is cured by a fresh stamp — once: a change re-issued in this same push
      // and refused again is set aside, so a server that keeps refusing cannot make us loop.
      if (REISSUE_CODES.has(code) && this.#host.reissue && !reissued.has(id)) {
        const ids = reissue.get(code) ?? [];
        ids.push(id);
        reissue.set(code, ids);
      } else {
        await this.#host.outbox.reject(id, r.error ? `${code}: ${r.error.message}` : 'rejected');
      }
    }
    if (acked.length > 0) await this.#host.outbox.ack(acked);
    for (const [code, ids] of reissue) {
      for (const fresh of (await this.#host.reissue?.(ids, code)) ?? []) reissued.add(fresh);
    }
  }

  async #cursor(): Promise<number> {
    const raw = await this.#host.getMeta(CURSOR_KEY);
    const n = raw === undefined ? 0 : Number(raw);
    this.#cursorCache = Number.isSafeInteger(n) && n >= 0 ? n : 0;
    return this.#cursorCache;
  }

  async #pullAll(signal: AbortSignal): Promise<void> {
    const start = await this.#cursor();
    let received = 0;
    this.#set({ pulling: true, progress: { docs: 0, pages: 0, fraction: this.#fraction(start, start) } });
    /** The next page, requested while this one is merged and stored (used if the cursor matches). */
    let ahead: { since: number; page: Promise<Delta> } | undefined;
    try {
      for (let pages = 0; pages < 1_000_000; pages++) {
        if (this.#resync !== undefined) await this.#runResync(signal);
        const since = await this.#cursor();
        const request = ahead?.since === since ? ahead.page : this.#t.pull(since, this.#o.pullLimit, signal);
        ahead = undefined;
        let d: Delta;
        try {
          d = await request;
        } catch (e) {
          if (!(e instanceof SyncHttpError && e.code === 'history_gone')) throw e;
          this.#needResync('replace');
          continue;
        }
        if (this.#resync !== undefined) continue; // this answer came from another history
        if (d.more) {
          const page = this.#t.pull(d.cursor, this.#o.pullLimit, signal);
          page.catch(() => undefined); // awaited (and its error thrown) only if used
          ahead = { since: d.cursor, page };
        }
        await this.#apply(d, signal, 'GET /v1/pull');
        received += d.docs.length;
        const fraction = d.more ? this.#fraction(start, d.cursor) : 1;
        this.#set({ progress: { docs: received, pages: pages + 1, fraction } });
        if (!d.more) break;
      }
      if (this.#resync !== undefined) await this.#runResync(signal);
      // First contact (or a client from before epochs): the cursor belongs to this store.
      if (this.#epoch === undefined && this.#serverEpoch !== undefined) {
        this.#epoch = this.#serverEpoch;
        await this.#host.setMeta(EPOCH_KEY, this.#epoch);
      }
    } finally {
      this.#set({ pulling: false, progress: undefined });
    }
  }

  /** How far `cursor` is on the way from `start` to the server's head (undefined: head unknown). */
  #fraction(start: number, cursor: number): number | undefined {
    const head = this.#head;
    if (head === undefined) return undefined;
    if (head <= start) return 1;
    return Math.min(1, Math.max(0, (cursor - start) / (head - start)));
  }

  /** Merges one delta, then (and only then) persists its cursor. */
  async #apply(d: Delta, signal: AbortSignal, what: string): Promise<void> {
    if (signal.aborted) throw new SyncAbortedError();
    const host = this.#host;
    if (d.types.length > 0 && host.applyTypes)
      await receiving('types', what, () => host.applyTypes!(d.types));
    if (d.docs.length > 0) await receiving('docs', what, () => host.applyRemote(d.docs));
    if (d.gone.length > 0) await this.#host.evict(d.gone);
    if (d.cursor > (await this.#cursor())) {
      await this.#host.setMeta(CURSOR_KEY, String(d.cursor));
      this.#cursorCache = d.cursor;
    }
  }
}
