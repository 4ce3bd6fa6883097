import type { Cursor, Doc } from '@fieldsync/client';
import type { DependencyList } from 'react';
import { useMemo, useSyncExternalStore } from 'react';

interface CursorStore {
  subscribe: (onChange: () => void) => () => void;
  getSnapshot: () => readonly Doc[];
}

/**
 * Wraps a cursor as an external store. The snapshot is the live query's results array, which
 * keeps its identity until the results change, exactly what `useSyncExternalStore` requires.
 * The first snapshot is `cursor.current()`: the query runs once, for the first render, and the
 * subscription made after it starts from that run (unless a write came in between).
 */
function cursorStore(cursor: Cursor): CursorStore {
  let snapshot: readonly Doc[] | undefined;
  return {
    subscribe(onChange) {
      return cursor.subscribe((results) => {
        // The first call repeats what getSnapshot already returned (the same array, or the same
        // documents if the collection changed in between); keep it so React does not render twice.
        if (snapshot && sameDocs(snapshot, results)) return;
        snapshot = results;
        onChange();
      });
    },
    getSnapshot() {
      return (snapshot ??= cursor.current());
    },
  };
}

function sameDocs(a: readonly Doc[], b: readonly Doc[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Live query results for a component: re-renders when (and only when) the query's results
 * change, and stops the live query on unmount. `deps` work as for `useMemo`: the cursor is
 * recreated when they change.
 *
 * ```tsx
 * const open = useQuery(() => db.collection('workOrders').find({ status }), [status]);
 * ```
 */
export function useQuery(factory: () => Cursor, deps: DependencyList): readonly Doc[] {
  const store = useMemo(() => cursorStore(factory()), deps);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
