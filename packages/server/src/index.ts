/** Public API of @fieldsync/server. */
export { startServer, createContext, type ServerOptions, type RunningServer } from './server.js';
export { createApp, PROTOCOL_VERSION } from './http/createApp.js';
export { DEFAULT_LIMITS, type Limits, type ServerContext } from './http/context.js';
export { HttpError } from './http/HttpError.js';
export { hmacVerifier, signToken, DEV_SECRET, type TokenClaims } from './auth/jwt.js';
export type { User, TokenVerifier } from './auth/User.js';
export type { Permissions, TypeRules, Predicate, DocView } from './auth/rules.js';
export type {
  StorageEngine,
  StoredDoc,
  CommitPlan,
  CommitRequest,
  CommitResult,
  CommittedBatch,
  LoadedState,
  PullPage,
  PullQuery,
  StoreMaintenance,
} from './storage/StorageEngine.js';
export { EPOCH_HEADER, HEAD_HEADER, TIME_HEADER, STORE_HEADERS } from '@fieldsync/core';
export { SqliteEngine, type SqliteEngineOptions } from './storage/sqlite/SqliteEngine.js';
export { PostgresEngine, type PostgresEngineOptions } from './storage/postgres/PostgresEngine.js';
export { openStorage } from './storage/openStorage.js';
// The wire contract is core's (`ChangeResult`, `MergeResult`, … and their validators); re-exported.
export type { ChangeResult, MergeResult } from '@fieldsync/core';
export { DomainError, type DomainErrorCode } from './sync/DomainError.js';
export { httpErrorOf } from './http/errorResponse.js';
export type { SyncFilter } from './sync/SyncFilter.js';
export { staticApp } from './http/staticApp.js';
export { hostFetch, type HostOptions } from './http/hostApp.js';
export { demoRefusal, isLoopback, DEMO_PERMISSIONS } from './demo/demoMode.js';
export { seedDemo, demoChanges } from './demo/seedDemo.js';
export {
  DEMO_TENANT,
  DEMO_USERS,
  DEMO_TYPES,
  DEMO_SITES,
  demoWorkOrders,
  type DemoUser,
  type DemoRole,
} from './demo/demoData.js';
