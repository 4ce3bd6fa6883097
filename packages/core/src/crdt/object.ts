/**
 * Object with per-key merge: each key holds its own field state (a register for a scalar, or a
 * nested object, set, ...), and merging two objects merges key by key. That is why Anna's edit of
 * `address.street` and Ben's edit of `address.city` both survive. The merge of a key's state is
 * passed in, because what a key holds is decided by the type (see document/fieldKind.ts).
 */
export interface ObjectState<S = unknown> {
  k: 'o';
  f: Record<string, S>;
}

/** An empty object state. */
export function emptyObject<S>(): ObjectState<S> {
  return { k: 'o', f: {} };
}

/** Key-wise join; keys present on one side only are taken as they are. Pure. */
export function mergeObject<S>(
  a: ObjectState<S>,
  b: ObjectState<S>,
  mergeChild: (key: string, x: S, y: S) => S,
): ObjectState<S> {
  if (a === b) return a;
  const f: Record<string, S> = {};
  for (const key in a.f) f[key] = a.f[key] as S;
  for (const key in b.f) {
    const y = b.f[key] as S;
    const x = f[key];
    f[key] = x === undefined ? y : mergeChild(key, x, y);
  }
  return { k: 'o', f };
}
