import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { List, Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

type Seq = Text | List<unknown>;

type Step =
  | { t: 'ins'; r: number; at: number; text: string }
  | { t: 'del'; r: number; at: number; len: number }
  /** `to` takes `from`'s state: by `merge`, or by `applyUpdate` of what it lacks. */
  | { t: 'sync'; from: number; to: number; how: 'merge' | 'update' }
  /** `r` is stored and read back: eagerly in one world, `loadLater` in the other. */
  | { t: 'reload'; r: number }
  /** Everything readable of `r` is compared (which builds a state loaded later). */
  | { t: 'look'; r: number };

const r = fc.integer({ min: 0, max: 2 });
const at = fc.double({ min: 0, max: 1, noNaN: true });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('ins' as const),
      r,
      at,
      text: fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀'), minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('del' as const), r, at, len: fc.integer({ min: 1, max: 3 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('sync' as const),
      from: r,
      to: r,
      how: fc.constantFrom('merge' as const, 'update' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('reload' as const), r }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('look' as const), r }) },
);

const NAMES = ['p', 'q', 'r'];

/** Runs `steps` on three replicas; `lazy` reloads with `loadLater`, else with `applyUpdate`. */
class World {
  readonly seqs: Seq[];
  constructor(
    private readonly make: (name: string) => Seq,
    private readonly lazy: boolean,
  ) {
    this.seqs = NAMES.map(make);
  }

  run(s: Step): void {
    if (s.t === 'look') return;
    if (s.t === 'reload') {
      const bytes = (this.seqs[s.r] as Seq).encode().slice();
      const fresh = this.make(NAMES[s.r] as string);
      if (this.lazy) fresh.loadLater(bytes);
      else fresh.applyUpdate(bytes);
      this.seqs[s.r] = fresh;
      return;
    }
    if (s.t === 'sync') {
      if (s.from === s.to) return;
      const from = this.seqs[s.from] as Seq;
      const to = this.seqs[s.to] as Seq;
      if (s.how === 'merge') (to as Text).merge(from as Text);
      else to.applyUpdate(from.encodeSince(to.version));
      return;
    }
    const seq = this.seqs[s.r] as Seq;
    const n = seq.length;
    if (s.t === 'ins') {
      const pos = Math.floor(s.at * (n + 1)) % (n + 1);
      if (seq instanceof Text) seq.insert(pos, s.text);
      else seq.insert(pos, ...[...s.text]);
    } else if (n > 0) {
      const pos = Math.floor(s.at * n) % n;
      seq.delete(pos, Math.min(s.len, n - pos));
    }
  }
}

function readable(seq: Seq): unknown {
  return {
    value: seq instanceof Text ? seq.toString() : seq.toArray(),
    length: seq.length,
    version: seq.version,
    replica: seq.replicaId,
  };
}

const kinds: Array<[string, (name: string) => Seq]> = [
  ['text', (n) => new Text(n)],
  ['list', (n) => new List<unknown>(n)],
];

describe.each(kinds)('a %s loaded later behaves exactly like one loaded at once', (kind, make) => {
  it('under random edits, merges, updates and reloads: the same bytes at every step and the same state when read', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const eager = new World(make, false);
        const lazy = new World(make, true);
        for (const s of steps) {
          eager.run(s);
          lazy.run(s);
          // Encoding never builds a state loaded later, and gives the bytes it was loaded from:
          // those of the eager replica, so encode → decode → encode is byte-identical.
          for (let i = 0; i < 3; i++) expect(lazy.seqs[i]!.encode()).toEqual(eager.seqs[i]!.encode());
          if (s.t === 'look') expect(readable(lazy.seqs[s.r]!)).toEqual(readable(eager.seqs[s.r]!));
        }
        for (let i = 0; i < 3; i++) expect(readable(lazy.seqs[i]!)).toEqual(readable(eager.seqs[i]!));
      }),
      fcParams(`loadLater ${kind}`, 500),
    );
  });
});

describe('loadLater', () => {
  it('checks the bytes at once and builds nothing until the state is used', () => {
    const t = new Text('a');
    t.insert(0, 'hello');
    const bytes = t.encode().slice();
    const later = new Text('b');
    later.loadLater(bytes);
    expect(later.encodedIfUnloaded()).toBe(bytes);
    expect(later.encode()).toBe(bytes);
    expect(later.toString()).toBe('hello');
    expect(later.encodedIfUnloaded()).toBeUndefined();

    const damaged = bytes.slice();
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0xff;
    const refused = new Text('c');
    expect(() => refused.loadLater(damaged)).toThrow(DecodeError);
    expect(refused.toString()).toBe('');
    expect(() => later.loadLater(bytes)).toThrow(/not new/);
  });

  it('a listener added before first use hears edits, not the loading', () => {
    const t = new Text('a');
    t.insert(0, 'xy');
    const later = new Text('b');
    later.loadLater(t.encode().slice());
    const heard: string[] = [];
    later.onChange((o) => heard.push(o));
    expect(later.length).toBe(2);
    later.insert(2, 'z');
    expect(heard).toEqual(['local']);
  });
});
