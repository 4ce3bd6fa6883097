import { afterEach, describe, expect, it, vi } from 'vitest';
import { later } from '../../src/sync/later.js';

describe('later', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs a zero delay on setImmediate where it exists, not on a (≥ 1 ms in Node) timer', async () => {
    const immediate = vi.spyOn(globalThis, 'setImmediate');
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    const ran = new Promise<string>((resolve) => later(() => resolve('ran'), 0));
    expect(immediate).toHaveBeenCalledTimes(1);
    expect(timeout).not.toHaveBeenCalled();
    await expect(ran).resolves.toBe('ran');
  });

  it('uses a timer for a positive delay', async () => {
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    const ran = new Promise<string>((resolve) => later(() => resolve('ran'), 5));
    expect(timeout).toHaveBeenCalledWith(expect.any(Function), 5);
    await expect(ran).resolves.toBe('ran');
  });

  it('cancels both kinds before they run', async () => {
    const fn = vi.fn();
    later(fn, 0)();
    later(fn, 1)();
    await new Promise((r) => setTimeout(r, 20));
    expect(fn).not.toHaveBeenCalled();
  });
});
