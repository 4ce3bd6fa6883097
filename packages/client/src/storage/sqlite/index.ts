/** `@fieldsync/client/sqlite`: a separate entry so browsers never import better-sqlite3. */
export { SqliteStorage } from './SqliteStorage.js';
export type { SqliteStorageOptions } from './SqliteStorage.js';
