// Public API of @fieldsync/react.
export { useQuery } from './useQuery.js';
export { useSyncState, useSyncStates, useWaiting, type SyncStatesSnapshot } from './useSyncState.js';
