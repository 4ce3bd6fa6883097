import { describe, expect, it } from 'vitest';
import { DecodeError, FieldsyncError, ValidationError } from '../../src/errors.js';
import { crc32 } from '../../src/sequence/crc32.js';
import { compactTombstones, List, SequenceRangeError, Text } from '../../src/sequence/index.js';

function sample(): Text {
  const t = new Text('a');
  t.insert(0, 'hello wonderful world');
  t.delete(6, 10);
  t.insert(6, 'big ');
  return t;
}

function snapshot(t: Text): unknown {
  return { s: t.toString(), v: t.version, bytes: Array.from(t.encode()) };
}

/** Replaces the trailing CRC so the corruption reaches the structural checks. */
function reseal(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const sum = crc32(out, out.length - 4);
  for (let i = 0; i < 4; i++) out[out.length - 4 + i] = (sum >>> (8 * i)) & 0xff;
  return out;
}

describe('bad input leaves the replica unchanged', () => {
  it('out-of-range indices and negative lengths throw SequenceRangeError', () => {
    const t = sample();
    const before = snapshot(t);
    const n = t.length;
    const bad: Array<() => void> = [
      () => t.insert(-1, 'x'),
      () => t.insert(n + 1, 'x'),
      () => t.insert(0.5, 'x'),
      () => t.insert(Number.NaN, 'x'),
      () => t.delete(-1, 1),
      () => t.delete(0, -1),
      () => t.delete(n, 1),
      () => t.delete(0, n + 1),
      () => t.delete(1, 1.5),
    ];
    for (const f of bad) {
      expect(f).toThrow(SequenceRangeError);
      expect(f).toThrow(FieldsyncError);
    }
    expect(snapshot(t)).toEqual(before);
    expect(() => t.insert(0, 5 as unknown as string)).toThrow(ValidationError);
    expect(() => new Text('bad id!')).toThrow(ValidationError);
    const l = new List<number>('l');
    l.insert(0, 1, 2, 3);
    expect(() => l.move(3, 0)).toThrow(SequenceRangeError);
    expect(() => l.move(0, 3)).toThrow(SequenceRangeError);
    expect(() => l.insert(4, 9)).toThrow(SequenceRangeError);
    expect(l.toArray()).toEqual([1, 2, 3]);
  });

  it('every truncation and every single-byte corruption is a DecodeError', () => {
    const src = sample();
    const bytes = src.encode();
    const t = new Text('b');
    t.insert(0, 'mine');
    const before = snapshot(t);
    for (let end = 0; end < bytes.length; end++) {
      expect(() => t.applyUpdate(bytes.subarray(0, end))).toThrow(DecodeError);
      expect(() => Text.decode(bytes.subarray(0, end))).toThrow(DecodeError);
    }
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x5a;
      expect(() => t.applyUpdate(bad)).toThrow(DecodeError);
    }
    expect(() => t.applyUpdate(new List('x').encode())).toThrow(DecodeError);
    expect(() => t.applyUpdate('nope' as unknown as Uint8Array)).toThrow(DecodeError);
    expect(snapshot(t)).toEqual(before);
  });

  it('what a long trailing gap leaves compacts to bytes that decode again (fuzz seed 2106507682)', () => {
    // A compacted snapshot of "x" closes replica r0 with a gap of deletes: 0 ids here.
    const src = new Text('r0');
    src.insert(0, 'x');
    const bytes = compactTombstones(src).encode();
    const payload = Array.from(bytes.subarray(0, bytes.length - 4));
    // gap 0, no waiting operations, no tombstones, base 1
    expect(payload.slice(-4)).toEqual([0, 0, 0, 1]);
    const withGap = (gap: number[]): Uint8Array =>
      reseal(Uint8Array.from([...payload.slice(0, -4), ...gap, 0, 0, 1, 0, 0, 0, 0]));
    // A gap of 2^31 deletes: accepted, so r0's next id is 2^31 + 1.
    const t = Text.decode(withGap([0x80, 0x80, 0x80, 0x80, 0x08]), 'me');
    expect(t.version).toEqual({ r0: 2 ** 31 + 1 });
    t.delete(0, 1);
    // Compacted, all of r0's ids are one gap of 2^31 + 1, which the decoder refused.
    const again = compactTombstones(t);
    expect(again.version).toEqual(t.version);
    expect(Text.decode(again.encode()).version).toEqual(t.version);
    // Ids stay below 2^48 (the bound under which every re-encoding is exact).
    expect(() => Text.decode(withGap([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]))).toThrow(DecodeError);
  });
});
