import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compactTombstones, Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';
import { apply, copy, edits, history, rounds, state } from './editHistory.js';

// Inserts that name a compacted tombstone as origin: made by a replica that still held it (a device
// back after the horizon, or one that synced before the server compacted).

describe('inserts naming a compacted origin', () => {
  it('land where their author put them, on the server and on a device resynced from it', () => {
    fc.assert(
      fc.property(rounds, edits, (rs, late) => {
        const h = history(rs);
        const author = copy(h, 'late');
        const server = compactTombstones(copy(h, 's'));
        const v = author.version;
        apply(author, late);
        const update = author.encodeSince(v);
        server.applyUpdate(update);
        expect(state(server)).toEqual(state(author));
        // A device that resynced in full from the server applies its own edit first.
        const resynced = Text.decode(compactTombstones(copy(h, 's')).encode(), 'late2');
        resynced.applyUpdate(update);
        expect(state(resynced)).toEqual(state(server));
      }),
      fcParams('orphan origins: one author', 300),
    );
  });

  it('two authors at once: compacted replicas converge whatever the order, and so do the authors', () => {
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
        const y = Text.decode(compactTombstones(copy(h, 'y')).encode(), 'y');
        y.applyUpdate(uq);
        y.applyUpdate(up);
        expect(state(y)).toEqual(state(x));
        // Nothing is lost: both authors' operations are in, and what each typed is visible.
        const want: Record<string, number> = { ...p.version };
        for (const [k, n] of Object.entries(q.version)) want[k] = Math.max(want[k] ?? 0, n);
        expect(x.version).toEqual(want);
        // The authors, who kept their tombstones, merge the server's state and agree with it: a
        // merge builds on the side compacted further (so no dropped tombstone comes back).
        p.merge(x);
        q.merge(y);
        expect(state(p)).toEqual(state(x));
        expect(p.toString()).toBe(x.toString());
        expect(q.toString()).toBe(x.toString());
      }),
      fcParams('orphan origins: two authors', 300),
    );
  });

  it('after a second compaction, a device in sync with the first still lands where it typed', () => {
    fc.assert(
      fc.property(rounds, edits, edits, (rs, e1, e2) => {
        const s1 = compactTombstones(history(rs));
        apply(s1, e1); // edits after the first compaction: new items and new tombstones
        const author = copy(s1, 'late');
        apply(author, e2);
        const s2 = compactTombstones(s1);
        s2.applyUpdate(author.encodeSince(s1.version));
        expect(state(s2)).toEqual(state(author));
        // ...and a copy of the first compaction, merged with the second, builds on the second.
        const old = copy(s1, 'old');
        old.merge(s2);
        expect(state(old)).toEqual(state(s2));
        expect(old.encode().length).toBe(s2.encode().length);
      }),
      fcParams('orphan origins: compacted twice', 300),
    );
  });

  it('a late insert whose both origins are gone is kept, next to the nearest kept id of its origin', () => {
    const t = new Text('a');
    t.insert(0, 'keep drop more');
    const late = copy(t, 'late');
    const v = late.version;
    late.insert(7, 'X'); // between "r" and "o" of "drop"
    t.delete(4, 5); // " drop"
    const s = compactTombstones(t);
    s.applyUpdate(late.encodeSince(v));
    expect(s.toString()).toBe('keepX more');
    expect(s.version).toEqual({ a: 19, late: 1 });
    // Nothing of that replica kept: the end of the base.
    const u = new Text('u');
    u.insert(0, 'gone');
    const w = copy(u, 'w');
    w.insert(2, 'Y');
    const b = new Text('b');
    b.merge(u);
    b.insert(4, ' kept');
    b.delete(0, 4);
    const c = compactTombstones(b);
    c.applyUpdate(w.encodeSince(u.version));
    expect(c.toString()).toBe(' keptY');
  });
});
