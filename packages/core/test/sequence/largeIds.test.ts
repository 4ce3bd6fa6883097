import { describe, expect, it } from 'vitest';
import { textCodec } from '../../src/sequence/contentCodec.js';
import { encodeUpdate } from '../../src/sequence/encodeUpdate.js';
import { Text } from '../../src/sequence/index.js';
import type { UpdateOp } from '../../src/sequence/updateOps.js';

// The operation log stores ids in 32-bit columns until a larger id arrives; ids are safe
// integers in the format, so a replica past 2^32 ids must keep working exactly.
const HALF = 2 ** 31;

/** Agent `far` has consumed 2^32 + 5 ids with deletes (claims) and then inserted "abc". */
function farUpdate(): Uint8Array {
  const ops: UpdateOp<string>[] = [
    { kind: 2, agent: 0, seq: 0, len: HALF },
    { kind: 2, agent: 0, seq: HALF, len: HALF },
    { kind: 2, agent: 0, seq: 2 * HALF, len: 5 },
    {
      kind: 0,
      agent: 0,
      seq: 2 * HALF + 5,
      len: 3,
      oLa: -1,
      oLs: 0,
      oRa: -1,
      oRs: 0,
      parts: [{ len: 3, content: 'abc' }],
      move: undefined,
    },
  ];
  return encodeUpdate({ ops, pending: [], tombstones: [], ends: null }, ['far'], textCodec);
}

describe('ids beyond 32 bits', () => {
  it('apply, edit around, delete and sync items whose ids exceed 2^32', () => {
    const a = new Text('a');
    a.insert(0, 'xy');
    a.applyUpdate(farUpdate());
    expect(a.version).toEqual({ a: 2, far: 2 * HALF + 8 });
    const before = a.version;
    a.insert(a.toString().indexOf('b'), 'Q');
    a.delete(a.toString().indexOf('c'), 1);
    const b = new Text('b');
    b.applyUpdate(a.encode());
    expect(b.toString()).toBe(a.toString());
    expect(b.version).toEqual(a.version);
    const c = Text.decode(a.encodeSince({}), 'c');
    c.applyUpdate(a.encodeSince(before));
    expect(c.toString()).toBe(a.toString());
    // A remote delete of an id beyond 2^32 travels in a delta and lands.
    const v = b.version;
    b.delete(b.toString().indexOf('a'), 1);
    a.applyUpdate(b.encodeSince(v));
    expect(a.toString()).toBe(b.toString());
    expect(a.toString().includes('a')).toBe(false);
  });
});
