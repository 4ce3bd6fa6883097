import { lwwSuperseded, type LwwState, type Superseded } from '../crdt/lww.js';
import type { ObjectState } from '../crdt/object.js';
import { ValidationError } from '../errors.js';
import type { FieldDef, TypeDef } from '../schema/typeDef.js';
import type { DocState } from './docState.js';
import { kindOfState, objectKind } from './fields.js';
import { currentField } from './registers.js';
import { lwwKind } from './kinds/lwwKind.js';

/**
 * The concurrent values that lost to the current value of the register at `path` (newest
 * first), so an app can show "Ben's value was replaced by Anna's". Empty for a field without
 * conflicts, an unset path, or a field that is not last-writer-wins. The list is bounded and is
 * cleared by the next write made after seeing it.
 *
 * With `type`, the path is checked against it first: a field it does not declare throws
 * `ValidationError` (rule `unknown-field`) rather than answering `[]`, which would read as
 * "no conflict" for a misspelled name.
 */
export function conflicts(doc: DocState, path: readonly string[], type?: TypeDef): Superseded[] {
  if (type !== undefined) checkPath(type, path);
  let state: unknown = undefined;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    if (i === 0) state = currentField(doc, key);
    else if (state !== undefined && kindOfState(state) === objectKind) state = (state as ObjectState).f[key];
    else throw new ValidationError(path.join('.'), 'path', 'not an object field');
    if (state === undefined) return [];
  }
  if (state === undefined || kindOfState(state) !== lwwKind) return [];
  return lwwSuperseded(state as LwwState);
}

/** Throws unless `path` names a declared field (a free-form object's keys are not declared). */
function checkPath(type: TypeDef, path: readonly string[]): void {
  if (!Array.isArray(path) || path.length === 0)
    throw new ValidationError('', 'path', 'path must be a non-empty array of field names');
  let fields: Record<string, FieldDef> | undefined = type.fields;
  for (let i = 0; i < path.length && fields !== undefined; i++) {
    const key = path[i] as string;
    const at = path.slice(0, i + 1).join('.');
    const def: FieldDef | undefined = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (def === undefined) {
      const what =
        i === 0 ? `${type.name} has no field ${JSON.stringify(key)}` : 'not a field of this object';
      throw new ValidationError(at, 'unknown-field', what);
    }
    if (i < path.length - 1 && def.type !== 'object')
      throw new ValidationError(at, 'path', 'not an object field');
    fields = def.fields;
  }
}
