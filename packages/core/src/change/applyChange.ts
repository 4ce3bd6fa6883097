import { lwwWrite } from '../crdt/lww.js';
import { EMPTY, emptyDoc, type DocState } from '../document/docState.js';
import { joinRegister, writeRegisterValue } from '../document/registers.js';
import { applyFieldDelta, kindOfState } from '../document/fields.js';
import { lwwKind } from '../document/kinds/lwwKind.js';
import type { TypeDef } from '../schema/typeDef.js';
import { DELETED_KEY, type Change } from './change.js';
import { CreatedChange, trustedType } from './trusted.js';
import { validateChange } from './validateChange.js';

/**
 * Validates `change` completely, then joins it into `doc` (or into a new document if `doc` is
 * undefined) and returns the result. Validation happens first, so a throw leaves `doc`
 * unchanged; on success `doc` is updated in place and returned (callers treat the argument as
 * consumed — in-place is what makes bulk loads fast). Applying the same change twice, or
 * changes in any order, gives the same state.
 *
 * Remote changes: call `clock.receive(change.stamp)` first; it enforces the drift bound.
 */
export function applyChange(doc: DocState | undefined, change: Change, type?: TypeDef): DocState {
  const trusted = type !== undefined && trustedType(change) === type;
  if (!trusted) validateChange(change, doc, type);
  else if (doc !== undefined) checkTrustedAgainst(doc, change);
  const target =
    doc ??
    emptyDoc(
      change.doc,
      change.type,
      type !== undefined && change.v > type.version ? type.version : change.v,
    );
  // A change from a newer type version than we know does not move the document's version: when
  // we learn that version, upgrading the document still runs its steps.
  if (change.v > target.v && (type === undefined || change.v <= type.version)) target.v = change.v;
  const stamp = change.stamp;
  // A compact insert (see `CreatedChange`): plain values, written straight into the columns of
  // the new document, exactly as their `{ v }` deltas would be below.
  const names =
    trusted && doc === undefined ? CreatedChange.compactNames(change as CreatedChange) : undefined;
  if (names !== undefined) {
    const values = CreatedChange.compactValues(change as CreatedChange);
    for (let i = 0; i < names.length; i++) {
      const key = names[i] as string;
      if (key.charCodeAt(0) !== 36 && target.r[key] === undefined)
        writeRegisterValue(target, key, values[i], stamp);
      else applyDelta(target, key, { v: values[i] }, stamp);
    }
    return target;
  }
  const ops = change.ops;
  for (const key in ops) applyDelta(target, key, ops[key] as Record<string, unknown>, stamp);
  return target;
}

/** Joins one field's delta into `target`. */
function applyDelta(target: DocState, key: string, delta: Record<string, unknown>, stamp: string): void {
  if (key === DELETED_KEY) {
    target.deleted = lwwKind.applyDelta(target.deleted, delta, stamp);
  } else if (delta.k === undefined && key.charCodeAt(0) !== 36) {
    // Top-level register: written straight into the columns when nothing is there yet.
    const p = delta.p as string | undefined;
    if (p === undefined && target.r[key] === undefined) writeRegisterValue(target, key, delta.v, stamp);
    else joinRegister(target, key, lwwWrite(delta.v, stamp, p !== undefined && p < stamp ? p : undefined));
  } else {
    if (target.fields === EMPTY) target.fields = {};
    target.fields[key] = applyFieldDelta(target.fields[key], delta, stamp);
  }
}

/**
 * A trusted change was validated against the type but maybe against another state of `doc`:
 * re-check what depends on the state (same document, and each field's stored merge policy).
 */
function checkTrustedAgainst(doc: DocState, change: Change): void {
  if (doc.id !== change.doc || doc.type !== change.type || doc.v !== change.v) {
    validateChange(change, doc);
    return;
  }
  const ops = change.ops; // read once: a compact change builds its record on each read
  for (const key in ops) {
    if (key === DELETED_KEY) continue;
    const k = (ops[key] as { k?: string }).k;
    const stored = doc.fields[key];
    if (
      k === undefined
        ? stored !== undefined
        : doc.r[key] !== undefined || (stored !== undefined && kindOfState(stored).tag !== k)
    ) {
      validateChange(change, doc);
    }
  }
}
