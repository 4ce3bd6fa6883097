import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from '../../../../../testing/fcSeed.js';
import { Throttle, type ThrottleClock } from './throttle.js';

/** A clock the test moves by hand; due timers run as it passes them. */
class ManualClock implements ThrottleClock {
  time = 0;
  #timers = new Map<number, { at: number; run: () => void }>();
  #next = 0;
  now(): number {
    return this.time;
  }
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, run });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].run();
    }
    this.time = until;
  }
  get pending(): number {
    return this.#timers.size;
  }
}

const INTERVAL = 100;
const step = fc.record({ wait: fc.integer({ min: 0, max: 250 }), busy: fc.boolean() });

describe('Throttle', () => {
  it('passes on at most one value per interval while busy, never holds back the last, and the first at once', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const clock = new ManualClock();
        const shown: Array<{ value: number; at: number }> = [];
        const t = new Throttle<number>((value) => shown.push({ value, at: clock.time }), INTERVAL, clock);
        steps.forEach(({ wait, busy }, i) => {
          clock.advance(wait);
          t.push(i, busy);
          // Not busy: shown at once. The first push is always shown at once.
          if (!busy || i === 0) expect(shown.at(-1)).toEqual({ value: i, at: clock.time });
        });
        // Busy pushes are spaced: two shown values are an interval apart unless the later one
        // was pushed while not busy.
        for (let k = 1; k < shown.length; k++) {
          const { value, at } = shown[k] as { value: number; at: number };
          if ((steps[value] as { busy: boolean }).busy)
            expect(at - (shown[k - 1] as { at: number }).at).toBeGreaterThanOrEqual(INTERVAL);
        }
        // Whatever happened last, it shows within one interval, and nothing stays pending.
        clock.advance(INTERVAL);
        expect(shown.at(-1)?.value).toBe(steps.length - 1);
        expect(clock.pending).toBe(0);
      }),
      fcParams('app throttle', 300),
    );
  });

  it('shows the latest value when the busy period ends, without waiting for the interval', () => {
    const clock = new ManualClock();
    const shown: string[] = [];
    const t = new Throttle<string>((v) => shown.push(v), 1000, clock);
    t.push('page 1', true);
    clock.advance(10);
    t.push('page 2', true);
    clock.advance(10);
    t.push('page 3', true);
    expect(shown).toEqual(['page 1']);
    t.push('page 3', false);
    expect(shown).toEqual(['page 1', 'page 3']);
    clock.advance(2000);
    expect(shown).toEqual(['page 1', 'page 3']);
  });

  it('drops a pending value when disposed', () => {
    const clock = new ManualClock();
    const shown: number[] = [];
    const t = new Throttle<number>((v) => shown.push(v), 50, clock);
    t.push(1, true);
    t.push(2, true);
    t.dispose();
    clock.advance(100);
    expect(shown).toEqual([1]);
  });
});
