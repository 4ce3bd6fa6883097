import type { Delta } from '@fieldsync/core';
import type { SyncPosition } from './SyncPosition.js';
import type { SyncStatusBoard } from './SyncStatusBoard.js';
import { SyncHttpError } from './syncErrors.js';
import type { SyncTransport } from './SyncTransport.js';

/**
 * Pulls every page after the persisted cursor until the server says there is no more, running a
 * due resync first (and again whenever an answer calls for one). The next page is requested
 * while the current one is merged, and `status.progress` tells how far the pull got.
 */
export class PullLoop {
  readonly #t: SyncTransport;
  readonly #position: SyncPosition;
  readonly #board: SyncStatusBoard;
  readonly #pullLimit: number | undefined;

  constructor(
    t: SyncTransport,
    position: SyncPosition,
    board: SyncStatusBoard,
    pullLimit: number | undefined,
  ) {
    this.#t = t;
    this.#position = position;
    this.#board = board;
    this.#pullLimit = pullLimit;
  }

  async pullAll(signal: AbortSignal): Promise<void> {
    const pos = this.#position;
    const start = await pos.cursor();
    let received = 0;
    this.#board.set({ pulling: true, progress: { docs: 0, pages: 0, fraction: pos.fraction(start, start) } });
    /** The next page, requested while this one is merged and stored (used if the cursor matches). */
    let ahead: { since: number; page: Promise<Delta> } | undefined;
    try {
      for (let pages = 0; pages < 1_000_000; pages++) {
        if (pos.resyncDue) await pos.runResync(signal);
        const since = await pos.cursor();
        const request = ahead?.since === since ? ahead.page : this.#t.pull(since, this.#pullLimit, signal);
        ahead = undefined;
        let d: Delta;
        try {
          d = await request;
        } catch (e) {
          if (!(e instanceof SyncHttpError && e.code === 'history_gone')) throw e;
          pos.needResync('replace');
          continue;
        }
        if (pos.resyncDue) continue; // this answer came from another history
        if (d.more) {
          const page = this.#t.pull(d.cursor, this.#pullLimit, signal);
          page.catch(() => undefined); // awaited (and its error thrown) only if used
          ahead = { since: d.cursor, page };
        }
        await pos.apply(d, signal, 'GET /v1/pull');
        received += d.docs.length;
        const fraction = d.more ? pos.fraction(start, d.cursor) : 1;
        this.#board.set({ progress: { docs: received, pages: pages + 1, fraction } });
        if (!d.more) break;
      }
      if (pos.resyncDue) await pos.runResync(signal);
      await pos.adoptServerEpoch();
    } finally {
      this.#board.set({ pulling: false, progress: undefined });
    }
  }
}
