import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactTombstones, List, Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

type Edit = { ins: boolean; at: number; text: string; len: number };
const edit = fc.record({
  ins: fc.boolean(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 1, maxLength: 4 }),
  len: fc.integer({ min: 1, max: 4 }),
});
const edits = fc.array(edit, { maxLength: 12 });

function apply(t: Text, es: Edit[]): void {
  for (const e of es) {
    const n = t.length;
    if (e.ins || n === 0) t.insert(Math.floor(e.at * (n + 1)) % (n + 1), e.text);
    else {
      const at = Math.floor(e.at * n) % n;
      t.delete(at, Math.min(e.len, n - at));
    }
  }
}

/** Two or three writers who edit concurrently and sync now and then: a history with tombstones. */
function history(rounds: Edit[][]): Text {
  const reps = [new Text('a'), new Text('b'), new Text('c')];
  rounds.forEach((es, i) => {
    const r = reps[i % 3] as Text;
    apply(r, es);
    if (i % 2 === 1) for (const x of reps) for (const y of reps) if (x !== y) x.merge(y);
  });
  const out = new Text('o');
  for (const r of reps) out.merge(r);
  return out;
}

const copy = (t: Text, id: string): Text => Text.decode(t.encode(), id);
const state = (t: Text): [string, Record<string, number>] => [t.toString(), t.version];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const rounds = fc.array(edits, { minLength: 1, maxLength: 6 });

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

  it('an edit naming a compacted tombstone lands where its author put it and converges', () => {
    fc.assert(
      fc.property(rounds, edits, (rs, late) => {
        // The author keeps the tombstones (a device away past the horizon); the server compacted.
        const author = copy(history(rs), 'late');
        const server = compactTombstones(copy(author, 's'));
        const v = author.version;
        apply(author, late);
        const update = author.encodeSince(v);
        server.applyUpdate(update);
        expect(server.toString()).toBe(author.toString());
        expect(server.version).toEqual(author.version);
        // a device that resynced in full from the server applies the same edit itself first
        const resynced = copy(compactTombstones(copy(history(rs), 's')), 'late2');
        resynced.applyUpdate(update);
        expect(state(resynced)).toEqual(state(server));
      }),
      fcParams('orphan origins', 300),
    );
  });

  it('two late authors at once: every compacted replica converges, whatever the order', () => {
    fc.assert(
      fc.property(rounds, edits, edits, (rs, e1, e2) => {
        const h = history(rs);
        const p = copy(h, 'p');
        const q = copy(h, 'q');
        const v = h.version;
        apply(p, e1);
        apply(q, e2);
        const up = p.encodeSince(v);
        const uq = q.encodeSince(v);
        const x = compactTombstones(copy(h, 'x'));
        x.applyUpdate(up);
        x.applyUpdate(uq);
        const y = compactTombstones(copy(h, 'y'));
        y.applyUpdate(up);
        y.applyUpdate(uq);
        const text = x.toString();
        expect(y.toString()).toBe(text);
        // nothing is lost: every character either author kept is there
        expect(text.length).toBeGreaterThanOrEqual(Math.max(p.length, q.length) - h.length);
        const want: Record<string, number> = { ...p.version };
        for (const [k, n] of Object.entries(q.version)) want[k] = Math.max(want[k] ?? 0, n);
        expect(x.version).toEqual(want);
      }),
      fcParams('orphan origins, two authors', 200),
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
});
