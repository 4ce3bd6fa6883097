import type { Change, DocState } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import { isPlainState, rowStamps } from '../collection/plainRow.js';
import { InsertRun } from './InsertRuns.js';
import type { Outbox } from './Outbox.js';

/**
 * How a bulk insert queues its changes in the outbox (`BulkInsert`). The only place that chooses
 * how inserts wait for the server; the rest of the write path queues plain changes.
 */
export interface InsertQueue {
  /** Queues the insert `change` of new document `id`, whose `state` is now stored at `row`. */
  push(collection: Collection, id: string, change: Change, state: DocState, row: number): void;
}

/** Every insert waits in the outbox as its plain change. */
export class PlainInserts implements InsertQueue {
  constructor(private readonly outbox: Outbox) {}

  push(_collection: Collection, _id: string, change: Change): void {
    this.outbox.push(change.id, change);
  }
}

/**
 * Inserts wait in the outbox by reference to their rows: a run of consecutive inserts of one
 * collection with the same fields is one outbox entry with two slots per insert (`InsertRun`),
 * and each change is rebuilt from its row when read. 100,000 plain changes would hold about
 * 1 + 1 + n objects each until the server acknowledged them; a run holds a stamp and a document
 * id. Before such a row changes (a write, merge, eviction or rollback) the collection's rows tell
 * the outbox (`RowStore.watch`), which captures the values, so what is pushed is what was written.
 * An insert whose row does not hold exactly its change's values (defaults of other kinds, a
 * register at its own stamp) is queued as a plain change.
 */
export class InsertsByReference implements InsertQueue {
  /** The run taking inserts now (one bulk insert; a plain change in between ends it). */
  #run: InsertRun | undefined;

  constructor(private readonly outbox: Outbox) {}

  push(collection: Collection, id: string, change: Change, state: DocState, row: number): void {
    const outbox = this.outbox;
    if (state.s !== change.stamp || !isPlainState(state, collection.name) || rowStamps(state) !== undefined) {
      outbox.push(change.id, change);
      this.#run = undefined;
      return;
    }
    let run = this.#run;
    if (
      run === undefined ||
      !outbox.takesInto(run) ||
      run.collection !== collection.name ||
      !sameNames(run.names, state.r)
    ) {
      run = this.#run = new InsertRun(
        collection.name,
        change.type,
        change.v,
        change.th as string,
        Object.keys(state.r),
      );
      collection.watchRows(outbox.rowWatcher(collection.name));
    }
    outbox.pushRef(run, id, change, row);
  }
}

/** True if `record`'s keys are `names`, in order (no array built: this runs once per inserted document). */
function sameNames(names: readonly string[], record: Record<string, unknown>): boolean {
  let i = 0;
  for (const key in record) if (names[i++] !== key) return false;
  return i === names.length;
}
