import type { DocState } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import type { Doc } from '../query/types.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import type { Outbox } from './Outbox.js';

/** What a transaction restores for one document it touched. */
interface Undo {
  collection: Collection;
  id: string;
  /** The state before the transaction first touched the document (states are never mutated). */
  before: DocState | undefined;
  /** The materialized document before, restored as the same object so live queries see no change. */
  doc: Doc | undefined;
}

/**
 * All-or-nothing groups of writes. While one runs, every write records what it replaces (once
 * per document) and the change it queued; the storage batch is staged apart. If the function
 * throws, memory is restored from the records, the changes leave the outbox, and the staged
 * batch is dropped — nothing reaches storage, the outbox or a subscriber.
 */
export class Transactions {
  #undo: Undo[] | undefined;
  #changes: string[] = [];
  readonly #touched = new Set<string>();

  constructor(
    private readonly queue: CommitQueue,
    private readonly outbox: Outbox,
    private readonly collections: Collections,
  ) {}

  /** True while a transaction runs (writes must be recorded). */
  get active(): boolean {
    return this.#undo !== undefined;
  }

  /** A write is about to replace document `id` (state `before`): remember it, the first time. */
  recordWrite(collection: Collection, id: string, before: DocState | undefined): void {
    const undo = this.#undo;
    if (!undo) return;
    const key = `${collection.name}\u0000${id}`;
    if (this.#touched.has(key)) return;
    this.#touched.add(key);
    undo.push({ collection, id, before, doc: collection.docs.get(id) });
  }

  /** A new document was inserted (its undo is removal; no lookup of a previous state). */
  recordInsert(collection: Collection, id: string): void {
    this.#undo?.push({ collection, id, before: undefined, doc: undefined });
  }

  /** A change this transaction queued in the outbox. */
  recordChange(id: string): void {
    if (this.#undo) this.#changes.push(id);
  }

  /**
   * Runs `fn` as one transaction (nested: part of the running one). `fn` must be synchronous,
   * like an IndexedDB transaction. Resolves when all its writes are durable.
   */
  run(fn: () => void): Promise<void> {
    if (this.#undo) {
      fn();
      return this.queue.durable();
    }
    this.#undo = [];
    this.#changes = [];
    this.queue.beginStaging();
    try {
      this.collections.batch(() => {
        try {
          fn();
        } catch (e) {
          this.#rollback(this.#undo ?? []);
          this.queue.endStaging(false, e);
          throw e;
        }
      });
      this.queue.endStaging(true);
    } finally {
      this.#undo = undefined;
      this.#touched.clear();
      this.#changes = [];
    }
    return this.queue.durable();
  }

  #rollback(undo: Undo[]): void {
    for (const u of undo.reverse()) u.collection.applyState(u.id, u.before, u.doc);
    for (const id of this.#changes) this.outbox.drop(id);
    this.#changes = [];
  }
}
