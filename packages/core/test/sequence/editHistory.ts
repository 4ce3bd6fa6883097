import fc from 'fast-check';
import { Text } from '../../src/sequence/index.js';

/** Random text edits for the compaction properties: an insert or a delete at a relative place. */
export type Edit = { ins: boolean; at: number; text: string; len: number };

export const edit: fc.Arbitrary<Edit> = fc.record({
  ins: fc.boolean(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 1, maxLength: 4 }),
  len: fc.integer({ min: 1, max: 4 }),
});
export const edits = fc.array(edit, { maxLength: 12 });
/** Rounds of edits, each by one of three writers (see {@link history}). */
export const rounds = fc.array(edits, { minLength: 1, maxLength: 6 });

export function apply(t: Text, es: Edit[]): void {
  for (const e of es) {
    const n = t.length;
    if (e.ins || n === 0) t.insert(Math.floor(e.at * (n + 1)) % (n + 1), e.text);
    else {
      const at = Math.floor(e.at * n) % n;
      t.delete(at, Math.min(e.len, n - at));
    }
  }
}

/** Three writers who edit concurrently and sync every other round: a history with tombstones. */
export function history(rs: Edit[][]): Text {
  const reps = [new Text('a'), new Text('b'), new Text('c')];
  rs.forEach((es, i) => {
    apply(reps[i % 3] as Text, es);
    if (i % 2 === 1) for (const x of reps) for (const y of reps) if (x !== y) x.merge(y);
  });
  const out = new Text('o');
  for (const r of reps) out.merge(r);
  return out;
}

export const copy = (t: Text, id: string): Text => Text.decode(t.encode(), id);
export const state = (t: Text): [string, Record<string, number>] => [t.toString(), t.version];
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
