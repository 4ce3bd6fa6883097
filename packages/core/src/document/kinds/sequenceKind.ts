import { DecodeError } from '../../errors.js';
import type { FieldKind } from '../fieldKind.js';

/** A sequence kind also recognises its live state objects (Text / List instances). */
export interface SequenceKind extends FieldKind<unknown> {
  owns(state: unknown): boolean;
  /** Delta replacing the whole content (intent `set`: delete all + insert). */
  replaceDelta(current: unknown, pending: Record<string, unknown> | undefined, value: unknown, replica: string, path: string): Record<string, unknown>;
  /** Delta appending items at the end (intent `append` on a list). */
  appendDelta(current: unknown, pending: Record<string, unknown> | undefined, values: unknown[], replica: string, path: string): Record<string, unknown>;
  /** Delta removing every item equal to one of `values` (intent `remove` on a list). */
  removeDelta(current: unknown, pending: Record<string, unknown> | undefined, values: unknown[], replica: string, path: string): Record<string, unknown>;
  /** Delta carrying a raw update from `encodeSince` (intent `seq`). */
  updateDelta(pending: Record<string, unknown> | undefined, update: string, path: string): Record<string, unknown>;
}

function unavailable(): never {
  throw new DecodeError('sequence fields (text, list) are not available yet');
}

function placeholder(tag: string): SequenceKind {
  return {
    tag,
    policy: 'sequence',
    owns: () => false,
    merge: unavailable,
    materialize: unavailable,
    toJSON: unavailable,
    fromJSON: unavailable,
    validateDelta: unavailable,
    applyDelta: unavailable,
    replaceDelta: unavailable,
    appendDelta: unavailable,
    removeDelta: unavailable,
    updateDelta: unavailable,
  };
}

/** Text fields (`k: 't'`). Placeholder until packages/core/src/sequence lands. */
export const textKind: SequenceKind = placeholder('t');
/** List fields (`k: 'L'`). Placeholder until packages/core/src/sequence lands. */
export const listKind: SequenceKind = placeholder('L');
