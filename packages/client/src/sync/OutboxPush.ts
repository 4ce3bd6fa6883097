import type { SyncHost } from './SyncHost.js';
import type { SyncStatusBoard } from './SyncStatusBoard.js';
import { SyncHttpError } from './syncErrors.js';
import type { SyncTransport } from './SyncTransport.js';

/** Rejection codes a fresh stamp cures: the change is re-issued, not set aside (PROTOCOL-11). */
const REISSUE_CODES = new Set(['clock_drift', 'id_conflict', 'replica_taken']);

const idOf = (c: unknown): string => String((c as { id?: unknown }).id);

/**
 * Empties the outbox to the server: local type definitions first, then the queued changes in
 * batches. A change the server refuses is set aside (never blocks the queue behind it); a whole
 * batch refused is split until the culprit is alone; a stamp problem is cured by re-issuing the
 * change under a fresh stamp, once.
 */
export class OutboxPush {
  readonly #host: SyncHost;
  readonly #t: SyncTransport;
  readonly #board: SyncStatusBoard;
  /** Changes per push now: halved when the server refuses a whole push, grown back after one it took. */
  #batchSize: number;
  readonly #maxBatch: number;

  constructor(host: SyncHost, t: SyncTransport, board: SyncStatusBoard, batchSize: number | undefined) {
    this.#host = host;
    this.#t = t;
    this.#board = board;
    this.#maxBatch = this.#batchSize = batchSize ?? 500;
  }

  async pushAll(signal: AbortSignal): Promise<void> {
    this.#board.set({ pushing: true });
    try {
      await this.#pushTypes(signal);
      const reissued = new Set<string>();
      for (;;) {
        const batch = await this.#host.outbox.peek(this.#batchSize);
        if (batch.length === 0) break;
        await this.#pushBatch(batch, signal, reissued);
      }
    } finally {
      this.#board.set({ pushing: false });
      await this.#board.count(this.#host.outbox);
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
    // The request fit: grow back toward the configured batch (a refusal may have been one
    // batch's bad luck, e.g. a push touching many large documents).
    this.#batchSize = Math.min(this.#maxBatch, this.#batchSize * 2);
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
}
