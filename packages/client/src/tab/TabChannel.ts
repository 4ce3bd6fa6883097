import type { Intent } from '@fieldsync/core';
import { decodeBatch, encodeBatch } from '../storage/batchCodec.js';
import type { CommitBatch } from '../storage/StorageAdapter.js';
import type { SyncStatus } from '../sync/SyncStatus.js';

/** What one tab tells the others after a commit of its own is durable. */
export interface TabMessage {
  t: 'commit';
  batch: CommitBatch;
  /** The sender's clock after the commit, so receivers never stamp behind it. */
  clock: string | undefined;
}

/** A `TabMessage` on the wire. */
interface EncodedCommit {
  t: 'commit';
  b: string;
  clock: string | undefined;
}

/** A write a follower tab asks the leader to make (the leader alone issues stamps). */
export type ForwardedWrite =
  | {
      kind: 'write';
      collection: string;
      id: string;
      intents: Intent[];
      /**
       * For `seq` intents: how many operations of the device's replica the follower's copy of the
       * field held when it built the update. The leader refuses (`stale`) unless it holds as many,
       * so two tabs never create sequence operations under the same (replica, counter) id.
       */
      seqBase?: Record<string, number>;
      /** The replica id the follower built its sequence updates under. */
      replica?: string;
    }
  | { kind: 'insert'; collection: string; ids: string[]; records: Record<string, unknown>[] }
  | { kind: 'tx'; writes: ForwardedWrite[] }
  /** A set-aside change queued again (a new stamp) or dropped (the server's state fetched). */
  | { kind: 'retry' | 'discard'; id: string }
  | { kind: 'flush' };

/** A write refused by the leader, as plain data (errors do not cross BroadcastChannel intact). */
export interface ForwardError {
  name: string;
  message: string;
  code?: string;
  path?: string;
  rule?: string;
}

/** Messages between tabs of one database (one BroadcastChannel, so one sender's order holds). */
export type TabEnvelope =
  | TabMessage
  /** follower → leader: make this write; answered by `done` once durable. */
  | { t: 'fwd'; from: string; req: number; op: ForwardedWrite }
  /** leader → follower `to`: request `req` is durable (posted after its `commit`), or refused. */
  | { t: 'done'; to: string; req: number; error?: ForwardError }
  /** leader → all: the sync status followers show. */
  | { t: 'status'; status: SyncStatus }
  /** a new leader → all: re-send unanswered requests. A new follower → leader: send your status. */
  | { t: 'leader' }
  | { t: 'hello' };

/**
 * Cross-tab messages over `BroadcastChannel`. Tabs share the storage (IndexedDB), so a commit
 * message carries the committed states only so the receiver can merge them into memory, update
 * its indexes and notify its live queries without re-reading the database. Forwarded writes and
 * their answers travel on the same channel, after the commit they produced: a follower that gets
 * `done` already holds the result.
 */
export class TabChannel {
  private readonly channel: BroadcastChannel | undefined;

  constructor(name: string, onMessage: (msg: TabEnvelope) => void) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(`fieldsync:${name}`);
    this.channel.onmessage = (e: MessageEvent<TabEnvelope | EncodedCommit>) => {
      const m = e.data;
      onMessage(m.t === 'commit' && 'b' in m ? { t: 'commit', batch: decodeBatch(m.b), clock: m.clock } : m);
    };
  }

  /**
   * A commit travels as the string `batchCodec` makes (the one IndexedDB stored, reused): one
   * block to clone instead of an object graph of every state in it.
   */
  post(msg: TabEnvelope): void {
    const ch = this.channel;
    if (!ch) return;
    if (msg.t === 'commit') ch.postMessage({ t: 'commit', b: encodeBatch(msg.batch), clock: msg.clock });
    else ch.postMessage(msg);
  }

  close(): void {
    this.channel?.close();
  }
}
