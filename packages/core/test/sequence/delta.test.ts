import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';

function bigText(id: string): Text {
  const t = new Text(id);
  for (let i = 0; i < 200; i++) t.insert(Math.floor((t.length * i) / 200), `line ${i} of some text\n`);
  t.delete(10, 50);
  return t;
}

describe('delta updates (encodeSince / applyUpdate)', () => {
  it('the update of one edit is small and brings a peer at the old version up to date', () => {
    const a = bigText('a');
    const b = Text.decode(a.encode(), 'b');
    const before = a.version;
    a.insert(100, 'x');
    const update = a.encodeSince(before);
    expect(update.length).toBeLessThan(40);
    expect(update.length * 50).toBeLessThan(a.encode().length);
    b.applyUpdate(update);
    expect(b.toString()).toBe(a.toString());
    expect(b.version).toEqual(a.version);
  });

  it('a delete travels as a delta too, and an empty delta changes nothing', () => {
    const a = bigText('a');
    const b = Text.decode(a.encode(), 'b');
    const before = a.version;
    a.delete(5, 300);
    const update = a.encodeSince(before);
    expect(update.length * 10).toBeLessThan(a.encode().length);
    b.applyUpdate(update);
    expect(b.toString()).toBe(a.toString());
    const none = a.encodeSince(a.version);
    const snapshot = b.toString();
    b.applyUpdate(none);
    expect(b.toString()).toBe(snapshot);
  });

  it('versions are plain JSON and survive a round trip through JSON', () => {
    const a = bigText('a');
    const b = Text.decode(a.encode(), 'b');
    b.insert(0, 'hi ');
    const v = JSON.parse(JSON.stringify(a.version)) as Record<string, number>;
    a.applyUpdate(b.encodeSince(v));
    expect(a.toString()).toBe(b.toString());
  });

  it('updates may arrive out of order and twice: they wait for their dependencies', () => {
    const a = new Text('a');
    const b = new Text('b');
    const updates: Uint8Array[] = [];
    for (const word of ['one ', 'two ', 'three ']) {
      const v = a.version;
      a.insert(a.length, word);
      if (word === 'two ') a.delete(0, 2);
      updates.push(a.encodeSince(v));
    }
    b.applyUpdate(updates[2]!);
    b.applyUpdate(updates[1]!);
    expect(b.toString()).toBe('');
    b.applyUpdate(updates[2]!);
    b.applyUpdate(updates[0]!);
    expect(b.toString()).toBe(a.toString());
    expect(b.version).toEqual(a.version);
    // what b holds, including what waited, re-encodes to a complete state
    expect(Text.decode(b.encode()).toString()).toBe(a.toString());
  });

  it('a replica restored from a snapshot still serves correct deltas to older peers', () => {
    const a = new Text('a');
    a.insert(0, 'hello brave new world');
    const old = Text.decode(a.encode(), 'old');
    a.delete(6, 6);
    a.insert(0, '>> ');
    const restored = Text.decode(a.encode(), 'r');
    restored.insert(restored.length, '!');
    old.applyUpdate(restored.encodeSince(old.version));
    expect(old.toString()).toBe('>> hello new world!');
    expect(old.version).toEqual(restored.version);
  });

  it('notifies listeners of local and remote changes', () => {
    const a = new Text('a');
    const b = new Text('b');
    const seen: string[] = [];
    const off = b.onChange((origin) => seen.push(origin));
    b.insert(0, 'x');
    a.insert(0, 'y');
    b.merge(a);
    b.merge(a);
    off();
    b.insert(0, 'z');
    expect(seen).toEqual(['local', 'remote']);
  });
});
