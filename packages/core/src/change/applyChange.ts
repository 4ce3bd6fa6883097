import { lwwWrite } from '../crdt/lww.js';
import { EMPTY, emptyDoc, type DocState } from '../document/docState.js';
import { copyRegisters, joinRegister, writeRegisterValue } from '../document/registers.js';
import { applyFieldDelta, cloneField } from '../document/fields.js';
import { lwwKind } from '../document/kinds/lwwKind.js';
import type { TypeDef } from '../schema/typeDef.js';
import { DELETED_KEY, type Change } from './change.js';
import { validateChange } from './validateChange.js';

/**
 * Validates `change` completely, then returns its join into `doc` (or into a new document if
 * `doc` is undefined). Pure: `doc` is left exactly as it was, so a caller may keep it (undo,
 * a reader's snapshot, a write rule's "before") without copying it first. The result shares
 * with `doc` only what is never updated in place: register values and stamps, immutable field
 * states, and the sequence fields the change does not touch (a touched one is cloned, which
 * costs O(size of that field)). Applying the same change twice, or changes in any order, gives
 * the same state. A throw leaves everything unchanged.
 *
 * Remote changes: call `clock.receive(change.stamp)` first; it enforces the drift bound.
 */
export function applyChange(doc: DocState | undefined, change: Change, type?: TypeDef): DocState {
  validateChange(change, doc, type);
  return joinValidated(doc, change, type);
}

/**
 * The pure join of an already validated `change` into `doc` (left unchanged). Internal to core:
 * every public entry validates first (`createAndApply` is the one that built the change itself).
 */
export function joinValidated(
  doc: DocState | undefined,
  change: Change,
  type: TypeDef | undefined,
): DocState {
  // A copy's field states are still shared with `doc`: a touched one is cloned before its delta
  // is joined (only sequence states, which join in place, really copy).
  const copied = doc !== undefined;
  const target =
    doc === undefined
      ? emptyDoc(
          change.doc,
          change.type,
          type !== undefined && change.v > type.version ? type.version : change.v,
        )
      : writableCopy(doc);
  // A change from a newer type version than we know does not move the document's version: when
  // we learn that version, upgrading the document still runs its steps.
  if (change.v > target.v && (type === undefined || change.v <= type.version)) target.v = change.v;
  const stamp = change.stamp;
  const ops = change.ops;
  for (const key in ops) applyDelta(target, key, ops[key] as Record<string, unknown>, stamp, copied);
  return target;
}

/**
 * A shallow copy of `doc` that the join may write into: its own register, stamp, history and
 * field records (the values in them are shared until replaced).
 */
function writableCopy(doc: DocState): DocState {
  return {
    id: doc.id,
    type: doc.type,
    v: doc.v,
    s: doc.s,
    r: doc.r === EMPTY ? EMPTY : copyRegisters(doc.r),
    t: doc.t === EMPTY ? EMPTY : { ...doc.t },
    x: doc.x === EMPTY ? EMPTY : { ...doc.x },
    fields: doc.fields === EMPTY ? EMPTY : { ...doc.fields },
    deleted: doc.deleted,
  };
}

/** Joins one field's delta into `target`. */
function applyDelta(
  target: DocState,
  key: string,
  delta: Record<string, unknown>,
  stamp: string,
  copied: boolean,
): void {
  if (key === DELETED_KEY) {
    target.deleted = lwwKind.applyDelta(target.deleted, delta, stamp);
  } else if (delta.k === undefined && key.charCodeAt(0) !== 36) {
    // Top-level register: written straight into the columns when nothing is there yet.
    const p = delta.p as string | undefined;
    if (p === undefined && target.r[key] === undefined) writeRegisterValue(target, key, delta.v, stamp);
    else joinRegister(target, key, lwwWrite(delta.v, stamp, p !== undefined && p < stamp ? p : undefined));
  } else {
    if (target.fields === EMPTY) target.fields = {};
    const current = target.fields[key];
    target.fields[key] = applyFieldDelta(
      copied && current !== undefined ? cloneField(current) : current,
      delta,
      stamp,
    );
  }
}
