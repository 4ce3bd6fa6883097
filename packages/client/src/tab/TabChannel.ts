import type { CommitBatch } from '../storage/StorageAdapter.js';

/** What one tab tells the others after a commit of its own is durable. */
export interface TabMessage {
  batch: CommitBatch;
  /** The sender's clock after the commit, so receivers never stamp behind it. */
  clock: string | undefined;
}

/**
 * Cross-tab notifications over `BroadcastChannel`. Tabs share the storage (IndexedDB), so a
 * message carries the committed states only so the receiver can merge them into memory, update
 * its indexes and notify its live queries without re-reading the database.
 */
export class TabChannel {
  private readonly channel: BroadcastChannel | undefined;

  constructor(name: string, onMessage: (msg: TabMessage) => void) {
    if (typeof BroadcastChannel === 'undefined') return;
    this.channel = new BroadcastChannel(`fieldsync:${name}`);
    this.channel.onmessage = (e: MessageEvent<TabMessage>) => onMessage(e.data);
  }

  post(msg: TabMessage): void {
    this.channel?.postMessage(msg);
  }

  close(): void {
    this.channel?.close();
  }
}
