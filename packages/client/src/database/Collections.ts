import type { DocState } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import type { StoredDoc } from '../storage/StorageAdapter.js';

/**
 * The database's collections by name, and when their live queries hear of writes: at once after
 * a write, or once at the end of a `batch` (a bulk insert, a pulled page, a transaction).
 */
export class Collections {
  readonly #byName = new Map<string, Collection>();
  /** The collections in creation order, for `notify` (no iterator per write). */
  #list: Collection[] = [];
  #batchDepth = 0;
  #notifying = false;

  constructor(private readonly create: (name: string) => Collection) {}

  /** The collection `name`, created on first use. */
  get(name: string): Collection {
    let c = this.#byName.get(name);
    if (!c) {
      this.#byName.set(name, (c = this.create(name)));
      this.#list = [...this.#byName.values()];
    }
    return c;
  }

  /** The collection `name` if it exists (reading does not create one). */
  find(name: string): Collection | undefined {
    return this.#byName.get(name);
  }

  all(): readonly Collection[] {
    return this.#list;
  }

  /** The collection holding document `id`, if any. */
  holding(id: string): Collection | undefined {
    for (const c of this.#list) if (c.states.has(id)) return c;
    return undefined;
  }

  /** The current state of document `id` of `collection`, if any. */
  state(collection: string, id: string): DocState | undefined {
    return this.#byName.get(collection)?.states.get(id);
  }

  /** Runs `fn` (synchronously); live queries are notified once, at the end. */
  batch<T>(fn: () => T): T {
    this.#batchDepth++;
    try {
      return fn();
    } finally {
      this.#batchDepth--;
      this.notify();
    }
  }

  /** Delivers pending live-query results, unless inside a batch. */
  notify(): void {
    if (this.#batchDepth > 0 || this.#notifying) return;
    this.#notifying = true;
    try {
      // Listeners may write; those writes are delivered in a following round, never nested.
      let again = true;
      while (again) {
        again = false;
        for (const c of this.#list) {
          if (c.live.hasPending) {
            c.live.flush();
            again = true;
          }
        }
      }
    } finally {
      this.#notifying = false;
    }
  }

  /** Every document's current state (for an attached in-memory adapter being reopened). */
  liveDocs(): StoredDoc[] {
    const out: StoredDoc[] = [];
    for (const c of this.#list)
      for (const [id, state] of c.states) out.push({ collection: c.name, id, state });
    return out;
  }

  /** The ids of every document. */
  docIds(): string[] {
    const out: string[] = [];
    for (const c of this.#list) for (const id of c.states.keys()) out.push(id);
    return out;
  }
}
