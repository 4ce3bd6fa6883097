import { fcParams } from '../../../testing/fcSeed.js';
import type { DocState, TypeDef } from '@fieldsync/core';
import {
  applyChange,
  createChange,
  docToJSON,
  encodeDoc,
  HybridLogicalClock,
  materialize,
} from '@fieldsync/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowStore } from '../src/collection/RowStore.js';

const type: TypeDef = {
  name: 'task',
  version: 1,
  fields: {
    title: { type: 'string' },
    n: { type: 'number' },
    at: { type: 'number', default: 7 },
    tags: { type: 'set', of: { type: 'string' } },
    body: { type: 'text' },
  },
};

function store(): RowStore {
  return new RowStore('task', { typeFor: () => type, view: (s) => materialize(s, type) });
}

const clock = new HybridLogicalClock({ replica: 'rows' });
const write = (
  doc: DocState | undefined,
  id: string,
  intents: Parameters<typeof createChange>[0]['intents'],
) => applyChange(doc, createChange({ clock, type, doc, docId: id, intents }), type);

const bytes = (s: DocState) => Buffer.from(encodeDoc(s)).toString();

describe('RowStore', () => {
  it('gives back every state exactly (canonical bytes), plain or promoted, across overwrites and deletes', () => {
    const ops = fc.array(
      fc.record({
        doc: fc.integer({ min: 0, max: 5 }),
        op: fc.constantFrom('title', 'n', 'unsetN', 'tags', 'delete', 'drop'),
        value: fc.double({ noNaN: true, min: -1e15, max: 1e15 }),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(ops, (list) => {
        const rows = store();
        const model = new Map<string, DocState>();
        for (const { doc, op, value } of list) {
          const id = `doc${doc}`;
          if (op === 'drop') {
            rows.delete(id);
            model.delete(id);
            continue;
          }
          const prev = rows.state(id);
          const intents =
            op === 'title'
              ? [{ op: 'set' as const, path: ['title'], value: `t${value}` }]
              : op === 'n'
                ? [{ op: 'set' as const, path: ['n'], value }]
                : op === 'unsetN'
                  ? [{ op: 'unset' as const, path: ['n'] }]
                  : op === 'tags'
                    ? [{ op: 'add' as const, path: ['tags'], values: ['x'] }]
                    : [{ op: 'delete' as const }];
          const next = write(prev, id, intents);
          rows.set(id, next);
          model.set(id, next);
        }
        expect(rows.size).toBe(model.size);
        for (const [id, state] of model) {
          const got = rows.state(id) as DocState;
          expect(bytes(got)).toBe(bytes(state));
          const deleted = state.deleted?.v === true;
          expect(rows.hasDoc(id)).toBe(!deleted);
          expect(rows.doc(id)).toEqual(deleted ? undefined : materialize(state, type));
        }
        expect([...rows.allIds()].sort()).toEqual([...model.keys()].sort());
      }),
      fcParams('row store', 300),
    );
  });

  it('returns a copy of a plain row: mutating it changes nothing until set', () => {
    const rows = store();
    rows.set('a', write(undefined, 'a', [{ op: 'set', path: ['title'], value: 'one' }]));
    const copy = rows.state('a') as DocState;
    copy.r.title = 'two';
    expect(rows.doc('a')?.title).toBe('one');
    rows.set('a', copy);
    expect(rows.doc('a')?.title).toBe('two');
    // An updated row (registers at their own stamps, with the stamps their writers had seen) is
    // still a plain row; the state it gives out is a copy down to those stamps.
    rows.set('a', write(rows.state('a'), 'a', [{ op: 'set', path: ['n'], value: 1 }]));
    expect(rows.state('a')).not.toBe(rows.state('a'));
    const stored = bytes(rows.state('a') as DocState);
    const other = rows.state('a') as DocState;
    other.r.n = 2;
    other.r.title = 'three';
    expect(other.t.n).toBeDefined(); // n has its own stamp: the record is the row's, copied
    other.t.n = other.s;
    other.s = '0';
    expect(bytes(rows.state('a') as DocState)).toBe(stored);
  });

  it('keeps the same document object until the row changes; fills defaults; keeps numbers unboxed through holes', () => {
    const rows = store();
    rows.set('a', write(undefined, 'a', [{ op: 'set', path: ['n'], value: 1.5 }]));
    rows.set('b', write(undefined, 'b', [{ op: 'set', path: ['title'], value: 'b' }]));
    const a = rows.doc('a');
    // Fields nobody wrote: the declared default, or the typed empty value of a set ([]) and text ('').
    expect(a).toEqual({ id: 'a', n: 1.5, at: 7, tags: [], body: '' });
    expect(Object.isFrozen(a)).toBe(true);
    expect(rows.doc('a')).toBe(a);
    expect(rows.doc('b')).toEqual({ id: 'b', title: 'b', at: 7, tags: [], body: '' });
    rows.set('a', write(rows.state('a'), 'a', [{ op: 'set', path: ['n'], value: 2 }]));
    expect(rows.doc('a')).not.toBe(a);
    expect(rows.doc('a')?.n).toBe(2);
    // A deleted row's slot is reused without leaking its values.
    rows.delete('a');
    rows.set('c', write(undefined, 'c', [{ op: 'set', path: ['title'], value: 'c' }]));
    expect(rows.doc('c')).toEqual({ id: 'c', title: 'c', at: 7, tags: [], body: '' });
    expect(docToJSON(rows.state('c') as DocState).fields).not.toHaveProperty('n');
  });
});
