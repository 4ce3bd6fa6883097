import type { ContentCodec } from './contentCodec.js';
import type { OpSink } from './decodeState.js';
import { decodeUpdate } from './decodeUpdate.js';
import type { UpdateOp } from './updateOps.js';

/**
 * Receives a streaming decode's operations and keeps none: what checking an update without
 * building a replica needs. One long-lived object, for the reason `LoadSink` gives.
 */
class DiscardSink implements OpSink<unknown> {
  count(_ops: number): void {}
  op(_op: UpdateOp<unknown>, _agents: string[]): void {}
}

const discard = new DiscardSink();

/**
 * Checks that `bytes` is an update `applyUpdate` accepts — the same decode, with every check of
 * `decodeUpdate` (checksum, structure, bounds, content), but building nothing. Throws
 * `DecodeError` where `applyUpdate` would; applying a checked update cannot fail afterwards,
 * because nothing past the decode throws (see `SequenceCore`).
 */
export function checkUpdate<C>(bytes: Uint8Array, codec: ContentCodec<C>): void {
  decodeUpdate(bytes, codec, discard as OpSink<C>);
}
