import type { DocState } from '@fieldsync/core';
import type { Doc } from '../query/types.js';
import type { RowStore } from './RowStore.js';

/**
 * `collection.states`: the CRDT state of every document (deleted ones included) as a read-only
 * map over the row store. A plain row's state is built on each `get` (a copy: mutating it
 * changes nothing until it is stored again through the write path).
 */
export class StatesView implements ReadonlyMap<string, DocState> {
  constructor(private readonly rows: RowStore) {}

  get size(): number {
    return this.rows.size;
  }

  get(id: string): DocState | undefined {
    return this.rows.state(id);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  keys(): IterableIterator<string> {
    return this.rows.allIds();
  }

  *values(): IterableIterator<DocState> {
    for (const id of this.rows.allIds()) yield this.rows.state(id) as DocState;
  }

  *entries(): IterableIterator<[string, DocState]> {
    for (const id of this.rows.allIds()) yield [id, this.rows.state(id) as DocState];
  }

  [Symbol.iterator](): IterableIterator<[string, DocState]> {
    return this.entries();
  }

  forEach(fn: (value: DocState, key: string, map: ReadonlyMap<string, DocState>) => void): void {
    for (const [id, state] of this.entries()) fn(state, id, this);
  }
}

/**
 * `collection.docs`: the materialized documents that are not deleted, as a read-only map over the
 * row store (built on read; see `RowStore` for which objects stay the same).
 */
export class DocsView implements ReadonlyMap<string, Doc> {
  constructor(private readonly rows: RowStore) {}

  get size(): number {
    return this.rows.liveSize;
  }

  get(id: string): Doc | undefined {
    return this.rows.doc(id);
  }

  has(id: string): boolean {
    return this.rows.hasDoc(id);
  }

  keys(): IterableIterator<string> {
    return this.rows.liveIds();
  }

  values(): IterableIterator<Doc> {
    return this.rows.allDocs();
  }

  *entries(): IterableIterator<[string, Doc]> {
    for (const doc of this.rows.allDocs()) yield [doc.id, doc];
  }

  [Symbol.iterator](): IterableIterator<[string, Doc]> {
    return this.entries();
  }

  forEach(fn: (value: Doc, key: string, map: ReadonlyMap<string, Doc>) => void): void {
    for (const doc of this.rows.allDocs()) fn(doc, doc.id, this);
  }
}
