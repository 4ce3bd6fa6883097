import { isRecord } from '@fieldsync/core';
/** Cheap pre-filter on a stored state's text: may it hold a non-empty set tombstone list? */
export const mayHoldSetTombstones = (state: string): boolean => /"r":\s*\[\s*"/.test(state);

/**
 * The stored state (core `docToJSON`, as JSON text) without the removed tags of its sets — top
 * level and inside object fields —, or undefined when it has none. The live elements (`a`) are
 * untouched, so the document means exactly the same; what is lost is only the memory that
 * stops a stale replica's copy of a removed tag from coming back (docs/protocol.md, "History
 * horizon": only replicas away longer than the horizon can hold one, and they get 410).
 */
export function withoutSetTombstones(state: string): string | undefined {
  const doc = JSON.parse(state) as unknown;
  if (!isRecord(doc) || !isRecord(doc['fields'])) return undefined;
  let changed = false;
  const visit = (field: unknown): void => {
    if (!isRecord(field)) return;
    if (field['k'] === 's' && Array.isArray(field['r']) && field['r'].length > 0) {
      field['r'] = [];
      changed = true;
    } else if (field['k'] === 'o' && isRecord(field['f'])) {
      for (const key in field['f']) visit(field['f'][key]);
    }
  };
  for (const key in doc['fields']) visit(doc['fields'][key]);
  return changed ? JSON.stringify(doc) : undefined;
}
