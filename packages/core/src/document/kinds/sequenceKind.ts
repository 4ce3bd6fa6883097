import { DecodeError, ValidationError } from '../../errors.js';
import { type ContentCodec, listCodec, textCodec } from '../../sequence/contentCodec.js';
import { List } from '../../sequence/List.js';
import { sharedId } from '../../sequence/sharedId.js';
import { Text } from '../../sequence/Text.js';
import { fromBase64, toBase64 } from '../../util/base64.js';
import { canonicalJson } from '../../util/json.js';
import type { FieldKind } from '../fieldKind.js';

type Seq = Text | List<unknown>;
type Delta = Record<string, unknown>;

/**
 * A sequence kind (text or list) plugs the sequence CRDT (packages/core/src/sequence) into the
 * document model. Its state is a live `Text`/`List` owned by one document. `applyDelta` updates
 * it in place, O(size of the update); the pure `applyChange` clones a touched sequence first
 * (O(size of the field)), and `merge`/`mergeDocs` work on copies, so no state anyone holds changes.
 * A delta is `{ k, u: [base64 update] }`: updates from `encodeSince`, which any replica can
 * apply in any order and any number of times.
 */
export interface SequenceKind extends FieldKind<unknown> {
  /** True for this kind's live state objects. */
  owns(state: unknown): boolean;
  /** Delta replacing the whole content (intent `set`: delete all + insert). */
  replaceDelta(
    current: unknown,
    pending: Delta | undefined,
    value: unknown,
    replica: string,
    path: string,
  ): Delta;
  /** Delta appending items at the end (intent `append` on a list). */
  appendDelta(
    current: unknown,
    pending: Delta | undefined,
    values: unknown[],
    replica: string,
    path: string,
  ): Delta;
  /** Delta removing every item equal to one of `values` (intent `remove` on a list). */
  removeDelta(
    current: unknown,
    pending: Delta | undefined,
    values: unknown[],
    replica: string,
    path: string,
  ): Delta;
  /** Delta carrying a raw update from `encodeSince` (intent `seq`). */
  updateDelta(pending: Delta | undefined, update: string, path: string): Delta;
}

/** Replica id of copies made only to be read (any valid id: they never write). */
const READER = 'reader';

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

