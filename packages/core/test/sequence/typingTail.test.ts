import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectSince } from '../../src/sequence/collectSince.js';
import type { ContentCodec } from '../../src/sequence/contentCodec.js';
import { listCodec, textCodec } from '../../src/sequence/contentCodec.js';
import { encodeDelta } from '../../src/sequence/encodeDelta.js';
import { encodeUpdate } from '../../src/sequence/encodeUpdate.js';
import { List, Text } from '../../src/sequence/index.js';
import type { SequenceCore } from '../../src/sequence/SequenceCore.js';
import { fcParams } from '../../../../testing/fcSeed.js';

// A delta's newest characters come from the pieces typed into the run typing extends (see
// typingTail.ts), not from slicing the run. Typing is where that path is taken, so these edits
// type at a cursor, and the deltas must equal the general encoder's bytes for every version:
// cut inside the typed run, before it, after a backspace split it, past the piece limit.

function coreOf<C>(s: Text | List<string>): SequenceCore<C> {
  return (s as unknown as { core: SequenceCore<C> }).core;
}

function same<C>(
  s: Text | List<string>,
  codec: ContentCodec<C>,
  versions: Array<Record<string, number>>,
): void {
  const core = coreOf<C>(s);
  for (const v of versions) {
    const delta = encodeDelta(core, v, codec);
    if (delta !== null)
      expect(Array.from(delta)).toEqual(Array.from(encodeUpdate(collectSince(core, v), core.names, codec)));
  }
}

describe('deltas of typed runs', () => {
  it('every keystroke of a long run, against versions 1, 3, 63, 64, 65 and 150 keystrokes back', () => {
    const t = new Text('typist');
    t.insert(0, 'start ');
    // Peers that catch up every k keystrokes: their deltas span k keystrokes of the run.
    const peers = [1, 3, 64, 65, 150].map((k) => ({ k, p: Text.decode(t.encode(), `p${k}`) }));
    const versions: Array<Record<string, number>> = [];
    for (let i = 0; i < 200; i++) {
      versions.push(t.version);
      t.insert(t.length, i % 10 === 0 ? 'xy' : String.fromCharCode(97 + (i % 26)));
      same(
        t,
        textCodec,
        [1, 3, 63, 64, 65, 150]
          .filter((k) => k <= versions.length)
          .map((k) => versions[versions.length - k]!),
      );
      for (const { k, p } of peers) {
        if ((i + 1) % k !== 0) continue;
        p.applyUpdate(t.encodeSince(p.version));
        expect(p.toString()).toBe(t.toString());
      }
    }
  });

  it('text and lists: typing at cursors, backspaces, jumps and syncs between three replicas', () => {
    const op = fc.record({
      r: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom('type', 'type', 'type', 'type', 'backspace', 'jump', 'sync'),
      text: fc.string({ unit: fc.constantFrom('a', 'b', '\u00e9', '\u{1F600}'), minLength: 1, maxLength: 3 }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      to: fc.integer({ min: 1, max: 2 }),
    });
    for (const kind of ['text', 'list'] as const) {
      fc.assert(
        fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
          const make = (id: string): Text | List<string> =>
            kind === 'text' ? new Text(id) : new List<string>(id);
          const codec = (kind === 'text' ? textCodec : listCodec) as ContentCodec<unknown>;
          const reps = [make('r0'), make('r1'), make('r2')];
          const cursor = [0, 0, 0];
          const versions: Array<Record<string, number>> = [{}];
          for (const o of ops) {
            const x = reps[o.r]!;
            versions.push(x.version);
            if (o.kind === 'type') {
              if (x instanceof Text) x.insert(cursor[o.r]!, o.text);
              else x.insert(cursor[o.r]!, ...Array.from(o.text));
              cursor[o.r] = Math.min(
                x.length,
                cursor[o.r]! + (x instanceof Text ? o.text.length : Array.from(o.text).length),
              );
            } else if (o.kind === 'backspace' && cursor[o.r]! > 0) {
              x.delete(cursor[o.r]! - 1, 1);
              cursor[o.r]! -= 1;
            } else if (o.kind === 'jump') cursor[o.r] = Math.floor(o.at * (x.length + 1));
            else if (o.kind === 'sync') {
              const y = reps[(o.r + o.to) % 3]!;
              y.applyUpdate(x.encodeSince(y.version));
            }
            for (let i = 0; i < 3; i++) cursor[i] = Math.min(cursor[i]!, reps[i]!.length);
            same(x, codec, versions.slice(-8));
          }
          for (const x of reps) same(x, codec, versions);
          for (const x of reps) for (const y of reps) if (x !== y) y.applyUpdate(x.encodeSince(y.version));
          const first = JSON.stringify(reps[0] instanceof Text ? reps[0].toString() : reps[0]!.toArray());
          for (const x of reps)
            expect(JSON.stringify(x instanceof Text ? x.toString() : x.toArray())).toBe(first);
        }),
        fcParams(`typing ${kind}`, 150),
      );
    }
  });
});
