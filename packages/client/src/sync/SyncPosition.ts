import type { Delta } from '@fieldsync/core';
import { SyncAbortedError } from './deadline.js';
import { receiving } from './protocolFailure.js';
import { resync, type ResyncKind } from './resync.js';
import type { SyncHost } from './SyncHost.js';
import type { SyncStatusBoard } from './SyncStatusBoard.js';
import type { ServerInfo, SyncTransport } from './SyncTransport.js';

/** Meta key of the persisted pull cursor. */
export const CURSOR_KEY = 'sync.cursor';
/** Meta key of the server store's identity (`Fieldsync-Epoch`) the cursor belongs to. */
export const EPOCH_KEY = 'sync.epoch';
/** Meta key of a resync that must run (or finish) before anything else: survives a crash. */
export const RESYNC_KEY = 'sync.resync';

/**
 * Where this replica stands in the server's history: the persisted cursor, the store (epoch) it
 * belongs to, the server's head, and a resync the server's answers called for.
 *
 * The one invariant it keeps: the cursor is persisted only after the documents it covers were
 * merged (`apply`), so a restart resumes without holes; a resync's cursor and epoch only once the
 * resync completed, so a crash re-runs it.
 */
export class SyncPosition {
  readonly #host: SyncHost;
  readonly #t: SyncTransport;
  readonly #board: SyncStatusBoard;
  readonly #pullLimit: number | undefined;
  /** Called when a resync becomes due: the live stream is closed so the loop runs it at once. */
  readonly #onResync: () => void;
  /** The epoch our cursor belongs to (persisted), and the last one the server stated. */
  #epoch: string | undefined;
  #serverEpoch: string | undefined;
  /** The persisted cursor, cached for the head check on every answer. */
  #cursorCache = 0;
  /** The server's head (`Fieldsync-Head`) as last answered: the end a pull's progress is measured to. */
  #head: number | undefined;
  /** A resync the server's answers called for (see `resync.ts`). */
  #resync: ResyncKind | undefined;

  constructor(
    host: SyncHost,
    t: SyncTransport,
    board: SyncStatusBoard,
    pullLimit: number | undefined,
    onResync: () => void,
  ) {
    this.#host = host;
    this.#t = t;
    this.#board = board;
    this.#pullLimit = pullLimit;
    this.#onResync = onResync;
  }

  /** Reads the persisted epoch, pending resync and cursor. */
  async load(): Promise<void> {
    this.#epoch = (await this.#host.getMeta(EPOCH_KEY)) || undefined;
    const pending = await this.#host.getMeta(RESYNC_KEY);
    if (pending === 'merge' || pending === 'replace') this.#resync = pending;
    await this.cursor();
  }

  /** The persisted cursor (0 when absent or unreadable). */
  async cursor(): Promise<number> {
    const raw = await this.#host.getMeta(CURSOR_KEY);
    const n = raw === undefined ? 0 : Number(raw);
    this.#cursorCache = Number.isSafeInteger(n) && n >= 0 ? n : 0;
    return this.#cursorCache;
  }

  /** What an answer says about the server's store: another epoch or lost history calls for a resync. */
  observe(info: ServerInfo): void {
    if (info.epoch !== undefined) {
      this.#serverEpoch = info.epoch;
      if (this.#epoch !== undefined && info.epoch !== this.#epoch) this.needResync('merge');
    }
    if (info.head !== undefined) this.#head = info.head;
    // A head below our cursor: the server lost history we already pulled (restored, reset).
    if (info.head !== undefined && info.head < this.#cursorCache) this.needResync('merge');
  }

  /** A resync is due (or running and not finished). */
  get resyncDue(): boolean {
    return this.#resync !== undefined;
  }

  /** Schedules a resync (a `merge` is never downgraded to a `replace`). */
  needResync(kind: ResyncKind): void {
    if (this.#resync === 'merge') return;
    this.#resync = kind;
    this.#onResync();
  }

  /**
   * Runs the pending resync(s), then adopts the server's epoch and cursor. The target epoch is
   * adopted in memory first, so the answers of the resync itself do not call for another one;
   * it is persisted (with the cursor) only when the resync completed: a crash re-runs it.
   */
  async runResync(signal: AbortSignal): Promise<void> {
    while (this.#resync !== undefined) {
      const kind = this.#resync;
      this.#resync = undefined;
      this.#epoch = this.#serverEpoch;
      this.#cursorCache = 0;
      await this.#host.setMeta(RESYNC_KEY, kind);
      this.#board.set({ resyncing: true });
      try {
        const out = await resync(kind, this.#host, this.#t, this.#pullLimit, signal);
        if (this.#resync === undefined) {
          await this.#host.setMeta(CURSOR_KEY, String(out.cursor));
          this.#cursorCache = out.cursor;
          if (this.#epoch !== undefined) await this.#host.setMeta(EPOCH_KEY, this.#epoch);
          await this.#host.setMeta(RESYNC_KEY, '');
        }
        const first = out.refused[0];
        if (first)
          this.#board.set({
            lastError: `resync: the server refused ${out.refused.length} document(s); ${first.id}: ${first.reason}`,
          });
      } catch (e) {
        this.#resync ??= kind;
        throw e;
      } finally {
        this.#board.set({ resyncing: false });
      }
    }
  }

  /** First contact (or a client from before epochs): the cursor belongs to the server's store. */
  async adoptServerEpoch(): Promise<void> {
    if (this.#epoch === undefined && this.#serverEpoch !== undefined) {
      this.#epoch = this.#serverEpoch;
      await this.#host.setMeta(EPOCH_KEY, this.#epoch);
    }
  }

  /** How far `cursor` is on the way from `start` to the server's head (undefined: head unknown). */
  fraction(start: number, cursor: number): number | undefined {
    const head = this.#head;
    if (head === undefined) return undefined;
    if (head <= start) return 1;
    return Math.min(1, Math.max(0, (cursor - start) / (head - start)));
  }

  /** Merges one delta (a pull page or a `sync` event), then (and only then) persists its cursor. */
  async apply(d: Delta, signal: AbortSignal, what: string): Promise<void> {
    if (signal.aborted) throw new SyncAbortedError();
    const host = this.#host;
    if (d.types.length > 0 && host.applyTypes)
      await receiving('types', what, () => host.applyTypes!(d.types));
    // Deltas are applied one at a time (`SerialSteps`): nothing moves the cursor meanwhile.
    const cursor = d.cursor > (await this.cursor()) ? String(d.cursor) : undefined;
    // The cursor is stored with the documents when nothing follows them (evictions do).
    const withDocs =
      cursor !== undefined &&
      d.docs.length > 0 &&
      d.gone.length === 0 &&
      host.applyRemoteWithMeta !== undefined;
    if (d.docs.length > 0)
      await receiving('docs', what, () =>
        withDocs ? host.applyRemoteWithMeta!(d.docs, [CURSOR_KEY, cursor]) : host.applyRemote(d.docs),
      );
    if (d.gone.length > 0) await host.evict(d.gone);
    if (cursor !== undefined) {
      if (!withDocs) await host.setMeta(CURSOR_KEY, cursor);
      this.#cursorCache = d.cursor;
    }
  }
}
