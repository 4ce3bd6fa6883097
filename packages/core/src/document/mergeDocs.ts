import { mergeLww } from '../crdt/lww.js';
import { ValidationError } from '../errors.js';
import { emptyDoc, type DocState } from './docState.js';
import { cloneField, mergeField } from './fields.js';
import { readRegister, registerNames, writeRegister } from './registers.js';

/**
 * Join of two replicas' states of the same document (field by field, tombstone included, the
 * higher type version). Pure: neither input is modified, and the result shares no mutable
 * (sequence) state with them. Commutative, associative and
 * idempotent — see document/mergeDocs.test.ts. Throws `ValidationError` if the ids or types
 * differ, or a field has different merge policies on the two sides.
 */
export function mergeDocs(a: DocState, b: DocState): DocState {
  if (a.id !== b.id) throw new ValidationError('id', 'same-document', `cannot merge ${a.id} with ${b.id}`);
  if (a.type !== b.type)
    throw new ValidationError('type', 'same-type', `cannot merge type ${a.type} with ${b.type}`);
  const out = emptyDoc(a.id, a.type, Math.max(a.v, b.v));
  const names = new Set([...registerNames(a), ...registerNames(b)]);
  for (const name of names) {
    if (a.fields[name] !== undefined || b.fields[name] !== undefined) {
      throw new ValidationError(name, 'merge-policy', 'states of different merge policies');
    }
    const x = readRegister(a, name);
    const y = readRegister(b, name);
    writeRegister(out, name, x && y ? mergeLww(x, y) : ((x ?? y) as NonNullable<typeof x>));
  }
  const fields: Record<string, unknown> = {};
  for (const key in a.fields) {
    const x = a.fields[key];
    const y = b.fields[key];
    fields[key] = y === undefined ? cloneField(x) : mergeField(x, y, key);
  }
  for (const key in b.fields) if (a.fields[key] === undefined) fields[key] = cloneField(b.fields[key]);
  if (Object.keys(fields).length > 0) out.fields = fields;
  let deleted = a.deleted ?? b.deleted;
  if (a.deleted !== undefined && b.deleted !== undefined) deleted = mergeLww(a.deleted, b.deleted);
  out.deleted = deleted;
  return out;
}
