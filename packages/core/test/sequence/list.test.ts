import { describe, expect, it } from 'vitest';
import { List } from '../../src/sequence/index.js';

function fork<T>(base: List<T>, ids: string[]): List<T>[] {
  return ids.map((id) => List.decode<T>(base.encode(), id));
}

describe('List', () => {
  it('insert, delete, move, get and toArray behave like an array', () => {
    const l = new List<{ id: number } | string>('a');
    l.insert(0, 'a', 'b', 'c');
    l.push({ id: 1 });
    l.insert(1, 'x');
    expect(l.toArray()).toEqual(['a', 'x', 'b', 'c', { id: 1 }]);
    l.move(0, 4);
    expect(l.toArray()).toEqual(['x', 'b', 'c', { id: 1 }, 'a']);
    l.move(3, 0);
    expect(l.toArray()).toEqual([{ id: 1 }, 'x', 'b', 'c', 'a']);
    l.delete(1, 2);
    expect(l.toArray()).toEqual([{ id: 1 }, 'c', 'a']);
    expect(l.get(1)).toBe('c');
    expect(l.get(3)).toBeUndefined();
    expect(List.decode(l.encode()).toArray()).toEqual(l.toArray());
  });

  it('concurrent moves of the same item do not duplicate it; the later stamp wins', () => {
    const base = new List<string>('o');
    base.insert(0, 'a', 'b', 'c', 'd');
    const [p, q] = fork(base, ['p', 'q']) as [List<string>, List<string>];
    p.move(0, 3); // b c d a
    q.move(0, 1); // b a c d
    q.move(1, 2); // b c a d (q's stamp is higher)
    p.merge(q);
    q.merge(p);
    expect(p.toArray()).toEqual(q.toArray());
    expect(p.toArray()).toEqual(['b', 'c', 'a', 'd']);
  });

  it('a move concurrent with a delete keeps the element at its moved place', () => {
    const base = new List<string>('o');
    base.insert(0, 'a', 'b', 'c');
    const [p, q] = fork(base, ['p', 'q']) as [List<string>, List<string>];
    p.delete(0, 1);
    q.move(0, 2);
    p.merge(q);
    q.merge(p);
    expect(p.toArray()).toEqual(['b', 'c', 'a']);
    expect(q.toArray()).toEqual(p.toArray());
  });

  it('concurrent inserts and deletes of values merge without loss', () => {
    const base = new List<number>('o');
    base.insert(0, 1, 2, 3);
    const [p, q] = fork(base, ['p', 'q']) as [List<number>, List<number>];
    p.insert(1, 10, 11);
    q.delete(2, 1);
    q.insert(0, 0);
    p.merge(q);
    q.merge(p);
    expect(p.toArray()).toEqual([0, 1, 10, 11, 2]);
    expect(q.toArray()).toEqual(p.toArray());
  });
});
