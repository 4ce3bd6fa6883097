import { docFromJSON, encodeDoc } from '@fieldsync/core';
import type { CommitBatch, LoadedState, StorageAdapter } from '../src/index.js';
import { decodeBatch, encodeBatch } from '../src/storage/batchCodec.js';
import { BatchReplay } from '../src/storage/indexeddb/BatchReplay.js';

/**
 * IndexedDbStorage without IndexedDB: every batch one encoded record (the same codec), replayed
 * at open. For tests of what the browser storage writes and reopens, in Node.
 */
export class LogStorage implements StorageAdapter {
  readonly acceptsRows = true;
  readonly records: string[] = [];
  readonly batches: CommitBatch[] = [];
  async open(): Promise<LoadedState> {
    const replay = new BatchReplay();
    for (const r of this.records) replay.apply(decodeBatch(r));
    return replay.loaded();
  }
  async commit(batch: CommitBatch): Promise<void> {
    this.batches.push(batch);
    this.records.push(encodeBatch(batch));
  }
  async close(): Promise<void> {}
}

/** A document state (JSON form) as its canonical bytes, hex: equal states, equal strings. */
export const canonicalState = (state: unknown): string =>
  Buffer.from(encodeDoc(docFromJSON(state))).toString('hex');
