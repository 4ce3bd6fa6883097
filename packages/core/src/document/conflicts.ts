import { lwwSuperseded, type LwwState, type Superseded } from '../crdt/lww.js';
import type { ObjectState } from '../crdt/object.js';
import { ValidationError } from '../errors.js';
import type { DocState } from './docState.js';
import { kindOfState, objectKind } from './fields.js';
import { currentField } from './registers.js';
import { lwwKind } from './kinds/lwwKind.js';

/**
 * The concurrent values that lost to the current value of the register at `path` (newest
 * first), so an app can show "Ben's value was replaced by Anna's". Empty for a field without
 * conflicts, an unset path, or a field that is not last-writer-wins. The list is bounded and is
 * cleared by the next write made after seeing it.
 */
export function conflicts(doc: DocState, path: readonly string[]): Superseded[] {
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
