import {
  FieldsyncError,
  SchemaError,
  ValidationError,
  docFromJSON,
  isDeleted,
  materialize,
  type Change,
  type ChangeResult,
  type DocState,
  type TypeDef,
  type TypeRegistry as CoreTypeRegistry,
} from '@fieldsync/core';
import { rulesFor, type DocView, type Permissions } from '../auth/rules.js';
import type { User } from '../auth/User.js';
import type { StoredDoc } from '../storage/StorageEngine.js';
import { reject, ruleFailed } from './changeResults.js';
import { RuleError, runRule } from './ruleGuard.js';

/** A document as one push merges into it: its state so far and what the push did to it. */
export interface Working {
  type: string;
  def: TypeDef;
  doc: DocState;
  /** The stored row before this push (for the "before" write check and the tombstone flag). */
  before: StoredDoc | undefined;
  touched: boolean;
  /** Changes of this push already merged into `doc` (the size limit and the horizon check replay them). */
  applied: Change[];
}

/**
 * Merges change `c` (entry `i` of the push) into its document in `work`, loading the stored row
 * on first touch. Checks, in order: same type, the write rule on the document before, core's
 * validation and merge, `required` on a new document, the write rule on the document after. A
 * rejected change leaves `work` exactly as it was.
 */
export function mergeChange(
  perms: Permissions | undefined,
  user: User,
  registry: CoreTypeRegistry,
  work: Map<string, Working>,
  stored: StoredDoc | undefined,
  c: Change,
  def: TypeDef,
  i: number,
): ChangeResult {
  let w = work.get(c.doc);
  if (!w && stored) {
    w = {
      type: stored.type,
      def,
      doc: docFromJSON(JSON.parse(stored.state)),
      before: stored,
      touched: false,
      applied: [],
    };
    work.set(c.doc, w);
  }
  if (w && w.type !== c.type) {
    return reject(
      c.id,
      'type_mismatch',
      // Not naming the stored type: the caller may not be allowed to read that document.
      `document "${c.doc}" already exists with another type than "${c.type}"`,
      `changes[${i}].type`,
    );
  }
  const writeRule = rulesFor(perms, c.type).write;
  if (writeRule && w?.before) {
    const may = runRule('write', c.type, writeRule, user, JSON.parse(w.before.view) as DocView);
    if (may instanceof RuleError) return ruleFailed(c, i);
    if (!may) return reject(c.id, 'forbidden', `not allowed to change document "${c.doc}"`, `changes[${i}]`);
  }
  let next: DocState;
  try {
    // Core's registry translates a change written under a losing concurrent definition, upgrades
    // changes and the stored document to the newest version (an offline edit of a renamed field
    // lands in its new name), then validates and merges: old-version changes are never dropped.
    // Pure: `w.doc` stays as it was until `next` is accepted below, whatever happens.
    next = registry.applyChange(w?.doc, c);
  } catch (e) {
    if (e instanceof ValidationError)
      return reject(c.id, 'invalid_change', e.message, `changes[${i}].${e.path}`, { rule: e.rule });
    if (e instanceof SchemaError) return reject(c.id, 'type_version', e.message, `changes[${i}].v`);
    if (e instanceof FieldsyncError) return reject(c.id, e.code, e.message, `changes[${i}]`);
    // Not a typed validation error: the merge itself failed. Only this change is rejected; the
    // document keeps the changes of this push accepted so far.
    return reject(
      c.id,
      'merge_failed',
      `change could not be merged: ${e instanceof Error ? e.message : String(e)}`,
      `changes[${i}]`,
    );
  }
  // A change that creates a document must satisfy `required` like an insert on a client does:
  // the server is a peer, and a document stored without its required fields reaches every device.
  const missing = w ? undefined : missingRequired(next, registry.get(c.type, next.v) ?? def);
  if (missing !== undefined)
    return reject(
      c.id,
      'invalid_change',
      `changes[${i}].ops.${missing}: required: a new ${c.type} needs "${missing}"`,
      `changes[${i}].ops.${missing}`,
      { rule: 'required' },
    );
  if (writeRule) {
    const may = runRule(
      'write',
      c.type,
      writeRule,
      user,
      materialize(next, registry.get(c.type, next.v) ?? def),
    );
    if (may instanceof RuleError) return ruleFailed(c, i);
    if (!may)
      return reject(
        c.id,
        'forbidden',
        `the change would put document "${c.doc}" outside what you may write`,
        `changes[${i}]`,
      );
  }
  if (w) {
    w.doc = next;
    w.touched = true;
    w.applied.push(c);
  } else {
    work.set(c.doc, { type: c.type, def, doc: next, before: undefined, touched: true, applied: [c] });
  }
  return { id: c.id, status: 'ok' };
}

/** The first required field (without a default) that a new, not deleted document lacks. */
function missingRequired(doc: DocState, def: TypeDef): string | undefined {
  if (isDeleted(doc)) return undefined;
  const view = materialize(doc, def) as Record<string, unknown>;
  for (const [name, f] of Object.entries(def.fields))
    if (f.required && f.default === undefined && view[name] === undefined) return name;
  return undefined;
}
