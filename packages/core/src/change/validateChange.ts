import { isStamp } from '../clock/stamp.js';
import { ValidationError } from '../errors.js';
import { isDocId } from '../ids.js';
import type { DocState } from '../document/docState.js';
import { validateFieldDelta } from '../document/fields.js';
import { currentField } from '../document/registers.js';
import type { TypeDef } from '../schema/typeDef.js';
import { isInheritedKey, isRecord } from '../util/json.js';
import { isHiddenKey } from '../schema/migrationSteps.js';
import { DELETED_KEY, type Change } from './change.js';
import { describeValue } from '../util/describeValue.js';

const TYPE_HASH = /^[0-9a-f]{16}$/;

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/**
 * Checks a change (untrusted: from the network or storage) completely before anything is
 * applied: envelope, stamp, the document it targets, and every field delta against the type and
 * against the stored state. With `type` at or above the change's version, a field the type does
 * not declare is rejected (`unknown-field`); a change written at a *newer* version than `type`
 * is checked structurally for fields we do not know, so a replica with an older type keeps them.
 */
export function validateChange(change: unknown, doc?: DocState, type?: TypeDef): asserts change is Change {
  if (!isRecord(change)) bad('change', 'type', 'a change must be an object');
  if (!isStamp(change.stamp)) bad('change.stamp', 'stamp', `malformed stamp ${describeValue(change.stamp)}`);
  if (change.id !== change.stamp) bad('change.id', 'id', 'id must equal stamp');
  if (!isDocId(change.doc)) bad('change.doc', 'format', 'bad document id');
  if (typeof change.type !== 'string' || change.type.length === 0)
    bad('change.type', 'type', 'bad type name');
  if (!Number.isInteger(change.v) || (change.v as number) < 1)
    bad('change.v', 'version', 'v must be an integer >= 1');
  const ops = change.ops;
  if (!isRecord(ops)) bad('change.ops', 'type', 'ops must be an object');
  if (change.th !== undefined && (typeof change.th !== 'string' || !TYPE_HASH.test(change.th)))
    bad('change.th', 'format', 'th must be a type hash');
  if (type !== undefined && doc !== undefined && (change.v as number) <= type.version && doc.v !== change.v) {
    bad(
      'change.v',
      'version',
      `document is at version ${doc.v}, change at ${String(change.v)}: upgrade first (TypeRegistry.applyChange does)`,
    );
  }
  if (doc !== undefined) {
    if (doc.id !== change.doc)
      bad('change.doc', 'same-document', `change is for ${change.doc}, not ${doc.id}`);
    if (doc.type !== change.type) bad('change.type', 'same-type', `document is a ${doc.type}`);
  }
  if (type !== undefined && type.name !== change.type)
    bad('change.type', 'same-type', `expected type ${type.name}`);
  const strict = type !== undefined && (change.v as number) <= type.version;
  for (const key in ops) {
    const delta = ops[key];
    // Stored by name in plain objects: see isInheritedKey.
    if (isInheritedKey(key)) bad(key, 'reserved', `\`${key}\` is reserved by JavaScript`);
    if (key === DELETED_KEY) {
      if (!isRecord(delta) || typeof delta.v !== 'boolean')
        bad(key, 'delta', 'tombstone delta is { v: boolean }');
      validateFieldDelta(delta, undefined, key, doc?.deleted);
      continue;
    }
    if (key.startsWith('$')) {
      // Hidden data of a migrated field: kept and merged, checked structurally only.
      if (!isHiddenKey(key)) bad(key, 'name', 'unknown reserved key');
      validateFieldDelta(delta, undefined, key, doc === undefined ? undefined : currentField(doc, key));
      continue;
    }
    const def = type !== undefined && Object.hasOwn(type.fields, key) ? type.fields[key] : undefined;
    if (strict && def === undefined)
      bad(key, 'unknown-field', `${change.type} v${type.version} has no field ${key}`);
    validateFieldDelta(
      delta,
      strict ? def : undefined,
      key,
      doc === undefined ? undefined : currentField(doc, key),
    );
  }
}
