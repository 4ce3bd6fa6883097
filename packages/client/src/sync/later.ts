/** Cancels work scheduled by {@link later}; calling it after the work ran does nothing. */
export type Cancel = () => void;

interface ImmediateHost {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
}

/**
 * Runs `fn` after `delayMs`, or — for 0 — as soon as the current task, its microtasks and the
 * pending I/O are done. Node's `setTimeout(fn, 0)` waits at least 1 ms, which a push scheduled
 * right after a write would add to every remote reader's latency; `setImmediate` does not, and
 * still coalesces all writes made in the same task into one push. Browsers without
 * `setImmediate` get `setTimeout(fn, 0)`.
 */
export function later(fn: () => void, delayMs: number): Cancel {
  const host = globalThis as ImmediateHost;
  const { setImmediate: immediate, clearImmediate: clear } = host;
  if (delayMs <= 0 && immediate && clear) {
    const handle = immediate.call(globalThis, fn);
    return () => clear.call(globalThis, handle);
  }
  const timer = setTimeout(fn, delayMs);
  return () => clearTimeout(timer);
}
