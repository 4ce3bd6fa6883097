import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/sync/backoff.js';

describe('Backoff (full jitter, as docs/protocol.md states)', () => {
  it('draws each delay uniformly from [0, cap], the cap doubling from initialMs up to maxMs', () => {
    const draws = (r: number) => {
      const b = new Backoff({ initialMs: 500, maxMs: 30_000 }, () => r);
      return Array.from({ length: 9 }, () => b.next());
    };
    // random() = 0 gives no wait at all (equal jitter would wait cap/2): the full range is used.
    expect(draws(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(draws(0.5)).toEqual([250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
    expect(draws(0.999_999)).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('reset() starts again from initialMs', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
    expect([b.next(), b.next(), b.next()]).toEqual([50, 100, 200]);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(50);
  });
});
