// Public API of @fieldsync/client. SQLite storage is a separate entry: @fieldsync/client/sqlite.

// Database
export { createDatabase } from './database/createDatabase.js';
export type { DatabaseOptions, SyncPlugin } from './database/createDatabase.js';
export { Database, type RejectedChange } from './database/Database.js';
export { ServerTime } from './database/ServerTime.js';
export { DatabaseClosedError } from './database/errors.js';
export type { TypeStore, RejectedType } from './database/TypeStore.js';
// Invalid type definitions and migrations reject with core's SchemaError (path, rule).
export { SchemaError } from '@fieldsync/core';
export type { MigrationStep, TypeDef } from '@fieldsync/core';

// Collections and queries
export { Collection } from './collection/Collection.js';
export { Cursor } from './collection/Cursor.js';
export type { Explain } from './collection/Cursor.js';
export { NotFoundError } from './collection/errors.js';
export { TextField } from './collection/TextField.js';
export type { Doc, FindOptions, Projection, Selector, SortSpec } from './query/types.js';
export { ModifierError, QueryError } from './query/errors.js';
export { compileSelector } from './query/compileSelector.js';
export type { Predicate } from './query/compileSelector.js';
export { compareValues } from './query/compareValues.js';

// Indexes
export { HashIndex } from './index/HashIndex.js';
export { OrderedIndex } from './index/OrderedIndex.js';
export type { IndexSpec } from './index/indexKey.js';

// Live queries
export type { QueryListener, ResultChange } from './live/ResultChange.js';

// Storage
export type {
  CommitBatch,
  LoadedState,
  StorageAdapter,
  StoredChange,
  StoredDoc,
  StoredRows,
} from './storage/StorageAdapter.js';
export { batchDocs, rowsToDocs } from './storage/storedRows.js';
export { MemoryStorage } from './storage/memory/MemoryStorage.js';
export { IndexedDbStorage, type IndexedDbStorageOptions } from './storage/indexeddb/IndexedDbStorage.js';
export {
  requestStoragePersistence,
  storagePersistence,
  type StoragePersistence,
} from './storage/persistence.js';

// Sync
export type { SyncHost, SyncOutbox } from './sync/SyncHost.js';
export {
  SyncClient,
  SyncHttpError,
  SyncNetworkError,
  SyncAbortedError,
  ProtocolError,
  CURSOR_KEY,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ServerInfo,
  type SyncOptions,
  type SyncProgress,
  type SyncStatus,
} from './sync/index.js';

// Per-document sync state and server acknowledgements (db.syncState, WritePromise.server)
export { SyncStates } from './syncstate/SyncStates.js';
export { SYNCED } from './syncstate/SyncState.js';
export type {
  PendingState,
  RejectedState,
  SyncedState,
  SyncState,
  WaitingDoc,
} from './syncstate/SyncState.js';
export type { WritePromise } from './syncstate/WritePromise.js';
export { DiscardedWriteError, RejectedWriteError } from './syncstate/errors.js';
