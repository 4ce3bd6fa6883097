/**
 * Runs sync steps (a push, a pull, one event's merge) one at a time, in the order they were
 * asked for. Why: the cursor may only move forward over data that was applied, so a pull page
 * and an event must never merge concurrently; a failed step does not stop the ones after it.
 */
export class SerialSteps {
  #tail: Promise<unknown>;

  /** `first` runs before every step (loading the persisted sync state); its failure is ignored. */
  constructor(first: Promise<unknown>) {
    this.#tail = first.catch(() => undefined);
  }

  /** Runs `fn` after every earlier step, never concurrently with one. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every step asked for so far has settled (never rejects). */
  idle(): Promise<unknown> {
    return this.#tail;
  }
}
