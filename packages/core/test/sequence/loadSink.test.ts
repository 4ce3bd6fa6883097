import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { crc32 } from '../../src/sequence/crc32.js';
import { Text } from '../../src/sequence/index.js';

// Loading into an empty replica streams operations through one long-lived sink (see
// loadSink.ts). Each load must start from a clean sink: its agent map and its "changed" flag
// belong to that load only, and a load that fails must give the sink back.

function twoWriters(): Text {
  const x = new Text('x');
  x.insert(0, 'hello');
  const y = Text.decode(x.encode(), 'y');
  y.insert(5, ' world');
  x.applyUpdate(y.encodeSince(x.version));
  x.delete(0, 1);
  return x;
}

/** `bytes` without its last payload byte, resealed so that only the structure is wrong. */
function cutAndReseal(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - 1);
  out.set(bytes.subarray(0, bytes.length - 5));
  const sum = crc32(out, out.length - 4);
  for (let i = 0; i < 4; i++) out[out.length - 4 + i] = (sum >>> (8 * i)) & 0xff;
  return out;
}

describe('streaming load into an empty replica', () => {
  it('each load maps its own agents and reports its own changes', () => {
    const a = Text.decode(twoWriters().encode(), 'r1');
    expect(a.toString()).toBe('ello world');
    // Different agents in a different order: a stale agent map would misplace them.
    const p = new Text('p');
    p.insert(0, 'abc');
    const q = Text.decode(p.encode(), 'q');
    q.insert(1, 'Z');
    const b = new Text('r2');
    let changes = 0;
    b.onChange(() => changes++);
    b.applyUpdate(q.encode());
    expect(b.toString()).toBe('aZbc');
    expect(b.version).toEqual(q.version);
    // Loading an update with nothing in it changes nothing, whatever the previous load did.
    const c = new Text('r3');
    let cChanges = 0;
    c.onChange(() => cChanges++);
    c.applyUpdate(new Text('empty').encode());
    expect(changes).toBe(1);
    expect(cChanges).toBe(0);
    expect(c.toString()).toBe('');
  });

  it('a load that fails part-way leaves the replica empty and the next load intact', () => {
    const good = twoWriters().encode();
    const t = new Text('r');
    expect(() => t.applyUpdate(cutAndReseal(good))).toThrow(DecodeError);
    expect(t.toString()).toBe('');
    expect(t.version).toEqual({});
    t.applyUpdate(good);
    expect(t.toString()).toBe('ello world');
    expect(Text.decode(t.encode()).toString()).toBe('ello world');
  });
});
