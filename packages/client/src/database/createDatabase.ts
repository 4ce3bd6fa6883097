import { MemoryStorage } from '../storage/memory/MemoryStorage.js';
import type { StorageAdapter } from '../storage/StorageAdapter.js';
import { SyncClient } from '../sync/SyncClient.js';
import type { SyncOptions } from '../sync/SyncOptions.js';
import type { SyncHost } from '../sync/SyncHost.js';
import { TabSyncClient } from '../tab/TabSyncClient.js';
import { Database } from './Database.js';

/** A sync client attached to the database; started after open, stopped by `db.close()`. */
export type SyncPlugin = (host: SyncHost) => { close(): void | Promise<void> };

export interface DatabaseOptions {
  /**
   * Database name. With IndexedDB storage this names the browser database, so make it per
   * user: two accounts on one device must never share local data.
   */
  name: string;
  /** Where documents, the outbox and the clock are persisted. Default: in memory (not durable). */
  storage?: StorageAdapter;
  /**
   * Fixed replica id (tests, or a device id the app manages). Default: generated once and
   * persisted, so stamps stay unique and monotonic across restarts.
   */
  replicaId?: string;
  /**
   * Replicate with a fieldsync server: `{ url, token }` (see `SyncOptions`; starts at once unless
   * `autoStart: false`, exposed as `db.sync`), or a custom sync plugin factory.
   */
  sync?: SyncOptions | SyncPlugin;
  /** Wall clock for the hybrid logical clock; injectable for tests. */
  now?: () => number;
  /**
   * Tabs sharing one IndexedDB database: `'leader'` (default where the Web Locks API exists) elects
   * one tab that stamps, stores and syncs for all (one sync connection, one replica id per device;
   * the others forward their writes); `'independent'` lets every tab write and sync for itself
   * under its own replica id. See docs/client.md, "Tabs".
   */
  tabs?: 'leader' | 'independent';
}

/**
 * Opens (or creates) a local database and restores documents, outbox and clock from storage
 * before resolving, so the first read already sees everything the last session wrote.
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const storage = options.storage ?? new MemoryStorage();
  const loaded = await storage.open();
  const db = new Database({
    name: options.name,
    storage,
    loaded,
    replicaId: options.replicaId,
    now: options.now,
    tabs: options.tabs,
  });
  if (typeof options.sync === 'function') {
    const client = options.sync(db);
    db.onClose.push(() => client.close());
  } else if (options.sync) {
    const port = db.tabSyncPort();
    const client = port ? new TabSyncClient(db, options.sync, port) : new SyncClient(db, options.sync);
    db.sync = client;
    db.onClose.push(() => client.stop());
    if (options.sync.autoStart !== false) client.start();
  }
  return db;
}
