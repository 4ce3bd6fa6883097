import type { HybridLogicalClock } from '../clock/hybridLogicalClock.js';
import type { ObjectState } from '../crdt/object.js';
import type { DocState } from '../document/docState.js';
import { kindOfState, objectKind } from '../document/fields.js';
import { currentField, registerStamp } from '../document/registers.js';
import { listKind, textKind } from '../document/kinds/sequenceKind.js';
import { ValidationError } from '../errors.js';
import { createDocId, isDocId } from '../ids.js';
import { joinPath, validateItem, validateValue } from '../schema/validateValue.js';
import { policyOf, SCALAR_TYPES, type FieldDef, type TypeDef } from '../schema/typeDef.js';
import { typeHash } from '../schema/typeHash.js';
import {
  buildAdd,
  buildAppend,
  buildInc,
  buildRemove,
  buildSet,
  buildUnset,
  type Delta,
} from './buildDelta.js';
import { DELETED_KEY, type Change, type Intent } from './change.js';
import { describeValue } from '../util/describeValue.js';

/** Arguments of {@link createChange}. */
export interface CreateChangeInput {
  clock: HybridLogicalClock;
  type: TypeDef;
  /** The current state; undefined creates the document. */
  doc: DocState | undefined;
  /** Id of a new document (generated if omitted); must match `doc.id` if `doc` is given. */
  docId?: string;
  intents: readonly Intent[];
}

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/**
 * Turns intents into a change, validated against the type and the current state (observed set
 * tags, counter totals and the register values the writer saw are read from `doc`). Does not
 * apply it: pass the result to `applyChange`, locally first, then to the outbox. Throws
 * `ValidationError` naming the path and rule; nothing is consumed on a throw (the clock ticks
 * only after validation). The change is a plain object; its values are shared with the intents,
 * not copied. `createAndApply` builds and applies it in one step.
 *
 * Creating a document (`doc` undefined) requires every required field without a default, and
 * writes defaults for fields the intents leave out.
 */
export function createChange(input: CreateChangeInput): Change {
  const { clock, type, doc, intents } = input;
  if (
    doc !== undefined &&
    (doc.type !== type.name || (input.docId !== undefined && input.docId !== doc.id))
  ) {
    bad('doc', 'same-document', 'doc does not match type/docId');
  }
  const docId = doc?.id ?? input.docId ?? createDocId();
  if (doc === undefined && input.docId !== undefined && !isDocId(docId))
    bad('docId', 'format', 'bad document id');
  if (!Array.isArray(intents)) bad('intents', 'type', 'intents must be an array');
  const replica = clock.replica;
  const ops: Record<string, Delta> = {};
  for (let i = 0; i < intents.length; i++) {
    const intent = intents[i] as Intent;
    const op = intent.op;
    if (op === 'delete' || op === 'restore') {
      const seen = doc?.deleted?.s;
      const v = op === 'delete';
      ops[DELETED_KEY] = seen === undefined ? { v } : { v, p: seen };
      continue;
    }
    const path = intent.path;
    if (!Array.isArray(path) || path.length === 0)
      bad(`intents[${i}].path`, 'path', 'path must be a non-empty array');
    const name = path[0] as string;
    const def = type.fields[name];
    if (def === undefined) bad(name, 'unknown-field', `${type.name} has no field ${JSON.stringify(name)}`);
    // Fast path: a plain scalar set, the bulk of all writes.
    if (op === 'set' && path.length === 1 && SCALAR_TYPES.has(def.type) && intent.value !== undefined) {
      validateValue(def, intent.value, name);
      const seen = doc === undefined ? undefined : registerStamp(doc, name);
      ops[name] = seen === undefined ? { v: intent.value } : { v: intent.value, p: seen };
      continue;
    }
    if (doc === undefined && op === 'set' && path.length === 1 && def.type === 'log') {
      initialEntries(def, intent.value, name, ops);
      continue;
    }
    ops[name] = buildAt(
      def,
      doc === undefined ? undefined : currentField(doc, name),
      ops[name],
      intent,
      path,
      1,
      name,
      replica,
    );
  }
  if (doc === undefined) fillNew(type, ops, replica);
  else {
    // Overwriting a value stamped ahead of our clock (a peer's clock runs fast, within the drift
    // bound, and we never received that stamp): move the clock past it, or the write would lose.
    const seen = maxSeen(ops, '');
    const last = clock.last;
    if (seen !== '' && (last === undefined || seen > last)) clock.receive(seen);
  }
  const stamp = clock.now();
  return changeOf(stamp, docId, type, ops);
}

/**
 * `createChange` for a new document given as a record of top-level field values — what a bulk
 * insert has in hand. Same validation, same defaults and the same change as `createChange` with a
 * `set` intent per defined value (in the record's key order), without building the intents.
 * `skip` names a key of `values` that is not a field (the client's `id`).
 */
