import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { ChangeLog } from '../../src/change/changeLog.js';
import { createChange } from '../../src/change/createChange.js';

describe('ChangeLog', () => {
  it('answers "all changes since version V" by arrival, ignoring duplicates', () => {
    let now = 1_764_000_000_000;
    const clock = new HybridLogicalClock({ replica: 'anna', now: () => now });
    const mk = (docId: string) =>
      createChange({
        clock,
        type: WorkOrder,
        doc: undefined,
        docId,
        intents: [{ op: 'set', path: ['title'], value: docId }],
      });
    const late = mk('a'); // made first, arrives last: an old stamp must not be skipped
    now += 10;
    const b = mk('b');
    const c = mk('c');
    const log = new ChangeLog();
    expect(log.append(b)).toBe(1);
    expect(log.append(c)).toBe(2);
    const seenByPeer = log.version;
    expect(log.append(late)).toBe(3);
    expect(log.append(b)).toBeUndefined();
    expect(log.since(seenByPeer)).toEqual([late]);
    expect(log.since(0, 'c')).toEqual([c]);
    expect(log.versionOf(late.id)).toBe(3);
    expect(log.has(c.id)).toBe(true);
  });
});
