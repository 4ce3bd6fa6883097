import type { Cursor, Doc } from '@fieldsync/client';
import { untrack } from 'svelte';

/** Reactive results of a live query; read `current` in markup or effects. */
export interface LiveQueryState {
  readonly current: readonly Doc[];
}

/**
 * Binds a live query to Svelte 5 runes: `current` is `$state.raw` holding the query's results
 * array (replaced, never mutated, when results change), so markup that reads it updates and
 * nothing else re-renders. The cursor is created inside an effect: if the factory reads reactive
 * state (a filter, a prop), the query is re-created when it changes, and the live query stops
 * when the component is destroyed. Call it during component initialisation.
 *
 * ```svelte
 * const open = liveQuery(() => db.collection('workOrders').find({ status: 'open' }));
 * {#each open.current as order (order.id)} … {/each}
 * ```
 */
export function liveQuery(factory: () => Cursor): LiveQueryState {
  // Results are available for the very first render, before effects run: the query runs once
  // here, and the first subscription starts from that run (see `Cursor.current`).
  let first: Cursor | undefined = untrack(factory);
  let results = $state.raw<readonly Doc[]>(untrack(() => (first as Cursor).current()));
  $effect.pre(() => {
    // Called here so the effect tracks what the factory reads (a new cursor costs no query run).
    const made = factory();
    const cursor = first !== undefined && first.sameQuery(made) ? first : made;
    first = undefined;
    return cursor.subscribe((next) => {
      results = next;
    });
  });
  return {
    get current() {
      return results;
    },
  };
}
