import { lwwKind } from './kinds/lwwKind.js';
import type { LwwState } from '../crdt/lww.js';
import { ValidationError } from '../errors.js';
import { isDocId } from '../ids.js';
import { isInheritedKey, isRecord } from '../util/json.js';
import { isHiddenKey } from '../schema/migrationSteps.js';
import { emptyDoc, type DocState } from './docState.js';
import { fieldFromJSON, fieldToJSON, kindOfState } from './fields.js';
import { readRegister, writeRegister } from './registers.js';

/** The JSON form of a document: what storage adapters persist and the server sends. */
export interface DocJSON {
  id: string;
  type: string;
  v: number;
  fields: Record<string, unknown>;
  deleted?: unknown;
}

/** JSON form of a document's state. Non-sequence states are already JSON and are shared, not copied. */
export function docToJSON(doc: DocState): DocJSON {
  const fields: Record<string, unknown> = {};
  for (const key in doc.r) {
    const reg = readRegister(doc, key);
    if (reg !== undefined) fields[key] = reg;
  }
  for (const key in doc.fields) fields[key] = fieldToJSON(doc.fields[key]);
  const out: DocJSON = { id: doc.id, type: doc.type, v: doc.v, fields };
  if (doc.deleted !== undefined) out.deleted = doc.deleted;
  return out;
}

/**
 * Parses and fully validates a stored or received document (untrusted input). Throws
 * `ValidationError`/`DecodeError` naming the path; never returns a half-built state.
 */
export function docFromJSON(json: unknown): DocState {
  if (!isRecord(json)) throw new ValidationError('', 'type', 'a document must be an object');
  if (!isDocId(json.id)) throw new ValidationError('id', 'format', 'bad document id');
  if (typeof json.type !== 'string' || json.type.length === 0)
    throw new ValidationError('type', 'type', 'bad type name');
  if (!Number.isInteger(json.v) || (json.v as number) < 1)
    throw new ValidationError('v', 'version', 'v must be an integer >= 1');
  if (!isRecord(json.fields)) throw new ValidationError('fields', 'type', 'fields must be an object');
  const doc = emptyDoc(json.id, json.type, json.v as number);
  const fields: Record<string, unknown> = {};
  const registers: [string, LwwState][] = [];
  for (const key in json.fields) {
    // Stored by name in plain objects: see isInheritedKey.
    if (isInheritedKey(key))
      throw new ValidationError(key, 'reserved', `\`${key}\` is reserved by JavaScript`);
    const hidden = key.startsWith('$');
    if (hidden && !isHiddenKey(key))
      throw new ValidationError(key, 'name', 'field names cannot start with $');
    const state = fieldFromJSON(json.fields[key], key);
    if (!hidden && kindOfState(state) === lwwKind) registers.push([key, state as LwwState]);
    else fields[key] = state;
  }
  let deleted: LwwState | undefined;
  if (json.deleted !== undefined) {
    if (!isRecord(json.deleted))
      throw new ValidationError('deleted', 'state', 'tombstone must be a register');
    deleted = lwwKind.fromJSON(json.deleted, 'deleted');
    if (typeof deleted.v !== 'boolean')
      throw new ValidationError('deleted', 'type', 'tombstone value must be a boolean');
  }
  // Validation is complete: build the document.
  for (const [key, state] of registers) writeRegister(doc, key, state);
  if (Object.keys(fields).length > 0) doc.fields = fields;
  doc.deleted = deleted;
  return doc;
}
