import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';

function typeForward(t: Text, at: number, word: string): void {
  for (let i = 0; i < word.length; i++) t.insert(at + i, word[i]!);
}

/** Typing a word right to left: every character goes in at the same index. */
function typeBackward(t: Text, at: number, word: string): void {
  for (let i = word.length - 1; i >= 0; i--) t.insert(at, word[i]!);
}

function fork(base: Text, ids: string[]): Text[] {
  return ids.map((id) => Text.decode(base.encode(), id));
}

function mergeAll(reps: Text[]): void {
  for (const a of reps) for (const b of reps) if (a !== b) a.merge(b);
}

describe('concurrent insertions at the same place never interleave', () => {
  for (const [name, type] of [
    ['typed forwards', typeForward],
    ['typed backwards', typeBackward],
  ] as const) {
    it(`two replicas, ${name}, in the middle of existing text`, () => {
      const base = new Text('base');
      base.insert(0, '12');
      const [a, b] = fork(base, ['alice', 'bob']) as [Text, Text];
      type(a, 1, 'abc');
      type(b, 1, 'xyz');
      mergeAll([a, b]);
      expect(a.toString()).toBe(b.toString());
      expect(['1abcxyz2', '1xyzabc2']).toContain(a.toString());
    });

    it(`three replicas, ${name}, at the start of an empty text`, () => {
      const [a, b, c] = fork(new Text('base'), ['r1', 'r2', 'r3']) as [Text, Text, Text];
      type(a, 0, 'aaaa');
      type(b, 0, 'bbbb');
      type(c, 0, 'cccc');
      mergeAll([a, b, c]);
      expect(a.toString()).toBe(c.toString());
      expect(a.toString()).toMatch(/^(aaaa|bbbb|cccc){3}$/);
      expect(new Set(a.toString().match(/(.)\1{3}/g))).toEqual(new Set(['aaaa', 'bbbb', 'cccc']));
    });
  }

  it('a concurrent word typed inside a word stays whole', () => {
    const base = new Text('base');
    base.insert(0, 'hello world');
    const [a, b] = fork(base, ['a', 'b']) as [Text, Text];
    typeForward(a, 5, ', dear');
    typeForward(b, 5, ' big');
    mergeAll([a, b]);
    expect(['hello, dear big world', 'hello big, dear world']).toContain(a.toString());
    expect(b.toString()).toBe(a.toString());
  });
});
