import { describe, expect, it } from 'vitest';
import { formatStamp } from '../../src/clock/stamp.js';
import { logAppend, logEntries, mergeLog } from '../../src/crdt/log.js';
import { lwwSuperseded, lwwWrite, MAX_SUPERSEDED, mergeLww } from '../../src/crdt/lww.js';
import { mergeSet, setDelta, setTags, setValues } from '../../src/crdt/orSet.js';
import { counterInc, counterValue, emptyCounter, mergeCounter } from '../../src/crdt/pnCounter.js';

const T = 1_764_000_000_000;
const st = (ms: number, replica: string, counter = 0): string => formatStamp(T + ms, counter, replica);

describe('what each field CRDT means', () => {
  it('lww: the highest stamp wins; unseen concurrent values are kept, newest first, at most MAX_SUPERSEDED', () => {
    let r = lwwWrite('v0', st(0, 'a'));
    for (let i = 1; i <= 12; i++) r = mergeLww(r, lwwWrite(`v${i}`, st(i, `r${i}`), st(0, 'a'))); // all saw only v0
    expect(r.v).toBe('v12');
    const sup = lwwSuperseded(r);
    expect(sup).toHaveLength(MAX_SUPERSEDED);
    expect(sup.map((s) => s.value)).toEqual(['v11', 'v10', 'v9', 'v8', 'v7', 'v6', 'v5', 'v4']);
    expect(sup[0]?.replica).toBe('r11');
    // A write that saw the winner resolves the conflict.
    r = mergeLww(r, lwwWrite('final', st(20, 'a'), r.s));
    expect(lwwSuperseded(r)).toEqual([]);
    // A sequential overwrite is not a conflict.
    expect(lwwSuperseded(mergeLww(lwwWrite(1, st(0, 'a')), lwwWrite(2, st(1, 'a'), st(0, 'a'))))).toEqual([]);
  });

  it('log: entries from every replica, ordered by stamp, none lost', () => {
    const a = logAppend(['Need replacement part.'], st(5, 'ben'));
    const b = logAppend(['Arrived on site.', 'Pump off.'], st(3, 'anna'));
    expect(logEntries(mergeLog(a, b)).map((e) => e.value)).toEqual([
      'Arrived on site.',
      'Pump off.',
      'Need replacement part.',
    ]);
  });

  it('set: add wins over a concurrent remove; an observed remove removes', () => {
    const added = setDelta(['urgent'], [], st(1, 'anna'));
    const tags = [...setTags(added).values()].flatMap((e) => e.tags);
    const annaRemoves = setDelta([], tags, st(5, 'anna'));
    const benAddsAgain = setDelta(['urgent'], [], st(4, 'ben')); // concurrent with the remove
    expect(setValues(mergeSet(mergeSet(added, annaRemoves), benAddsAgain))).toEqual(['urgent']);
    expect(setValues(mergeSet(added, annaRemoves))).toEqual([]);
  });

  it('counter: concurrent increments and decrements all count, re-delivery does not', () => {
    const anna = counterInc(emptyCounter(), 'anna', 2);
    const ben = counterInc(emptyCounter(), 'ben', -1);
    const merged = mergeCounter(mergeCounter(anna, ben), anna);
    expect(counterValue(merged)).toBe(1);
  });
});
