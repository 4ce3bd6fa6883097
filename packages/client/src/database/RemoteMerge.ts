import type { Change, DocState } from '@fieldsync/core';
import { docFromJSON, docToJSON, encodeDoc, mergeDocs } from '@fieldsync/core';
import type { Collection } from '../collection/Collection.js';
import type { Collections } from './Collections.js';
import type { CommitQueue } from './CommitQueue.js';
import { jsonEqual } from './jsonEqual.js';
import { maxStamp } from './maxStamp.js';
import type { Outbox } from './Outbox.js';
import type { ReceivedJson } from './ReceivedJson.js';
import type { ReplicaClock } from './ReplicaClock.js';
import type { TypeStore } from './TypeStore.js';
import type { TypeSync } from './TypeSync.js';

/** What merging remote states needs from the rest of the database. */
export interface RemoteMergeHost {
  readonly queue: CommitQueue;
  readonly outbox: Outbox;
  readonly collections: Collections;
  readonly clock: ReplicaClock;
  readonly types: TypeStore;
  readonly typeSync: TypeSync;
  /** Where a document adopted as it arrived leaves its JSON for storage. */
  readonly received: ReceivedJson;
}

/**
 * Documents arriving from elsewhere — the server's pull pages and events, a resync after the
 * server's store was replaced, another tab's commits — merged into the local ones (a join, so
 * nothing local is lost), or, past the server's history horizon and when a rejected change is
 * discarded, replacing them with this device's own pending changes re-applied on top. None of
 * this queues anything in the outbox: it came from elsewhere.
 */
export class RemoteMerge {
  constructor(private readonly host: RemoteMergeHost) {}

  /** Merges server states (`docToJSON` form); all are validated before anything changes. */
  applyRemote(docs: readonly unknown[]): void {
    const parsed = docs.map((d) => docFromJSON(d));
    this.#receiveStamps(docs);
    const { collections, queue, received } = this.host;
    collections.batch(() => {
      for (let i = 0; i < parsed.length; i++) {
        const incoming = parsed[i] as DocState;
        const c = collections.get(incoming.type);
        // New here: stored as it came (the state is `incoming` itself unless the row store took
        // it apart, and then it is stored by column).
        if (this.mergeIn(c, incoming.id, incoming) === undefined) received.remember(incoming, docs[i]);
        queue.putDoc(c.name, incoming.id);
      }
    });
  }

  /**
   * Resync after the server's store was replaced: merges one page of a full pull, and records the
   * documents the server has (`seen`) and those whose local state holds something the server's
   * lacks (`ahead`: pushed back whole). Identical states (the common case) cost one `docToJSON`
   * and a structural comparison, and no write.
   */
  resyncMerge(docs: readonly unknown[], seen: Set<string>, ahead: Set<string>): void {
    const { collections, queue, typeSync } = this.host;
    const differing: unknown[] = [];
    for (const raw of docs) {
      const { id, type } = raw as { id?: unknown; type?: unknown };
      if (typeof id !== 'string' || typeof type !== 'string') {
        differing.push(raw); // docFromJSON names what is wrong with it
        continue;
      }
      seen.add(id);
      const prev = collections.state(type, id);
      if (!prev || !jsonEqual(docToJSON(prev), raw)) differing.push(raw);
    }
    const parsed = differing.map((d) => docFromJSON(d)); // validates all before touching anything
    this.#receiveStamps(differing);
    collections.batch(() => {
      for (const incoming of parsed) {
        const c = collections.get(incoming.type);
        const prev = c.states.get(incoming.id);
        if (prev && sameBytes(encodeDoc(prev), encodeDoc(incoming))) continue;
        this.mergeIn(c, incoming.id, incoming);
        queue.putDoc(c.name, incoming.id);
        if (!prev) continue;
        const merged = c.states.get(incoming.id) as DocState;
        const theirs = merged.v === incoming.v ? incoming : typeSync.upgrade(incoming);
        if (!sameBytes(encodeDoc(merged), encodeDoc(theirs))) ahead.add(incoming.id);
      }
    });
  }

  /**
   * Replaces local documents by the server's states (`serverDocs`; an id among `ids` the server
   * did not return has no server state), then re-applies this device's queued and set-aside
   * changes of each on top. Used to discard a rejected change or a refused type, and after a full
   * resync past the server's history horizon (where merging would revive what the server
   * compacted away).
   */
  resetDocs(ids: readonly string[], serverDocs: readonly unknown[], typeHint?: string): void {
    const { collections, queue, outbox, types } = this.host;
    const server = new Map<string, DocState>();
    for (const d of serverDocs) {
      const state = docFromJSON(d);
      server.set(state.id, state);
    }
    collections.batch(() => {
      for (const id of ids) {
        let state = server.get(id);
        for (const { change } of outbox.changesOf(id))
          state = types.registry.applyChange(state, change as Change);
        const type = state?.type ?? typeHint ?? collections.holding(id)?.name;
        if (type === undefined) continue;
        const c = collections.get(type);
        if (state) {
          c.applyState(id, state);
          queue.putDoc(c.name, id);
        } else if (c.states.has(id)) {
          c.applyState(id, undefined);
          queue.deleteDoc(c.name, id);
        }
      }
    });
  }

  /** Removes documents that left the user's scope. */
  evict(ids: readonly string[]): void {
    const { collections, queue } = this.host;
    collections.batch(() => {
      for (const id of ids) {
        for (const c of collections.all()) {
          if (!c.states.has(id)) continue;
          c.applyState(id, undefined);
          queue.deleteDoc(c.name, id);
        }
      }
    });
  }

  /** Full states (`docToJSON`) of these local documents, to push back after a restore. */
  exportDocs(ids: readonly string[]): unknown[] {
    const out: unknown[] = [];
    for (const id of ids) {
      const state = this.host.collections.holding(id)?.states.get(id);
      if (state) out.push(docToJSON(state));
    }
    return out;
  }

  /** Merges a state received from elsewhere into `c` (adopted as is when new); returns the previous state. */
  mergeIn(c: Collection, id: string, incoming: DocState): DocState | undefined {
    const prev = c.states.get(id);
    c.applyState(id, prev ? this.#mergeAt(prev, incoming) : incoming);
    return prev;
  }

  /**
   * Merges two states of one document. At different versions both are upgraded to the newest
   * known one first (the same moves on both sides, so every replica computes the same join);
   * equal versions stay lazy.
   */
  #mergeAt(a: DocState, b: DocState): DocState {
    const { typeSync } = this.host;
    return a.v === b.v ? mergeDocs(a, b) : mergeDocs(typeSync.upgrade(a), typeSync.upgrade(b));
  }

  /** The database moves its clock past the stamps it receives. */
  #receiveStamps(docs: readonly unknown[]): void {
    let latest: string | undefined;
    for (const d of docs) latest = maxStamp(d, latest);
    if (latest !== undefined) this.host.clock.receive(latest);
  }
}

/** Equal canonical bytes (`encodeDoc`): equal states, whatever their key order. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
