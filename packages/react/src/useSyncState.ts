import type { Database, SyncState, WaitingDoc } from '@fieldsync/client';
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';

/**
 * One document's sync state (`synced`, `pending`, `rejected`; see `db.syncState`): re-renders
 * when (and only when) that document's state changes. The state object keeps its identity while
 * unchanged.
 *
 * ```tsx
 * const sync = useSyncState(db, order.id);
 * {sync.status !== 'synced' && <span title="Not on the server yet">●</span>}
 * ```
 */
export function useSyncState(db: Database, id: string): SyncState {
  const subscribe = useCallback((onChange: () => void) => db.syncState.watch(id, onChange), [db, id]);
  const get = useCallback(() => db.syncState.of(id), [db, id]);
  return useSyncExternalStore(subscribe, get, get);
}

/** What {@link useSyncStates} returns: `of(id)` per row, new each time any state changed. */
export interface SyncStatesSnapshot {
  of(id: string): SyncState;
  /** How many documents are not synced. */
  readonly count: number;
  /** Grows with every change (a key for memoised children). */
  readonly version: number;
}

/**
 * Sync states for a list: one subscription for the whole list (not one per row) and a snapshot
 * that changes identity when any document's state changed, so the list re-renders then and rows
 * read `of(row.id)` — a map lookup each.
 */
export function useSyncStates(db: Database): SyncStatesSnapshot {
  const subscribe = useCallback((onChange: () => void) => db.syncState.subscribe(onChange), [db]);
  const getVersion = useCallback(() => db.syncState.version, [db]);
  const version = useSyncExternalStore(subscribe, getVersion, getVersion);
  return useMemo(
    () => ({ of: (id: string) => db.syncState.of(id), count: db.syncState.count, version }),
    [db, version],
  );
}

/** The documents not yet on the server (rejected first, then oldest first), live. */
export function useWaiting(db: Database, collection?: string): readonly WaitingDoc[] {
  const cache = useRef<{ version: number; list: readonly WaitingDoc[] } | undefined>(undefined);
  const subscribe = useCallback((onChange: () => void) => db.syncState.subscribe(onChange), [db]);
  const get = useCallback(() => {
    const version = db.syncState.version;
    if (cache.current?.version !== version)
      cache.current = { version, list: db.syncState.waiting(collection) };
    return cache.current.list;
  }, [db, collection]);
  return useSyncExternalStore(subscribe, get, get);
}
