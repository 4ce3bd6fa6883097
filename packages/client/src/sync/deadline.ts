/** A signal that aborts when the caller's signal does or when the deadline passes. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the deadline (not the caller) aborted the signal. */
  readonly expired: boolean;
  /** Cancels the timer (call when the request and its body are done). */
  clear(): void;
}

/**
 * Combines the caller's signal (sync stopped, database closing) with a per-request timeout.
 *
 * Why not `AbortSignal.any([s, AbortSignal.timeout(ms)])`: the request must know *which* one fired
 * (a timeout is a network failure to retry; a stop is not), and the timer must be cleared as soon
 * as the request is done, not left to the garbage collector: a half-open socket never answers, so
 * without a deadline a push holds the sync loop for as long as the platform likes (Node: 300 s,
 * a browser: possibly forever).
 */
export function deadline(outer: AbortSignal | undefined, ms: number): Deadline {
  const ctrl = new AbortController();
  let expired = false;
  const onOuter = (): void => ctrl.abort(outer?.reason);
  if (outer?.aborted) ctrl.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  const timer = setTimeout(() => {
    expired = true;
    ctrl.abort(new Error(`no answer within ${ms} ms`));
  }, ms);
  return {
    signal: ctrl.signal,
    get expired() {
      return expired;
    },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** Thrown when a request was cancelled because sync stopped or the database closed. */
export class SyncAbortedError extends Error {
  constructor() {
    super('sync stopped');
    this.name = 'SyncAbortedError';
  }
}
