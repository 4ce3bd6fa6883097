import { compactTombstones, fromBase64, List, Text, toBase64, isRecord } from '@fieldsync/core';

/** Cheap pre-filter on a stored state's text: may it hold a text or list field? */
export const mayHoldSequences = (state: string): boolean => /"k":\s*"[tL]"/.test(state);

/**
 * The stored state (core `docToJSON`, as JSON text) with its text and list fields — top level
 * and inside object fields — compacted (core `compactTombstones`), or undefined when no field got
 * smaller. The visible text and items, their ids and the field's version are unchanged, so the
 * document means the same and its view stays valid; what is lost is only the deleted items that an
 * insert made by a replica away longer than the horizon may name as origin (such an insert is
 * placed next to the origin it still has: docs/protocol.md, "History horizon").
 *
 * A field is replaced only when its compacted encoding is shorter: one without tombstones is left
 * as it is (compacting it again would give the same bytes, so a second sweep rewrites nothing).
 */
export function withoutSequenceTombstones(state: string): string | undefined {
  const doc = JSON.parse(state) as unknown;
  if (!isRecord(doc) || !isRecord(doc['fields'])) return undefined;
  let changed = false;
  const visit = (field: unknown): void => {
    if (!isRecord(field)) return;
    const k = field['k'];
    if ((k === 't' || k === 'L') && typeof field['b'] === 'string') {
      const bytes = fromBase64(field['b']);
      const seq = k === 't' ? new Text() : new List<unknown>();
      seq.applyUpdate(bytes);
      const out = compactTombstones(seq).encode();
      if (out.length < bytes.length) {
        field['b'] = toBase64(out);
        changed = true;
      }
    } else if (k === 'o' && isRecord(field['f'])) {
      for (const key in field['f']) visit(field['f'][key]);
    }
  };
  for (const key in doc['fields']) visit(doc['fields'][key]);
  return changed ? JSON.stringify(doc) : undefined;
}
