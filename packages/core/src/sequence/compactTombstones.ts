import { List } from './List.js';
import { Text } from './Text.js';

/**
 * A copy of `seq` without tombstones: the same visible text or list, the same version, the same
 * ids for every item it keeps, and only the deleted items gone — for a field that has been
 * edited for a long time, most of its state. Pure: `seq` is not changed. The copy writes as the
 * same replica.
 *
 * Why this is not done all the time: a deleted item may be named as origin (the item an insert
 * was typed next to) by an operation that has not arrived yet. After compaction such an insert
 * is placed next to the origin it still has (docs/crdt.md, "Compacting tombstones"), which is
 * where its author put it unless someone else inserted into the same gap meanwhile. So only
 * tombstones that every replica has long seen should go: the server compacts a field once its
 * document has been quiet for the history horizon (docs/protocol.md, "History horizon").
 *
 * Compacting is deterministic (replicas in the same state get the same bytes) and idempotent;
 * compacted replicas merge with each other as any replicas do.
 */
export function compactTombstones<S extends Text | List<unknown>>(seq: S): S {
  const out = seq instanceof Text ? new Text(seq.replicaId) : new List<unknown>(seq.replicaId);
  out.applyUpdate(seq.compactedBytes());
  return out as S;
}
