import type { StoredDoc } from '../storage/StorageEngine.js';
import type { DocView } from '../auth/rules.js';
import type { Visibility } from './SyncFilter.js';

/** The system collection holding type definitions (types are data; see docs/protocol.md). */
export const TYPES_COLLECTION = '_types';

/**
 * A batch of stored rows rendered for one reader: core's wire `Delta` (docs/protocol.md, pull and
 * `sync` events) before serialization, its states and types kept as the stored JSON text.
 */
export interface RenderedDelta {
  /** core `docToJSON` states, as JSON text. */
  docs: string[];
  /** Ids of documents the reader must evict (they left its scope). */
  gone: string[];
  /** Type definitions (TypeDef JSON text) changed in this range. */
  types: string[];
}

/**
 * Splits stored rows into what one reader receives. `sendGone` is false for an initial sync
 * (the client holds nothing yet, so there is nothing to evict).
 *
 * A row the reader cannot see becomes `gone` when its type is replicated by the reader: the
 * server does not track which documents each device holds, so it tells the device to drop an
 * id it might hold; a device that never had it ignores the record. Only ids within the reader's
 * own tenant can appear here, never content.
 */
export function renderDelta(
  rows: readonly StoredDoc[],
  vis: Visibility,
  sendGone: boolean,
  afterSeq = 0,
): RenderedDelta {
  const out: RenderedDelta = { docs: [], gone: [], types: [] };
  for (const row of rows) {
    if (row.seq <= afterSeq) continue;
    if (row.type === TYPES_COLLECTION) {
      out.types.push(row.state);
      continue;
    }
    let parsed: DocView | undefined;
    const view = (): DocView => (parsed ??= JSON.parse(row.view) as DocView);
    if (vis.visible(row.type, view)) out.docs.push(row.state);
    else if (sendGone && vis.wantsType(row.type)) out.gone.push(row.id);
  }
  return out;
}

/** Serializes a delta plus cursor as the JSON body shared by pull responses and SSE events. */
export function deltaJSON(d: RenderedDelta, cursor: number, more?: boolean): string {
  const tail = more === undefined ? '' : `,"more":${more}`;
  return `{"cursor":${cursor},"types":[${d.types.join(',')}],"docs":[${d.docs.join(',')}],"gone":${JSON.stringify(d.gone)}${tail}}`;
}
