import type { Stamp } from '../clock/stamp.js';
import { DecodeError, ValidationError } from '../errors.js';
import { policyOf, type FieldDef } from '../schema/typeDef.js';
import { isRecord } from '../util/json.js';
import type { FieldKind } from './fieldKind.js';
import { counterKind } from './kinds/counterKind.js';
import { logKind } from './kinds/logKind.js';
import { lwwKind } from './kinds/lwwKind.js';
import { createObjectKind } from './kinds/objectKind.js';
import { setKind } from './kinds/setKind.js';
import { listKind, textKind } from './kinds/sequenceKind.js';
import { describeValue } from '../util/describeValue.js';

/**
 * Dispatch from a field state, a JSON state, a delta or a field definition to its
 * {@link FieldKind}. States and deltas are self-describing (the `k` tag; LWW has none), so a
 * replica can merge and store fields it has no definition for — a newer type's fields are kept,
 * never dropped. The object kind recurses into this dispatch for the field under each key, so it
 * is built here and handed the dispatch functions (no import cycle).
 */
export type FieldState = unknown;

type AnyKind = FieldKind<unknown>;

/** The per-key object kind (`k: 'o'`), recursing into the fields below. */
export const objectKind = createObjectKind({
  mergeField,
  cloneField,
  materializeField,
  fieldToJSON,
  fieldCanonical,
  fieldFromJSON,
  validateFieldDelta,
  applyFieldDelta,
});

/** The kind for a `k` tag (`undefined` → LWW). Throws `DecodeError` for an unknown tag. */
export function kindForTag(tag: unknown, path: string): AnyKind {
  switch (tag) {
    case undefined:
      return lwwKind as AnyKind;
    case 'o':
      return objectKind as AnyKind;
    case 'l':
      return logKind as AnyKind;
    case 's':
      return setKind as AnyKind;
    case 'c':
      return counterKind as AnyKind;
    case 't':
      return textKind as AnyKind;
    case 'L':
      return listKind as AnyKind;
    default:
      throw new DecodeError(`${path}: unknown field kind tag ${describeValue(tag)}`);
  }
}

/** The kind of an in-memory field state. */
export function kindOfState(state: FieldState): AnyKind {
  if (textKind.owns(state)) return textKind as AnyKind;
  if (listKind.owns(state)) return listKind as AnyKind;
  return kindForTag((state as { k?: unknown }).k, '');
}

/** The kind a field definition's merge policy selects. */
export function kindOfDef(def: FieldDef): AnyKind {
  switch (policyOf(def)) {
    case 'object':
      return objectKind as AnyKind;
    case 'log':
      return logKind as AnyKind;
    case 'set':
      return setKind as AnyKind;
    case 'counter':
      return counterKind as AnyKind;
    case 'sequence':
      return (def.type === 'text' ? textKind : listKind) as AnyKind;
    default:
      return lwwKind as AnyKind;
  }
}

/** Join of two states of one field. Throws `ValidationError` (rule `merge-policy`) if their kinds differ. */
export function mergeField(a: FieldState, b: FieldState, path: string): FieldState {
  const ka = kindOfState(a);
  if (kindOfState(b) !== ka)
    throw new ValidationError(path, 'merge-policy', 'states of different merge policies');
  return ka.merge(a, b);
}

/** A copy of a field state that another document may own (see `FieldKind.clone`). */
export function cloneField(state: FieldState): FieldState {
  const kind = kindOfState(state);
  return kind.clone ? kind.clone(state) : state;
}

/** The plain value of a field state. */
export function materializeField(state: FieldState): unknown {
  return kindOfState(state).materialize(state);
}

/** The JSON form of a field state. */
export function fieldToJSON(state: FieldState): unknown {
  return kindOfState(state).toJSON(state);
}

/** The canonical form of a field state (see `FieldKind.canonical`). */
export function fieldCanonical(state: FieldState): unknown {
  return kindOfState(state).canonical(state);
}

/** Parses and validates a field's JSON state (`depth`: its nesting level, 1 at the top). */
export function fieldFromJSON(json: unknown, path: string, depth = 1): FieldState {
  if (!isRecord(json)) throw new ValidationError(path, 'state', 'field state must be an object');
  return kindForTag(json.k, path).fromJSON(json, path, depth);
}

/**
 * Validates a delta for a field with definition `def` (undefined: unknown to this replica, only
 * the structure is checked) and current state `current`. `registerOnly` restricts it to LWW
 * (keys of a free-form object); `depth` is the field's nesting level (1 at the top).
 */
export function validateFieldDelta(
  delta: unknown,
  def: FieldDef | undefined,
  path: string,
  current: FieldState,
  registerOnly = false,
  depth = 1,
): void {
  if (!isRecord(delta)) throw new ValidationError(path, 'delta', 'a field delta must be an object');
  let kind: AnyKind;
  try {
    kind = kindForTag(delta.k, path);
  } catch {
    throw new ValidationError(path, 'delta', `unknown delta kind ${describeValue(delta.k)}`);
  }
  if (registerOnly && kind !== (lwwKind as AnyKind))
    throw new ValidationError(path, 'merge-policy', 'free-form object keys are last-writer-wins');
  if (def && kindOfDef(def) !== kind)
    throw new ValidationError(
      path,
      'merge-policy',
      `field uses policy ${policyOf(def)}, the change does not`,
    );
  if (current !== undefined && kindOfState(current) !== kind)
    throw new ValidationError(
      path,
      'merge-policy',
      'the change and the stored state use different merge policies',
    );
  kind.validateDelta(delta, def, path, current, depth);
}

/** Joins a validated delta into a field state. */
export function applyFieldDelta(
  current: FieldState,
  delta: Record<string, unknown>,
  stamp: Stamp,
): FieldState {
  return kindForTag(delta.k, '').applyDelta(current, delta, stamp);
}
