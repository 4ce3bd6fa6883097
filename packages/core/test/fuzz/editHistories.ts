import fc from 'fast-check';
import { compactTombstones, List, Text } from '../../src/sequence/index.js';

/**
 * Real edit histories of the sequence CRDT, the material the byte fuzzers corrupt: three
 * replicas of a Text or a List make concurrent inserts, deletes and (lists) moves, sync now and
 * then, and get compacted; every encoding a replica can send (snapshot, delta since an earlier
 * version, compacted snapshot) is collected.
 */
export type Seq = Text | List<unknown>;
export type SeqKind = 'text' | 'list';

type Step =
  | { op: 'insert'; who: number; at: number; text: string }
  | { op: 'delete'; who: number; at: number; len: number }
  | { op: 'move'; who: number; from: number; to: number }
  | { op: 'sync'; a: number; b: number }
  | { op: 'compact'; who: number }
  | { op: 'mark'; who: number };

const who = fc.nat(2);
const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      who,
      at,
      text: fc.string({
        unit: fc.constantFrom('a', 'b', 'é', '😀', '\ud800', 'x'),
        minLength: 1,
        maxLength: 5,
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      who,
      at,
      len: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('move' as const), who, from: at, to: at }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sync' as const), a: who, b: who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mark' as const), who }) },
);

export interface HistorySpec {
  kind: SeqKind;
  steps: Step[];
}

export const historySpec: fc.Arbitrary<HistorySpec> = fc.record({
  kind: fc.constantFrom('text' as const, 'list' as const),
  steps: fc.array(step, { minLength: 1, maxLength: 24 }),
});

export const create = (kind: SeqKind, id?: string): Seq =>
  kind === 'text' ? new Text(id) : new List<unknown>(id);

/** A fresh replica of `s` writing as `id`. */
export const copyOf = (kind: SeqKind, s: Seq, id: string): Seq => {
  const out = create(kind, id);
  out.applyUpdate(s.encode());
  return out;
};

export interface History {
  kind: SeqKind;
  replicas: Seq[];
  /** Every encoding made on the way and at the end; never empty. */
  encodings: Uint8Array[];
}

/** Plays a history; deterministic for a spec. */
export function play(spec: HistorySpec): History {
  const { kind } = spec;
  let reps: Seq[] = ['r0', 'r1', 'r2'].map((id) => create(kind, id));
  const marks: Array<{ who: number; version: Record<string, number> }> = [];
  const encodings: Uint8Array[] = [];
  for (const s of spec.steps) {
    if (s.op === 'insert') {
      const r = reps[s.who] as Seq;
      const i = Math.floor(s.at * (r.length + 1));
      if (r instanceof Text) r.insert(i, s.text);
      else r.insert(i, ...Array.from(s.text, (c, k) => (k % 2 === 0 ? c : { c, n: k })));
    } else if (s.op === 'delete') {
      const r = reps[s.who] as Seq;
      if (r.length === 0) continue;
      const i = Math.floor(s.at * r.length);
      r.delete(i, Math.min(s.len, r.length - i));
    } else if (s.op === 'move') {
      const r = reps[s.who] as Seq;
      if (!(r instanceof List) || r.length === 0) continue;
      r.move(Math.floor(s.from * r.length), Math.floor(s.to * r.length));
    } else if (s.op === 'sync') {
      if (s.a === s.b) continue;
      const a = reps[s.a] as Seq;
      const b = reps[s.b] as Seq;
      encodings.push(b.encodeSince(a.version));
      (a as Text).merge(b as Text);
    } else if (s.op === 'compact') {
      const r = reps[s.who] as Seq;
      encodings.push(r.compactedBytes());
      reps = reps.map((x, i) => (i === s.who ? compactTombstones(r) : x));
    } else marks.push({ who: s.who, version: (reps[s.who] as Seq).version });
  }
  for (const r of reps) encodings.push(r.encode());
  for (const m of marks) encodings.push((reps[m.who] as Seq).encodeSince(m.version));
  return { kind, replicas: reps, encodings };
}

/** What a replica holds, comparable with `toEqual`: content, version and snapshot bytes. */
export function snapshot(s: Seq): { value: unknown; version: Record<string, number>; bytes: number[] } {
  return { value: s.toJSON(), version: s.version, bytes: Array.from(s.encode()) };
}
