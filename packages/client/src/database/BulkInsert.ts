import type { AppliedChange, TypeDef } from '@fieldsync/core';
import { createAndApplyInsert } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import { existsError } from '../collection/Collection.js';
import { ModifierError } from '../query/errors.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import type { InsertQueue } from './InsertQueue.js';
import type { Outbox } from './Outbox.js';
import type { ReplicaClock } from './ReplicaClock.js';
import type { Transactions } from './Transactions.js';

/** What a bulk insert needs from the rest of the database. */
export interface BulkInsertHost {
  readonly queue: CommitQueue;
  readonly outbox: Outbox;
  readonly collections: Collections;
  readonly clock: ReplicaClock;
  readonly tx: Transactions;
  /** How the inserts wait in the outbox. */
  readonly inserts: InsertQueue;
}

/**
 * Inserts new documents in bulk, all or nothing: states, indexes, outbox and one storage batch
 * are updated together and live queries notified once. Outside a transaction each change is
 * applied as soon as it is built (a 100,000-change array would outlive the young generation and
 * be copied by the GC), and an invalid document undoes the ones before it, inside the same
 * batch, so nobody is notified and nothing reaches storage or the outbox (the clock keeps the
 * ticks it made: stamps no change carries). In a transaction every change is built (and
 * validated) before any is applied, since the transaction may go on after a failed insert.
 */
export function insertNew(
  host: BulkInsertHost,
  collection: Collection,
  type: TypeDef,
  ids: readonly string[],
  records: readonly Record<string, unknown>[],
): void {
  const { queue, outbox, collections, tx, inserts } = host;
  const clock = host.clock.clock;
  const build = (i: number): AppliedChange =>
    createAndApplyInsert(clock, type, ids[i] as string, records[i] as Record<string, unknown>, 'id');
  let built: AppliedChange[] | undefined;
  if (tx.active) {
    for (const id of ids) if (collection.states.has(id)) throw existsError(id);
    if (new Set(ids).size !== ids.length) throw new ModifierError('insertMany got the same id twice', 'id');
    built = ids.map((_, i) => build(i));
  } else queue.beginStaging();
  let done = 0;
  collections.batch(() => {
    collection.bulk(
      () => {
        try {
          for (; done < ids.length; done++) {
            const id = ids[done] as string;
            const { change, state } = built?.[done] ?? build(done);
            const row = collection.insertState(id, state);
            if (row < 0) {
              throw ids.indexOf(id) < done
                ? new ModifierError('insertMany got the same id twice', 'id')
                : existsError(id);
            }
            tx.recordInsert(collection, id);
            tx.recordChange(change.id);
            inserts.push(collection, id, change, state, row);
            queue.putDoc(collection.name, id);
          }
        } catch (e) {
          if (built === undefined) {
            outbox.dropNewest(done);
            for (let i = done - 1; i >= 0; i--) collection.applyState(ids[i] as string, undefined);
            queue.endStaging(false, e);
          }
          throw e;
        }
      },
      ids.length > 1000 && ids.length * 4 > collection.docs.size,
    );
    if (built === undefined) queue.endStaging(true);
    host.clock.persist();
  });
}
