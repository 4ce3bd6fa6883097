import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

type Edit = { ins: boolean; at: number; text: string; len: number };
const edit = fc.record({
  ins: fc.boolean(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 3 }),
  len: fc.integer({ min: 1, max: 3 }),
});

function apply(t: Text, edits: Edit[]): void {
  for (const e of edits) {
    const n = t.length;
    if (e.ins || n === 0) t.insert(Math.floor(e.at * (n + 1)) % (n + 1), e.text);
    else {
      const at = Math.floor(e.at * n) % n;
      t.delete(at, Math.min(e.len, n - at));
    }
  }
}

/** Three replicas that share a common history, then diverge. */
function diverged(common: Edit[], ea: Edit[], eb: Edit[], ec: Edit[]): [Text, Text, Text] {
  const base = new Text('o');
  apply(base, common);
  const bytes = base.encode();
  const reps = (['a', 'b', 'c'] as const).map((id) => Text.decode(bytes, id)) as [Text, Text, Text];
  apply(reps[0], ea);
  apply(reps[1], eb);
  apply(reps[2], ec);
  return reps;
}

const copy = (t: Text, id = 'z'): Text => Text.decode(t.encode(), id);
const state = (t: Text): [string, Record<string, number>] => [t.toString(), t.version];
const edits = fc.array(edit, { maxLength: 8 });

describe('merge is a join', () => {
  it('commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(edits, edits, edits, edits, (common, ea, eb, ec) => {
        const [a, b, c] = diverged(common, ea, eb, ec);
        // a ∪ b = b ∪ a
        const ab = copy(a);
        ab.merge(b);
        const ba = copy(b);
        ba.merge(a);
        expect(state(ab)).toEqual(state(ba));
        // (a ∪ b) ∪ c = a ∪ (b ∪ c)
        const abc = copy(ab);
        abc.merge(c);
        const bc = copy(b);
        bc.merge(c);
        const a_bc = copy(a);
        a_bc.merge(bc);
        expect(state(abc)).toEqual(state(a_bc));
        // a ∪ a = a, and merging the same replica twice changes nothing more
        const aa = copy(a);
        aa.merge(a);
        expect(state(aa)).toEqual(state(a));
        const abb = copy(ab);
        abb.merge(b);
        expect(state(abb)).toEqual(state(ab));
        // the full-state update (encode) merges to the same result as the delta
        const viaFull = copy(a);
        viaFull.applyUpdate(b.encode());
        expect(state(viaFull)).toEqual(state(ab));
      }),
      fcParams('merge laws', 500),
    );
  });
});
