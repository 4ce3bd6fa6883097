import { ProtocolError, parseSseEvent, type ReadyEvent, type SseMessage } from '@fieldsync/core';
import type { Backoff } from './backoff.js';
import { inAnswerTo } from './protocolFailure.js';
import type { SerialSteps } from './serialSteps.js';
import type { SyncPosition } from './SyncPosition.js';
import type { SyncStatusBoard } from './SyncStatusBoard.js';
import type { SyncTransport } from './SyncTransport.js';

/** What the event stream works with, besides the transport. */
export interface EventStreamParts {
  t: SyncTransport;
  position: SyncPosition;
  board: SyncStatusBoard;
  backoff: Backoff;
  steps: SerialSteps;
  /** The signal of the current sync session (replaced on stop and when the network returns). */
  life: () => AbortSignal;
}

/**
 * The realtime stream (`GET /v1/events`) from the persisted cursor: each `sync` event is merged
 * as one sync step, `ready` means live. Owns the heartbeat the watchdog measures silence against:
 * learned from the server's `ready` event or the gap between two of its pings.
 */
export class EventStream {
  readonly #p: EventStreamParts;
  #heartbeatMs: number;
  #open: AbortController | undefined;

  constructor(parts: EventStreamParts, heartbeatMs: number) {
    this.#p = parts;
    this.#heartbeatMs = heartbeatMs;
  }

  /** Closes the open stream, if any (`listen` then returns). */
  abort(): void {
    this.#open?.abort();
  }

  /**
   * Listens until the stream ends or is closed (resolves) or fails (rejects: a network failure,
   * an error status, a malformed event or a merge that failed — nothing after it is applied).
   */
  async listen(): Promise<void> {
    const { t, position, board, steps } = this.#p;
    const ctrl = new AbortController();
    this.#open = ctrl;
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
      const signal = this.#p.life();
      const delta = ev.delta;
      // Events received before a failure came to light are already queued behind it: each
      // checks again when its turn comes, and a failure is recorded before the next one runs.
      void steps.run(async () => {
        if (failure !== undefined) return;
        try {
          await position.apply(delta, signal, 'GET /v1/events');
        } catch (e) {
          failure ??= e;
          ctrl.abort();
          return;
        }
        board.set({ lastSyncedAt: Date.now() });
      });
    };
    // Learn the server's heartbeat from the gap between two pings of this stream.
    let lastPing: number | undefined;
    const onComment = (text: string): void => {
      if (text !== 'ping') return;
      const now = Date.now();
      if (lastPing !== undefined) this.#heartbeatMs = Math.max(50, now - lastPing);
      lastPing = now;
    };
    const cursor = await position.cursor();
    try {
      await t.events(cursor, onMessage, ctrl.signal, () => this.#idleLimit(), onComment);
    } finally {
      board.set({ live: false });
      if (this.#open === ctrl) this.#open = undefined;
    }
    await steps.idle();
    if (failure !== undefined) throw failure;
  }

  /** The stream caught up: it is live; learn the server's heartbeat if it states it. */
  #ready(r: ReadyEvent): void {
    if (r.heartbeatMs !== undefined) this.#heartbeatMs = r.heartbeatMs;
    this.#p.backoff.reset();
    this.#p.board.set({
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
}
