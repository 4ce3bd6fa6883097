import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileReader } from '../src/collection/rowReader.js';

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
