import { ValidationError } from '../errors.js';
import { isRecord } from '../util/json.js';
import type { TypeDef } from './typeDef.js';
import { validateValue } from './validateValue.js';

/**
 * Checks a plain document (what an app inserts, or an import) against its type before it is
 * turned into changes: every field known (`unknown-field`), every required field present
 * (`required`, unless it has a default), every value of the right shape. `id` is allowed.
 * Throws `ValidationError` with the field path and rule.
 */
export function validateDocument(values: unknown, type: TypeDef): void {
  if (!isRecord(values)) throw new ValidationError('', 'type', 'a document must be an object');
  for (const key in values) {
    if (key === 'id') continue;
    const def = type.fields[key];
    if (def === undefined)
      throw new ValidationError(key, 'unknown-field', `${type.name} has no field ${JSON.stringify(key)}`);
    if (values[key] !== undefined) validateValue(def, values[key], key);
  }
  for (const key in type.fields) {
    const def = type.fields[key];
    if (def?.required && values[key] === undefined && def.default === undefined)
      throw new ValidationError(key, 'required', 'missing required field');
  }
}
