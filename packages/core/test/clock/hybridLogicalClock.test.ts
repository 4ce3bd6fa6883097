import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import { ClockDriftError, ValidationError } from '../../src/errors.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { formatStamp, isStamp, MAX_COUNTER, parseStamp } from '../../src/clock/stamp.js';

beforeAll(() => logSeed('clock'));

const T0 = 1_764_000_000_000;

describe('stamps', () => {
  it('format/parse round-trip and string order is (wall, counter, replica) order', () => {
    const parts = fc.tuple(
      fc.integer({ min: 0, max: 36 ** 9 - 1 }),
      fc.integer({ min: 0, max: MAX_COUNTER }),
      fc.constantFrom('a', 'b', 'anna', 'B-1_x'),
    );
    fc.assert(
      fc.property(parts, parts, ([w1, c1, r1], [w2, c2, r2]) => {
        const s1 = formatStamp(w1, c1, r1);
        const s2 = formatStamp(w2, c2, r2);
        expect(parseStamp(s1)).toEqual({ wall: w1, counter: c1, replica: r1 });
        const numeric = w1 - w2 || c1 - c2 || (r1 < r2 ? -1 : r1 > r2 ? 1 : 0);
        expect(Math.sign(s1 < s2 ? -1 : s1 > s2 ? 1 : 0)).toBe(Math.sign(numeric));
      }),
    );
  });

  it('rejects malformed stamps', () => {
    for (const bad of [
      '',
      'x',
      '0000000001:0000:a',
      '00000000A:0000:a',
      '000000001:000:ab',
      '000000001:0000:',
      '000000001:0000:a b',
      42,
      null,
    ]) {
      expect(isStamp(bad)).toBe(false);
    }
    expect(() => parseStamp('nope')).toThrow(ValidationError);
    expect(() => formatStamp(-1, 0, 'a')).toThrow(ValidationError);
  });
});

describe('HybridLogicalClock', () => {
  it('is strictly monotonic even when the wall clock jumps around', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -10_000, max: 10_000 }), { minLength: 1, maxLength: 200 }),
        (jumps) => {
          let now = T0;
          const clock = new HybridLogicalClock({ replica: 'anna', now: () => now });
          let last = '';
          for (const j of jumps) {
            now += j;
            const s = clock.now();
            expect(s > last).toBe(true);
            last = s;
          }
        },
      ),
    );
  });

  it('orders after received stamps, and rejects stamps beyond maxDrift without changing', () => {
    let now = T0;
    const clock = new HybridLogicalClock({ replica: 'anna', now: () => now });
    const remote = formatStamp(T0 + 60_000, 5, 'ben');
    clock.receive(remote);
    expect(clock.now() > remote).toBe(true);
    const before = clock.last;
    const future = formatStamp(T0 + 300_001 + 60_000, 0, 'mallory'); // year-3000 style device
    expect(() => clock.receive(future)).toThrow(ClockDriftError);
    expect(clock.last).toBe(before);
    expect(() => clock.receive('garbage')).toThrow(ValidationError);
    now += 10;
    expect(parseStamp(clock.now()).wall).toBeLessThan(T0 + 300_000);
  });

  it('maxDrift is configurable', () => {
    const clock = new HybridLogicalClock({ replica: 'anna', now: () => T0, maxDrift: 1000 });
    expect(() => clock.receive(formatStamp(T0 + 1001, 0, 'ben'))).toThrow(ClockDriftError);
    clock.receive(formatStamp(T0 + 1000, 0, 'ben'));
  });

  it('handles counter overflow by advancing logical wall time by 1 ms', () => {
    const clock = new HybridLogicalClock({
      replica: 'anna',
      now: () => T0,
      last: formatStamp(T0, MAX_COUNTER - 1, 'anna'),
    });
    expect(parseStamp(clock.now())).toEqual({ wall: T0, counter: MAX_COUNTER, replica: 'anna' });
    expect(parseStamp(clock.now())).toEqual({ wall: T0 + 1, counter: 0, replica: 'anna' });
  });

  it('a stamp equal in wall and counter but from a higher replica id still orders first', () => {
    const clock = new HybridLogicalClock({ replica: 'a', now: () => T0 });
    const remote = formatStamp(T0 + 5, 3, 'zed');
    clock.receive(remote);
    expect(clock.now() > remote).toBe(true);
  });

  it('rejects a bad replica id', () => {
    expect(() => new HybridLogicalClock({ replica: 'no spaces' })).toThrow(ValidationError);
  });
});
