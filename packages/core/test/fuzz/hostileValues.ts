import fc from 'fast-check';

/**
 * Hostile JSON for the decoder fuzzers. Values are generated as *descriptions* and built inside
 * the property ({@link build}): a counterexample then prints as a few fields, where printing a
 * 30,000-level value would itself overflow the stack.
 */

/** Any UTF-16 code unit, NUL and lone surrogates included. */
export const hostileString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 24,
});

/** Strings that broke (or could break) a check somewhere: names, stamps, numbers in disguise. */
export const edgeString = fc.oneof(
  hostileString,
  fc.constantFrom(
    '',
    '\u0000',
    '\ud800',
    '\udfff',
    'a\ud83d',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '$deleted',
    '$x',
    'NaN',
    'Infinity',
    '-0',
    '1e400',
    '0x10',
    'k',
    'o',
    't',
    'L',
    '😀',
  ),
);

const scalar = fc.oneof(
  edgeString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, -1, 2 ** 31, 2 ** 53),
);

/** Small arbitrary JSON (with hostile strings and keys). */
export const { value: anyJson } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(edgeString, tie('value'), { maxKeys: 4 }),
  ),
}));

/** A hostile value, described. */
export type Hostile =
  | { json: unknown }
  /** Nested `depth` levels: arrays, plain objects, object field states/deltas, or `f` maps. */
  | { deep: number; shape: 'array' | 'object' | 'field' | 'f' }
  /** An array of `n` copies of `item`, or a string of `n` code units. */
  | { big: number; of: 'array' | 'string' }
  /** An object with an own key `__proto__` or `constructor` (as JSON.parse makes them). */
  | { protoKey: '__proto__' | 'constructor'; json: unknown }
  | { undef: true };

export const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 6, arbitrary: anyJson.map((json) => ({ json })) },
  {
    weight: 2,
    arbitrary: fc.record({
      deep: fc.oneof(fc.integer({ min: 30, max: 200 }), fc.integer({ min: 1000, max: 30_000 })),
      shape: fc.constantFrom('array' as const, 'object' as const, 'field' as const, 'f' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      big: fc.integer({ min: 10_000, max: 200_000 }),
      of: fc.constantFrom('array' as const, 'string' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      protoKey: fc.constantFrom('__proto__' as const, 'constructor' as const),
      json: anyJson,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ undef: true as const }) },
);

/** Builds a described value (iteratively: building must not recurse per level either). */
export function build(h: Hostile): unknown {
  if ('undef' in h) return undefined;
  if ('protoKey' in h)
    return JSON.parse(`{${JSON.stringify(h.protoKey)}:${JSON.stringify(h.json) ?? 'null'}}`);
  if ('json' in h) return structuredClone(h.json);
  if ('big' in h) return h.of === 'string' ? 'x'.repeat(h.big) : new Array<number>(h.big).fill(1);
  let v: unknown = h.shape === 'field' ? { v: 1 } : 1;
  for (let i = 0; i < h.deep; i++) {
    if (h.shape === 'array') v = [v];
    else if (h.shape === 'object') v = { a: v };
    else if (h.shape === 'field') v = { k: 'o', f: { a: v } };
    else v = { f: { a: v } };
  }
  return v;
}

/** Whether a described value is too deep for recursive test helpers (canonicalJson, structuredClone). */
export const isDeep = (h: Hostile): boolean => 'deep' in h && h.deep > 1000;
