import type { HybridLogicalClock } from '../clock/hybridLogicalClock.js';
import type { DocState } from '../document/docState.js';
import { kindOfState } from '../document/fields.js';
import type { TypeDef } from '../schema/typeDef.js';
import { applyChange, joinValidated } from './applyChange.js';
import { DELETED_KEY, type Change } from './change.js';
import { createChange, createInsertChange, type CreateChangeInput } from './createChange.js';

/** A change and the document state it makes (see {@link createAndApply}). */
export interface AppliedChange {
  change: Change;
  /** The new state; the input document is left unchanged. */
  state: DocState;
}

/**
 * `createChange` then `applyChange`, in one step: the local write path. The change was just
 * built from validated intents against this very `doc` and `type`, so it is joined without
 * being validated a second time (the one place core skips `validateChange`; a bulk load of
 * 100,000 documents would otherwise validate each twice). Pure, like `applyChange`: `input.doc`
 * is left unchanged. The clock ticks only when the change is valid.
 */
export function createAndApply(input: CreateChangeInput): AppliedChange {
  const change = createChange(input);
  const doc = input.doc;
  // What a change built from `doc` could still disagree with: a document at another version
  // than the type, or a stored field under another merge policy. `applyChange` reports it.
  if (doc !== undefined && (doc.v !== input.type.version || policyDiffers(doc, change)))
    return { change, state: applyChange(doc, change, input.type) };
  return { change, state: joinValidated(doc, change, input.type) };
}

/**
 * `createInsertChange` then `applyChange` to a new document, in one step (bulk insert): same
 * reasoning as {@link createAndApply}.
 */
export function createAndApplyInsert(
  clock: HybridLogicalClock,
  type: TypeDef,
  docId: string,
  values: Readonly<Record<string, unknown>>,
  skip?: string,
): AppliedChange {
  const change = createInsertChange(clock, type, docId, values, skip);
  return { change, state: joinValidated(undefined, change, type) };
}

/** True if some delta of `change` is of another kind than the state `doc` holds for its field. */
function policyDiffers(doc: DocState, change: Change): boolean {
  const ops = change.ops;
  for (const key in ops) {
    if (key === DELETED_KEY) continue;
    const k = (ops[key] as { k?: string }).k;
    const stored = doc.fields[key];
    if (
      k === undefined
        ? stored !== undefined
        : doc.r[key] !== undefined || (stored !== undefined && kindOfState(stored).tag !== k)
    )
      return true;
  }
  return false;
}
