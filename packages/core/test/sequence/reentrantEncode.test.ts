import { describe, expect, it } from 'vitest';
import { List } from '../../src/sequence/index.js';

// A list value's toJSON runs while an update is being encoded (the content block is JSON). If it
// encodes another sequence, that nested encode must not disturb the outer one.
describe('re-entrant encoding', () => {
  it('a value whose toJSON encodes another list leaves the outer delta intact', () => {
    const inner = new List<number>('inner');
    for (let i = 0; i < 40; i++) {
      inner.insert(Math.floor(inner.length / 2), i);
      if (i % 3 === 0) inner.delete(0, 1);
    }
    const innerPeer = new List<number>('innerpeer');
    innerPeer.insert(0, 1, 2, 3);
    inner.applyUpdate(innerPeer.encode());
    let nested = 0;
    const tricky = {
      toJSON(): string {
        nested += inner.encodeSince({ inner: 5 }).length + inner.encode().length;
        return 'tricky';
      },
    };
    const a = new List<unknown>('a');
    for (let i = 0; i < 10; i++) a.insert(a.length, `v${i}`);
    const b = List.decode<unknown>(a.encode(), 'b');
    const v = b.version;
    a.delete(2, 3);
    a.insert(1, 'x', tricky, 'y');
    a.insert(a.length, 'z');
    a.delete(0, 1);
    b.applyUpdate(a.encodeSince(v));
    expect(nested).toBeGreaterThan(0);
    expect(JSON.stringify(b.toArray())).toBe(JSON.stringify(a.toArray()));
    expect(b.version).toEqual(a.version);
  });
});

describe('an encode that throws', () => {
  it('leaves the replica and later encodes intact', () => {
    const a = new List<unknown>('a');
    a.insert(0, 1, 2, 3);
    const v = a.version;
    a.insert(1, 10n);
    expect(() => a.encodeSince(v)).toThrow(TypeError);
    a.delete(1, 1);
    const b = List.decode<unknown>(a.encode(), 'b');
    expect(b.toArray()).toEqual([1, 2, 3]);
    a.insert(3, 4);
    b.applyUpdate(a.encodeSince(b.version));
    expect(b.toArray()).toEqual([1, 2, 3, 4]);
  });
});