export function createInsertChange(
  clock: HybridLogicalClock,
  type: TypeDef,
  docId: string,
  values: Readonly<Record<string, unknown>>,
  skip?: string,
): Change {
  if (!isDocId(docId)) bad('docId', 'format', 'bad document id');
  const replica = clock.replica;
  const ops: Record<string, Delta> = {};
  for (const name in values) {
    if (name === skip) continue;
    const value = values[name];
    if (value === undefined) continue;
    const def = type.fields[name];
    if (def === undefined) bad(name, 'unknown-field', `${type.name} has no field ${JSON.stringify(name)}`);
    if (SCALAR_TYPES.has(def.type)) {
      validateValue(def, value, name);
      ops[name] = { v: value };
    } else if (def.type === 'log') initialEntries(def, value, name, ops);
    else {
      const path = [name];
      ops[name] = buildAt(def, undefined, ops[name], { op: 'set', path, value }, path, 1, name, replica);
    }
  }
  fillNew(type, ops, replica);
  return changeOf(clock.now(), docId, type, ops);
}

/** The change, in the key order every change has (id, doc, type, v, stamp, ops, th). */
function changeOf(stamp: string, doc: string, type: TypeDef, ops: Record<string, Delta>): Change {
  return { id: stamp, doc, type: type.name, v: type.version, stamp, ops, th: typeHash(type) };
}

/** Descends `path` through object fields and builds the delta for the intent at its end. */
function buildAt(
  def: FieldDef | undefined,
  current: unknown,
  pending: Delta | undefined,
  intent: Intent,
  path: readonly string[],
  depth: number,
  at: string,
  replica: string,
): Delta {
  if (depth < path.length) {
    if (def !== undefined && (def.type !== 'object' || policyOf(def) !== 'object'))
      bad(at, 'path', 'only object fields have sub-paths');
    const key = path[depth] as string;
    const sub = def?.fields ? def.fields[key] : undefined;
    const subPath = joinPath(at, key);
    if (def?.fields && sub === undefined) bad(subPath, 'unknown-field', 'not a field of this object');
    const cur =
      current !== undefined && kindOfState(current) === objectKind
        ? (current as ObjectState).f[key]
        : undefined;
    const pf = (pending?.f ?? {}) as Record<string, Delta>;
    return {
      k: 'o',
      f: { ...pf, [key]: buildAt(sub, cur, pf[key], intent, path, depth + 1, subPath, replica) },
    };
  }
  const p = def === undefined ? 'lww' : policyOf(def);
  switch (intent.op) {
    case 'set':
      return buildSet(def, current, pending, intent.value, at, replica);
    case 'unset':
      return buildUnset(def, current, pending, at, replica);
    case 'inc':
      if (p !== 'counter') bad(at, 'op', '`inc` needs a counter field');
      return buildInc(current, pending, intent.by, at, replica);
    case 'append':
      if (p === 'log') return buildAppend(def as FieldDef, pending, intent.values, at);
      if (p === 'sequence' && def?.type === 'list')
        return listKind.appendDelta(current, pending, items(def, intent.values, at), replica, at);
      return bad(at, 'op', '`append` needs a log or list field');
    case 'add':
      if (p !== 'set') bad(at, 'op', '`add` needs a set field');
      return buildAdd(def as FieldDef, pending, intent.values, at);
    case 'remove':
      if (p === 'set') return buildRemove(def as FieldDef, current, pending, intent.values, at);
      if (p === 'sequence' && def?.type === 'list')
        return listKind.removeDelta(current, pending, items(def, intent.values, at), replica, at);
      return bad(at, 'op', '`remove` needs a set or list field');
    case 'seq':
      if (p !== 'sequence') bad(at, 'op', '`seq` needs a text or list field');
      if (typeof intent.update !== 'string') bad(at, 'type', '`update` must be a base64 string');
      return (def?.type === 'text' ? textKind : listKind).updateDelta(pending, intent.update, at);
    default:
      return bad(at, 'op', `unknown intent ${describeValue((intent as { op: unknown }).op)}`);
  }
}

/** The highest `p` (stamp a writer saw) in a set of deltas, looking into object deltas. */
function maxSeen(deltas: Record<string, unknown>, max: string): string {
  for (const key in deltas) {
    const d = deltas[key] as { k?: string; p?: unknown; f?: Record<string, unknown> };
    if (d.k === undefined && typeof d.p === 'string' && d.p > max) max = d.p;
    else if (d.k === 'o' && d.f) max = maxSeen(d.f, max);
  }
  return max;
}

/** Checks the values of a list intent against the item type. */
function items(def: FieldDef, values: unknown, at: string): unknown[] {
  if (!Array.isArray(values)) bad(at, 'type', '`values` must be an array');
  values.forEach((v, i) => validateItem(def, v, joinPath(at, i)));
  return values;
}

/**
 * A new document's log field given a value: its items become the log's first entries (a log is
 * append-only, but a new document has nothing to replace). An empty array writes nothing.
 */
function initialEntries(def: FieldDef, value: unknown, name: string, ops: Record<string, Delta>): void {
  if (!Array.isArray(value)) bad(name, 'type', 'the initial entries of a log must be an array');
  if (value.length === 0) delete ops[name];
  else ops[name] = buildAppend(def, undefined, value, name);
}

/** A new document: required fields must be written; defaults fill the rest. */
function fillNew(type: TypeDef, ops: Record<string, Delta>, replica: string): void {
  for (const name in type.fields) {
    if (ops[name] !== undefined) continue;
    const def = type.fields[name] as FieldDef;
    if (def.default !== undefined) {
      const value = structuredClone(def.default);
      if (def.type === 'log') initialEntries(def, value, name, ops);
      else ops[name] = buildSet(def, undefined, undefined, value, name, replica);
    } else if (def.required) bad(name, 'required', 'missing required field');
  }
}
