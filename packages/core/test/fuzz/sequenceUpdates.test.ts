import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { compactTombstones, List, Text } from '../../src/sequence/index.js';
import { byteMutation, mutate } from './byteMutations.js';
import { copyOf, create, historySpec, play, snapshot, type Seq, type SeqKind } from './editHistories.js';
import { fuzzParams, fuzzTimeout } from './fuzzRuns.js';

/**
 * Fuzzing of every way bytes from outside reach the sequence CRDT: `applyUpdate` on an empty
 * replica (the streaming load) and on one with state, and `Text.decode`/`List.decode`. Inputs are
 * real encodings (snapshots, deltas, compacted snapshots of random multi-replica histories),
 * truncated, bit-flipped, overwritten, spliced, given oversized varints, or wholly random —
 * mostly resealed with a valid checksum so they reach the structural checks.
 *
 * Property: a rejection is a `DecodeError` and leaves the replica byte-identical; an accepted
 * input leaves a replica that still works (round-trips, takes edits, compacts); replicas in the
 * same state decide alike and end byte-identical; replicas that accepted it sync without error.
 * An unmutated encoding is always accepted, and then every replica converges.
 */

/** Applies `bytes` to `t`: true if accepted; a rejection must be a DecodeError changing nothing. */
function offer(t: Seq, bytes: Uint8Array): boolean {
  const before = snapshot(t);
  try {
    t.applyUpdate(bytes);
    return true;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(snapshot(t)).toEqual(before);
    return false;
  }
}

function insertOne(t: Seq, at: number): void {
  if (t instanceof Text) t.insert(at, 'z');
  else t.insert(at, 'z');
}

/** An accepted input must leave a replica that round-trips, takes edits and compacts. */
function stillWorks(kind: SeqKind, t: Seq): void {
  const copy = copyOf(kind, t, 'check');
  expect(copy.toJSON()).toEqual(t.toJSON());
  expect(copy.version).toEqual(t.version);
  insertOne(t, 0);
  insertOne(t, t.length);
  if (t.length > 2) t.delete(1, 1);
  if (t instanceof List && t.length > 1) t.move(0, t.length - 1);
  const again = copyOf(kind, t, 'check');
  expect(again.toJSON()).toEqual(t.toJSON());
  expect(compactTombstones(t).toJSON()).toEqual(t.toJSON());
}

const decodeStatic = (kind: SeqKind, bytes: Uint8Array): Seq =>
  kind === 'text' ? Text.decode(bytes, 'dec') : List.decode(bytes, 'dec');

describe('fuzzing the sequence update decoders', () => {
  const params = fuzzParams('sequence updates', 150);
  it(
    'corrupt updates are a DecodeError with the replica unchanged, or accepted and harmless',
    () => {
      fc.assert(
        fc.property(historySpec, fc.nat(), byteMutation, (spec, pick, mu) => {
          const h = play(spec);
          const { kind } = h;
          const bytes = mutate(h.encodings[pick % h.encodings.length] as Uint8Array, mu, h.encodings);
          // Two empty replicas (the streaming load) and two pairs of replicas with the same state.
          const targets = [
            create(kind, 't0'),
            create(kind, 't1'),
            copyOf(kind, h.replicas[0] as Seq, 't2'),
            copyOf(kind, h.replicas[0] as Seq, 't3'),
            copyOf(kind, h.replicas[1] as Seq, 't4'),
            copyOf(kind, h.replicas[1] as Seq, 't5'),
          ];
          const ok = targets.map((t) => offer(t, bytes));
          let decoded: Seq | null = null;
          try {
            decoded = decodeStatic(kind, bytes);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
          if (mu.m === 'none') expect(ok.every((x) => x) && decoded !== null).toBe(true);
          // Replicas in the same state decide alike and end alike (decode is an empty replica too).
          expect(decoded !== null).toBe(ok[0]);
          for (let i = 0; i < targets.length; i += 2) {
            expect(ok[i + 1]).toBe(ok[i]);
            expect(snapshot(targets[i + 1] as Seq)).toEqual(snapshot(targets[i] as Seq));
          }
          const accepted = targets.filter((_, i) => ok[i]);
          // Replicas in different states that accepted it sync without error; from an unmutated
          // encoding they converge. Not from a forged one: it may give ids another replica already
          // has other content (no decoder can tell; that replica keeps its own). Nor from a
          // compacted state (flag F_BASE): applied as an update it cannot delete what a replica
          // still shows, which is why compaction waits for every replica and `merge` builds on
          // the compacted side (docs/crdt.md, "Compacting tombstones").
          const converges = mu.m === 'none' && ((bytes[3] as number) & 2) === 0;
          for (let i = 1; i < accepted.length; i++) {
            const a = accepted[0] as Text;
            const b = accepted[i] as Text;
            a.merge(b);
            b.merge(a);
            if (converges) {
              expect(b.toJSON()).toEqual(a.toJSON());
              expect(b.version).toEqual(a.version);
            }
          }
          for (const t of accepted) stillWorks(kind, t);
          if (decoded !== null) stillWorks(kind, decoded);
        }),
        params,
      );
    },
    fuzzTimeout(params, 30),
  );

  it(
    'wholly random bytes, sealed or not, of any length',
    () => {
      const random = fuzzParams('random sequence bytes', 200);
      fc.assert(
        fc.property(
          fc.constantFrom<SeqKind>('text', 'list'),
          fc.uint8Array({ maxLength: 2048 }),
          fc.boolean(),
          (kind, raw, seal) => {
            const bytes = seal
              ? mutate(raw, { m: 'random', bytes: Array.from(raw), header: false, kind: 0 }, [])
              : raw;
            const t = create(kind, 'r0');
            insertOne(t, 0);
            if (offer(t, bytes)) stillWorks(kind, t);
            const e = create(kind, 'r1');
            if (offer(e, bytes)) stillWorks(kind, e);
          },
        ),
        random,
      );
    },
    fuzzTimeout(params, 10),
  );
});
