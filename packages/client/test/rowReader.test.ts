import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileReader, type compileRowCodec } from '../src/collection/rowReader.js';

describe('compileReader', () => {
  afterEach(() => vi.unstubAllGlobals());

  const keys = ['title', 'odd "name"\u2028', 'n', 'missing', 'withDefault'];
  const cols = [0, 2, 1, -1, 3];
  const defaults = [undefined, undefined, undefined, undefined, { a: [1] }];
  const rows: unknown[][] = [
    ['a', 1, 'x', undefined],
    [undefined, undefined, undefined, { a: [2] }],
  ];

  function readAll(read: ReturnType<typeof compileReader>) {
    const cells = rows.flat();
    return rows.map((_, r) => read(`id${r}`, cells, r * 4));
  }

  it('compiled and generic (no eval, as under a strict CSP) readers agree with materialize rules', () => {
    const compiled = readAll(compileReader(keys, cols, defaults));
    vi.stubGlobal(
      'Function',
      class {
        constructor() {
          throw new EvalError('unsafe-eval blocked');
        }
      },
    );
    const generic = readAll(compileReader(keys, cols, defaults));
    const want = [
      { id: 'id0', title: 'a', 'odd "name"\u2028': 'x', n: 1, withDefault: { a: [1] } },
      { id: 'id1', withDefault: { a: [2] } },
    ];
    expect(compiled).toEqual(want);
    expect(generic).toEqual(want);
    // Defaults are copies, never the type's own object.
    expect(compiled[0]!.withDefault).not.toBe(defaults[4]);
    expect(Object.keys(compiled[0]!)).toEqual(Object.keys(generic[0]!));
  });
});

describe('compileRowCodec', () => {
  afterEach(() => vi.unstubAllGlobals());

  const names = ['title', 'odd "name"\u2028', 'n'];
  const cells: unknown[] = ['a', undefined, 0, undefined, undefined, undefined];

  function exercise(codec: ReturnType<typeof compileRowCodec>) {
    const out: unknown[] = [];
    const written: unknown[] = new Array<unknown>(3);
    // Counts only the registers it has a column for: `extra` has none (the caller adds one).
    const count = codec.write({ n: 2, 'odd "name"\u2028': false, extra: 1 }, written, 0);
    out.push(codec.registers(cells, 0), codec.registers(cells, 3), written, count);
    return out;
  }

  it('compiled and generic (no eval) codecs read and write the same registers', async () => {
    // A fresh module: a refusal seen by another test is remembered (no eval tried again).
    vi.resetModules();
    const { compileRowCodec } = await import('../src/collection/rowReader.js');
    const fn = compileRowCodec(names).registers;
    expect(fn.name).toBe('anonymous'); // compiled by new Function, not the generic closure
    const compiled = exercise(compileRowCodec(names));
    vi.stubGlobal(
      'Function',
      class {
        constructor() {
          throw new EvalError('unsafe-eval blocked');
        }
      },
    );
    const generic = exercise(compileRowCodec(names));
    const want = [{ title: 'a', n: 0 }, undefined, [undefined, false, 2], 2];
    expect(compiled).toEqual(want);
    expect(generic).toEqual(want);
  });
});
