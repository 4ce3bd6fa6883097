import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { List, Text } from '../../src/sequence/index.js';
import { fcParams } from '../../../../testing/fcSeed.js';

type Action =
  | { t: 'ins'; r: number; at: number; text: string }
  | { t: 'del'; r: number; at: number; len: number }
  | { t: 'mov'; r: number; from: number; to: number }
  | { t: 'send'; from: number; to: number; full: boolean }
  | { t: 'deliver'; to: number; pick: number }
  | { t: 'restore'; r: number };

const REPLICAS = 3;
const replica = fc.integer({ min: 0, max: REPLICAS - 1 });
const frac = fc.double({ min: 0, max: 1, noNaN: true });
const textAction: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('ins' as const),
      r: replica,
      at: frac,
      text: fc.string({
        unit: fc.constantFrom('a', 'b', 'c', 'x', 'y', '\u00e9', '\u{1F600}'),
        minLength: 1,
        maxLength: 4,
      }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('del' as const),
      r: replica,
      at: frac,
      len: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('send' as const), from: replica, to: replica, full: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('deliver' as const), to: replica, pick: frac }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), r: replica }) },
);
const listAction: fc.Arbitrary<Action> = fc.oneof(
  textAction,
  fc.record({ t: fc.constant('mov' as const), r: replica, from: frac, to: frac }),
);

/**
 * Runs the actions on three replicas over a network that delivers updates late and out of order
 * (so updates often arrive before the operations they depend on), then syncs everyone.
 */
function run<R extends Text | List<string>>(
  make: (id: string) => R,
  actions: Action[],
  edit: (r: R, a: Action, uid: () => string) => void,
  restore: (r: R) => R,
): R[] {
  const reps = Array.from({ length: REPLICAS }, (_, i) => make(`r${i}`));
  const inbox: Uint8Array[][] = reps.map(() => []);
  let n = 0;
  const uid = (): string => `v${n++}`;
  for (const a of actions) {
    if (a.t === 'send') {
      if (a.from === a.to) continue;
      const to = reps[a.to]!;
      inbox[a.to]!.push(a.full ? reps[a.from]!.encode() : reps[a.from]!.encodeSince(to.version));
    } else if (a.t === 'deliver') {
      const box = inbox[a.to]!;
      if (box.length === 0) continue;
      const [msg] = box.splice(Math.floor(a.pick * box.length) % box.length, 1);
      reps[a.to]!.applyUpdate(msg!);
    } else if (a.t === 'restore') {
      // A replica saved and reloaded mid-flight (with updates still waiting) carries on.
      const saved = reps[a.r]!.encode();
      reps[a.r] = restore(reps[a.r]!);
      expect(reps[a.r]!.encode()).toEqual(saved);
    } else edit(reps[a.r]!, a, uid);
  }
  for (let round = 0; round < 2; round++)
    for (const x of reps) for (const y of reps) if (x !== y) x.applyUpdate(y.encodeSince(x.version));
  return reps;
}

function editText(t: Text, a: Action): void {
  if (a.t === 'ins') t.insert(Math.floor(a.at * (t.length + 1)) % (t.length + 1), a.text);
  else if (a.t === 'del' && t.length > 0) {
    const at = Math.floor(a.at * t.length) % t.length;
    t.delete(at, Math.min(a.len, t.length - at));
  }
}

function editList(l: List<string>, a: Action, uid: () => string): void {
  if (a.t === 'ins')
    l.insert(Math.floor(a.at * (l.length + 1)) % (l.length + 1), ...Array.from(a.text, () => uid()));
  else if (a.t === 'del' && l.length > 0) {
    const at = Math.floor(a.at * l.length) % l.length;
    l.delete(at, Math.min(a.len, l.length - at));
  } else if (a.t === 'mov' && l.length > 0)
    l.move(Math.floor(a.from * l.length) % l.length, Math.floor(a.to * l.length) % l.length);
}

describe('convergence under random concurrent edits (3 replicas, out-of-order delivery)', () => {
  it('Text replicas converge, and every replica round-trips through encode/decode', () => {
    fc.assert(
      fc.property(fc.array(textAction, { maxLength: 60 }), (actions) => {
        const reps = run(
          (id) => new Text(id),
          actions,
          editText,
          (t) => Text.decode(t.encode(), t.replicaId),
        );
        const s = reps[0]!.toString();
        for (const r of reps) {
          expect(r.toString()).toBe(s);
          expect(r.length).toBe(s.length);
          expect(r.version).toEqual(reps[0]!.version);
          const copy = Text.decode(r.encode(), 'copy');
          expect(copy.toString()).toBe(s);
          expect(copy.version).toEqual(r.version);
        }
      }),
      fcParams('text convergence'),
    );
  });

  it('List replicas converge, and moves never duplicate an element', () => {
    fc.assert(
      fc.property(fc.array(listAction, { maxLength: 60 }), (actions) => {
        const reps = run(
          (id) => new List<string>(id),
          actions,
          editList,
          (l) => List.decode<string>(l.encode(), l.replicaId),
        );
        const arr = reps[0]!.toArray();
        expect(new Set(arr).size).toBe(arr.length);
        for (const r of reps) {
          expect(r.toArray()).toEqual(arr);
          expect(List.decode<string>(r.encode(), 'copy').toArray()).toEqual(arr);
        }
      }),
      fcParams('list convergence'),
    );
  });

  it('a single Text replica behaves exactly like a JavaScript string', () => {
    fc.assert(
      fc.property(fc.array(textAction, { maxLength: 100 }), (actions) => {
        const t = new Text('solo');
        let model = '';
        for (const a of actions) {
          if (a.t === 'ins') {
            const at = Math.floor(a.at * (model.length + 1)) % (model.length + 1);
            t.insert(at, a.text);
            model = model.slice(0, at) + a.text + model.slice(at);
          } else if (a.t === 'del' && model.length > 0) {
            const at = Math.floor(a.at * model.length) % model.length;
            const len = Math.min(a.len, model.length - at);
            t.delete(at, len);
            model = model.slice(0, at) + model.slice(at + len);
          }
          expect(t.toString()).toBe(model);
        }
        expect(Text.decode(t.encode()).toString()).toBe(model);
      }),
      fcParams('text vs string model'),
    );
  });
});
