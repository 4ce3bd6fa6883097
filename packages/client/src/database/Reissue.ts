import type { Change } from '@fieldsync/core';
import { docFromJSON, docToJSON, parseStamp } from '@fieldsync/core';
import type { SyncClient } from '../sync/SyncClient.js';
import type { SyncStateIndex } from '../syncstate/SyncStateIndex.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import type { Outbox } from './Outbox.js';
import type { RemoteMerge } from './RemoteMerge.js';
import type { ReplicaClock } from './ReplicaClock.js';
import { renameCounterReplica, restamp } from './restamp.js';
import type { TypeStore } from './TypeStore.js';

/** What re-issuing needs from the rest of the database. */
export interface ReissueHost {
  readonly queue: CommitQueue;
  readonly outbox: Outbox;
  readonly collections: Collections;
  readonly clock: ReplicaClock;
  readonly types: TypeStore;
  readonly merge: RemoteMerge;
  /** Re-issued changes keep their writes' server promises (`WritePromise.server`). */
  readonly syncIndex: SyncStateIndex;
  sync(): SyncClient | undefined;
}

/**
 * Changes the server refused: those a fresh stamp cures are re-issued as new writes made now
 * (`clock_drift`, `id_conflict`, `replica_taken`); the others are set aside for the app, which may
 * queue one again (`retry`) or drop it, returning its document to the server's state (`discard`).
 */
export class Reissue {
  constructor(private readonly host: ReissueHost) {}

  /**
   * Re-issues pending changes `ids` under fresh stamps (see `SyncHost.reissue`); returns the new
   * ids. `clock_drift`: the clock is rewound to the server-corrected time first; `replica_taken`:
   * this device moves to a new replica id.
   */
  reissue(ids: readonly string[], code: string): string[] {
    const { clock, collections, outbox } = this.host;
    if (code === 'clock_drift') clock.rewindIfAhead(1000);
    let rotated = false;
    if (code === 'replica_taken' && ids.some((id) => parseStamp(id).replica === clock.replica)) {
      clock.rotate();
      rotated = true;
    }
    const out: string[] = [];
    collections.batch(() => {
      for (const id of [...ids].sort()) {
        const change = outbox.take(id) as Change | undefined;
        if (change === undefined) continue;
        const next = this.#restamp(change, rotated);
        this.host.syncIndex.reissued(id, next);
        out.push(next);
      }
    });
    return out;
  }

  /** Queues a set-aside change again, under a fresh stamp (a new write made now). */
  retry(id: string): void {
    const r = this.host.outbox.takeRejected(id);
    if (r === undefined) throw new Error(`no rejected change ${id}`);
    this.host.collections.batch(() => this.#restamp(r.change as Change, false));
  }

  /**
   * Drops a set-aside change and returns its document to the server's state (plus this device's
   * other changes to it that are still queued or set aside). Needs the server: rejects, keeping
   * the change, when it cannot be reached.
   */
  async discard(id: string, stillOpen: () => void): Promise<void> {
    const { outbox, merge } = this.host;
    const r = outbox.rejected().find((x) => x.id === id);
    if (r === undefined) throw new Error(`no rejected change ${id}`);
    const change = r.change as Change;
    const sync = this.host.sync();
    if (!sync) throw new Error('discard needs a sync server to restore the document from');
    const fetched = await sync.fetchDocs([change.doc]);
    stillOpen();
    if (outbox.takeRejected(id) === undefined) return; // discarded meanwhile
    merge.resetDocs([change.doc], fetched.docs, change.type);
  }

  /**
   * Re-issues `change` (already removed from the outbox) as a new write made now: a fresh stamp
   * replaces its stamp in the change and in its document's state (`restamp`), and it is queued
   * again. `rotated`: the replica id was rotated away from the change's, so the document's
   * counter totals of the old replica move to the new one.
   */
  #restamp(change: Change, rotated: boolean): string {
    const { clock, collections, queue, outbox, types } = this.host;
    const stamp = clock.clock.now();
    const next = restamp(change, change.stamp, stamp) as Change;
    const c = collections.get(change.type);
    const state = c.states.get(change.doc);
    if (state) {
      let json = restamp(docToJSON(state), change.stamp, stamp);
      if (rotated) json = renameCounterReplica(json, parseStamp(change.stamp).replica, clock.replica);
      c.applyState(change.doc, docFromJSON(json));
    } else {
      c.applyState(change.doc, types.registry.applyChange(undefined, next));
    }
    queue.putDoc(c.name, change.doc);
    outbox.push(next.id, next);
    clock.persist();
    return next.id;
  }
}
