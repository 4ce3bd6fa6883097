import type { Database, SyncState, WaitingDoc } from '@fieldsync/client';

/** Reactive sync states of a database's documents (see `db.syncState`). */
export interface SyncStatesState {
  /** The document's state; markup reading it updates when any document's state changes. */
  of(id: string): SyncState;
  /** The documents not yet on the server (rejected first, then oldest first). */
  readonly waiting: readonly WaitingDoc[];
  /** How many documents are not synced. */
  readonly count: number;
}

/**
 * Binds `db.syncState` to Svelte 5 runes: one subscription per call (not one per row), a
 * `$state` counter bumped once per tick in which states changed, and reads that depend on it, so
 * a list's marks and a "waiting" panel update together and nothing else re-renders. Call it
 * during component initialisation with a function giving the database (read reactively: a new
 * database re-subscribes); the subscription ends with the component.
 *
 * ```svelte
 * const sync = syncStates(() => db);
 * {#each orders.current as o (o.id)}
 *   <li>{o.title} {#if sync.of(o.id).status !== 'synced'}<span class="unsynced">●</span>{/if}</li>
 * {/each}
 * ```
 */
export function syncStates(db: () => Database): SyncStatesState {
  let version = $state(0);
  $effect(() => db().syncState.subscribe(() => version++));
  let cached: { version: number; list: readonly WaitingDoc[] } | undefined;
  return {
    of(id) {
      void version;
      return db().syncState.of(id);
    },
    get waiting() {
      const v = version;
      if (cached?.version !== v) cached = { version: v, list: db().syncState.waiting() };
      return cached.list;
    },
    get count() {
      void version;
      return db().syncState.count;
    },
  };
}
