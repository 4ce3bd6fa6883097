import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactTombstones, List, Text } from '../../src/sequence/index.js';
import { DecodeError } from '../../src/errors.js';
import { crc32 } from '../../src/sequence/crc32.js';
import { fcParams } from '../../../../testing/fcSeed.js';
import { apply, copy, edits, hex, history, rounds, state } from './editHistory.js';

describe('compacting sequence tombstones', () => {
  it('keeps the visible text and the version, drops the tombstones, round-trips and is idempotent', () => {
    fc.assert(
      fc.property(rounds, (rs) => {
        const t = history(rs);
        const before = hex(t.encode());
        const c = compactTombstones(t);
        expect(state(c)).toEqual(state(t));
        expect(hex(t.encode())).toBe(before); // pure
        expect(c.replicaId).toBe(t.replicaId);
        // encode -> decode round-trips, and compacting again changes nothing
        const d = Text.decode(c.encode(), 'd');
        expect(state(d)).toEqual(state(c));
        expect(hex(d.encode())).toBe(hex(c.encode()));
        expect(hex(compactTombstones(c).encode())).toBe(hex(c.encode()));
        // The uncompacted snapshot applied to it brings no tombstone back.
        c.applyUpdate(t.encode());
        expect(hex(c.encode())).toBe(hex(d.encode()));
      }),
      fcParams('compaction keeps content', 300),
    );
  });

  it('is deterministic: replicas that merged in different orders compact to the same bytes', () => {
    fc.assert(
      fc.property(rounds, (rs) => {
        const t = history(rs);
        const other = new Text('o');
        // the same operations, merged from a differently ordered copy
        other.merge(copy(t, 'x'));
        expect(hex(compactTombstones(other).encode())).toBe(hex(compactTombstones(t).encode()));
      }),
      fcParams('compaction is deterministic', 200),
    );
  });

  it('compacted replicas that edit concurrently converge; merge stays a join', () => {
    fc.assert(
      fc.property(rounds, edits, edits, edits, (rs, ea, eb, ec) => {
        const base = compactTombstones(history(rs));
        const [a, b, c] = ['a', 'b', 'c'].map((id) => copy(base, id)) as [Text, Text, Text];
        apply(a, ea);
        apply(b, eb);
        apply(c, ec);
        const ab = copy(a, 'z');
        ab.merge(b);
        const ba = copy(b, 'z');
        ba.merge(a);
        expect(state(ab)).toEqual(state(ba));
        const abc = copy(ab, 'z');
        abc.merge(c);
        const bc = copy(b, 'z');
        bc.merge(c);
        const a_bc = copy(a, 'z');
        a_bc.merge(bc);
        expect(state(abc)).toEqual(state(a_bc));
        const again = copy(abc, 'z');
        again.merge(abc);
        again.merge(a);
        expect(state(again)).toEqual(state(abc));
        // compacting after the merge keeps converging
        expect(state(compactTombstones(abc))).toEqual(state(a_bc));
      }),
      fcParams('compacted replicas converge', 300),
    );
  });

  it('a compacted side and one that kept its tombstones: merge is commutative and idempotent', () => {
    fc.assert(
      fc.property(rounds, edits, edits, (rs, ea, eb) => {
        const h = history(rs);
        const a = compactTombstones(copy(h, 'a'));
        const b = copy(h, 'b');
        apply(a, ea);
        apply(b, eb);
        const ab = copy(a, 'z');
        ab.merge(b);
        const ba = copy(b, 'z');
        ba.merge(a);
        expect(state(ba)).toEqual(state(ab));
        ba.merge(a);
        ba.merge(b);
        expect(state(ba)).toEqual(state(ab));
      }),
      fcParams('merge with a compacted side', 300),
    );
  });

  it('compacts lists, moves included', () => {
    const l = new List<number>('a');
    l.push(1, 2, 3, 4, 5, 6);
    l.delete(1, 2);
    l.move(0, 3);
    const m = new List<number>('b');
    m.merge(l);
    m.move(3, 0);
    m.delete(1, 1);
    l.merge(m);
    const c = compactTombstones(l);
    expect(c.toArray()).toEqual(l.toArray());
    expect(c.version).toEqual(l.version);
    expect(c.encode().length).toBeLessThan(l.encode().length);
    const d = List.decode<number>(c.encode(), 'd');
    expect(d.toArray()).toEqual(l.toArray());
    d.move(0, 2);
    c.merge(d);
    expect(c.toArray()).toEqual(d.toArray());
  });

  it('a text with many deletes shrinks to about its visible size', () => {
    const t = new Text('a');
    // a note rewritten again and again: typed, corrected word by word, cleared
    for (let i = 0; i < 300; i++) {
      t.insert(t.length, `line ${i} of a note `);
      t.delete(Math.floor(t.length / 2), 4);
      if (t.length > 60) t.delete(0, t.length - 20);
    }
    const c = compactTombstones(t);
    expect(c.toString()).toBe(t.toString());
    expect(c.encode().length).toBeLessThan(t.encode().length / 10);
  });

  it('a compacted snapshot carries its base (flag 2 after the full-snapshot flag); bad flags are refused', () => {
    const t = new Text('a');
    t.insert(0, 'abcdef');
    t.delete(1, 3);
    const bytes = compactTombstones(t).encode();
    expect(bytes[3]).toBe(3); // F_FULL | F_BASE
    expect(t.encode()[3]).toBe(1);
    // Flag 2 without 1 (a delta with a base) does not exist.
    const bad = bytes.slice();
    bad[3] = 2;
    const sum = crc32(bad, bad.length - 4);
    for (let i = 0; i < 4; i++) bad[bad.length - 4 + i] = (sum >>> (8 * i)) & 0xff;
    const r = new Text('r');
    r.insert(0, 'x');
    expect(() => r.applyUpdate(bad)).toThrow(DecodeError);
    expect(r.toString()).toBe('x');
    // A delta from a compacted replica carries no base; a merge still takes it in.
    const c = compactTombstones(t);
    const v = c.version;
    c.insert(0, 'z');
    expect(c.encodeSince(v)[3]).toBe(0);
  });
});