function makeKind(
  tag: 't' | 'L',
  create: (replica?: string) => Seq,
  isMine: (x: unknown) => boolean,
  read: (s: Seq) => unknown,
  codec: ContentCodec<unknown>,
): SequenceKind {
  /** Refuses updates of one change that give one id to two operations (see `sharedId`). */
  const distinct = (updates: readonly string[], path: string): void => {
    if (updates.length < 2) return;
    const id = sharedId(updates.map(fromBase64), codec);
    if (id !== null)
      bad(
        path,
        'overlap',
        `two updates of this field in one change both use id ${id}: build each edit on the text or list as the previous edits of the change left it`,
      );
  };
  /** A private copy of `current` (or an empty sequence) writing as `replica`. */
  const copy = (current: unknown, replica?: string): Seq => {
    const out = create(replica);
    if (current !== undefined) out.applyUpdate((current as Seq).encode());
    return out;
  };
  const withPending = (current: unknown, pending: Delta | undefined, replica: string): Seq => {
    const s = copy(current, replica);
    for (const u of (pending?.u as string[] | undefined) ?? []) s.applyUpdate(fromBase64(u));
    return s;
  };
  const emit = (s: Seq, pending: Delta | undefined, edit: () => void): Delta => {
    const before = s.version;
    edit();
    return { k: tag, u: [...((pending?.u as string[] | undefined) ?? []), toBase64(s.encodeSince(before))] };
  };
  return {
    tag,
    policy: 'sequence',
    owns: isMine,
    merge(a, b) {
      const out = copy(a);
      // Text.merge: the same for a List (both are SequenceBase); it builds on a compacted side.
      (out as Text).merge(b as Text);
      return out;
    },
    materialize: (s) => read(s as Seq),
    deferredValue(s) {
      const seq = s as Seq;
      const bytes = seq.encodedIfUnloaded();
      if (bytes === undefined) return undefined;
      // Still the state `bytes` hold when read: build it. Edited since (edits build it first):
      // the value of then comes from its bytes, in a throwaway replica that never writes.
      return () => {
        if (seq.encodedIfUnloaded() === bytes) return read(seq);
        const then = create(READER);
        then.applyUpdate(bytes);
        return read(then);
      };
    },
    toJSON: (s) => ({ k: tag, b: toBase64((s as Seq).encode()) }),
    canonical: (s) => {
      const version = (s as Seq).version;
      const sorted: Record<string, number> = {};
      for (const r of Object.keys(version).sort()) sorted[r] = version[r] as number;
      return { k: tag, version: sorted, value: read(s as Seq) };
    },
    fromJSON(json, path) {
      if (typeof json.b !== 'string') bad(path, 'state', 'sequence state needs base64 `b`');
      try {
        // Checked now, built on first use: most stored and pulled texts are shown, not edited.
        const out = create();
        out.loadLater(fromBase64(json.b));
        return out;
      } catch (e) {
        if (e instanceof DecodeError) bad(path, 'decode', e.message);
        throw e;
      }
    },
    validateDelta(delta, _def, path) {
      if (!Array.isArray(delta.u) || delta.u.length === 0)
        bad(path, 'delta', 'sequence delta needs a non-empty array `u` of base64 updates');
      for (const u of delta.u as unknown[]) {
        if (typeof u !== 'string') bad(path, 'delta', 'updates must be base64 strings');
        try {
          // A trial on an empty replica: corrupt bytes throw; missing dependencies just wait.
          create().applyUpdate(fromBase64(u));
        } catch (e) {
          if (e instanceof DecodeError) bad(path, 'decode', e.message);
          throw e;
        }
      }
      distinct(delta.u as string[], path);
    },
    applyDelta(current, delta) {
      // In place: O(update), not O(field), per keystroke. The document owns its Text/List.
      const out = (current as Seq | undefined) ?? create();
      for (const u of delta.u as string[]) out.applyUpdate(fromBase64(u));
      return out;
    },
    clone: (s) => copy(s),
    replaceDelta(current, pending, value, replica) {
      const s = withPending(current, pending, replica);
      return emit(s, pending, () => {
        s.delete(0, s.length);
        if (s instanceof Text) s.insert(0, value as string);
        else (s as List<unknown>).insert(0, ...(value as unknown[]));
      });
    },
    appendDelta(current, pending, values, replica) {
      const s = withPending(current, pending, replica) as List<unknown>;
      return emit(s, pending, () => s.push(...values));
    },
    removeDelta(current, pending, values, replica) {
      const s = withPending(current, pending, replica) as List<unknown>;
      const drop = new Set(values.map(canonicalJson));
      return emit(s, pending, () => {
        const items = s.toArray();
        for (let i = items.length - 1; i >= 0; i--) if (drop.has(canonicalJson(items[i]))) s.delete(i, 1);
      });
    },
    updateDelta(pending, update, path) {
      try {
        create().applyUpdate(fromBase64(update));
      } catch (e) {
        if (e instanceof DecodeError) bad(path, 'decode', e.message);
        throw e;
      }
      const u = [...((pending?.u as string[] | undefined) ?? []), update];
      distinct(u, path);
      return { k: tag, u };
    },
  };
}

/** Text fields (`k: 't'`): materialize to a string. */
export const textKind: SequenceKind = makeKind(
  't',
  (r) => new Text(r),
  (x) => x instanceof Text,
  (s) => s.toString(),
  textCodec as ContentCodec<unknown>,
);
/** List fields (`k: 'L'`): materialize to an array. */
export const listKind: SequenceKind = makeKind(
  'L',
  (r) => new List<unknown>(r),
  (x) => x instanceof List,
  (s) => (s as List<unknown>).toArray(),
  listCodec as ContentCodec<unknown>,
);
