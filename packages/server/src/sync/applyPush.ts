import {
  ClockDriftError,
  FieldsyncError,
  SchemaError,
  ValidationError,
  type TypeRegistry as CoreTypeRegistry,
  docFromJSON,
  encodeDoc,
  isDeleted,
  isStamp,
  materialize,
  stampReplica,
  type Change,
  type DocState,
  type HybridLogicalClock,
  type ChangeResult,
  type TypeDef,
} from '@fieldsync/core';
import { rulesFor, type DocView, type Permissions } from '../auth/rules.js';
import type { User } from '../auth/User.js';
import type { StorageEngine, StoredDoc, CommitPlan } from '../storage/StorageEngine.js';
import { stampsBelow } from '../history/HistoryCompactor.js';
import { changeHash } from './changeHash.js';
import type { TypeRegistry } from './TypeRegistry.js';
import { valueProblem } from '../validation/storableValues.js';
import { fitDocSize } from './docSizeLimit.js';
import { RuleError, runRule } from './ruleGuard.js';
import { TYPES_COLLECTION } from './renderDelta.js';

export interface PushContext {
  storage: StorageEngine;
  types: TypeRegistry;
  clock: HybridLogicalClock;
  permissions: Permissions | undefined;
  /** The history horizon: change ids made before it may have been forgotten (see below). */
  history?: { readonly horizonMs: number };
  /** `maxDocBytes`: largest stored document state (`doc_too_large` beyond). Default: no limit. */
  limits?: { maxDocBytes: number };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Envelope check before anything else: a malformed entry is rejected, its neighbours proceed. */
function envelopeProblem(c: unknown): { message: string; path: string } | undefined {
  if (!isRecord(c)) return { message: 'a change must be a JSON object', path: '' };
  for (const k of ['id', 'doc', 'type'] as const) {
    if (typeof c[k] !== 'string' || c[k] === '')
      return { message: `"${k}" must be a non-empty string`, path: k };
  }
  if (!isStamp(c['stamp'])) return { message: '"stamp" is not a valid HLC stamp', path: 'stamp' };
  if (typeof c['v'] !== 'number') return { message: '"v" (type version) must be a number', path: 'v' };
  if (c['ops'] === undefined || c['ops'] === null) return { message: '"ops" is missing', path: 'ops' };
  return undefined;
}

interface Working {
  type: string;
  def: TypeDef;
  doc: DocState;
  /** The stored row before this push (for the "before" write check and the tombstone flag). */
  before: StoredDoc | undefined;
  touched: boolean;
  /** Changes of this push already merged into `doc` (the size limit and the horizon check replay them). */
  applied: Change[];
}

const reject = (
  id: string,
  code: string,
  message: string,
  path?: string,
  extra?: { rule?: string; limit?: number },
): ChangeResult => ({
  id,
  status: 'rejected',
  error: { code, message, ...(path === undefined ? {} : { path }), ...extra },
});

/**
 * Merges a batch of changes into stored document states in ONE storage transaction.
 *
 * Each change is validated (envelope, known type, clock drift, write rules, core schema
 * validation inside `applyChange`) and either merged or rejected with a reason; a rejected change
 * leaves its document exactly as it was (core's `applyChange` is pure: the merged state replaces
 * the working one only once every check passed), so one bad change never drops or half-applies
 * another. The caller answers only after `commit` resolved, i.e. after the transaction committed.
 */
export async function applyPush(
  ctx: PushContext,
  user: User,
  changes: readonly unknown[],
): Promise<{ results: ChangeResult[]; cursor: number }> {
  const results: (ChangeResult | undefined)[] = new Array(changes.length);
  const valid: Array<{ i: number; c: Change; def: TypeDef; hash: string; replica: string }> = [];
  const defs = new Map<string, TypeDef | undefined>();
  const registry = await ctx.types.registry(user.tenant);
  for (let i = 0; i < changes.length; i++) {
    const raw = changes[i];
    const problem = envelopeProblem(raw);
    const id = isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : `#${i}`;
    if (problem) {
      results[i] = reject(
        id,
        'bad_change',
        problem.message,
        `changes[${i}]${problem.path ? '.' + problem.path : ''}`,
      );
      continue;
    }
    // Hostile strings and nesting: rejected here, for this change alone, on every engine alike.
    const hostile = valueProblem(raw, `changes[${i}]`);
    if (hostile) {
      results[i] = reject(id, 'invalid_change', hostile.message, hostile.path, { rule: hostile.rule });
      continue;
    }
    const c = raw as unknown as Change;
    if (c.type === TYPES_COLLECTION || c.type.startsWith('_')) {
      results[i] = reject(
        c.id,
        'reserved_type',
        `"${c.type}" is a system collection; define types with PUT /v1/types/:name`,
        `changes[${i}].type`,
      );
      continue;
    }
    if (!defs.has(c.type)) defs.set(c.type, registry.get(c.type));
    const def = defs.get(c.type);
    if (!def) {
      results[i] = reject(c.id, 'unknown_type', `type "${c.type}" is not defined`, `changes[${i}].type`);
      continue;
    }
    try {
      ctx.clock.receive(c.stamp);
    } catch (e) {
      if (e instanceof ClockDriftError) {
        // Core's message speaks of "local time"; here local is the server, and the device
        // reading this needs to know whose clock is compared (its own is likely wrong).
        const message = `stamp ${e.remote} is ${e.driftMs} ms ahead of the server's clock (max ${ctx.clock.maxDrift} ms): check the device's clock`;
        results[i] = reject(c.id, 'clock_drift', message, `changes[${i}].stamp`);
        continue;
      }
      throw e;
    }
    valid.push({ i, c, def, hash: changeHash(c), replica: stampReplica(c.stamp) });
  }

  const maxDocBytes = ctx.limits?.maxDocBytes ?? Infinity;
  const indexOf = new Map(valid.map((x) => [x.c.id, x.i] as const));
  const commit = await ctx.storage.commit(
    {
      tenant: user.tenant,
      changeIds: valid.map((x) => x.c.id),
      docIds: [...new Set(valid.map((x) => x.c.doc))],
      replicas: [...new Set(valid.map((x) => x.replica))],
    },
    (loaded): CommitPlan => {
      // The plan may run again if the engine retries; start from a clean slate each time.
      for (const { i } of valid) results[i] = undefined;
      const seen = new Map<string, string>(loaded.hashes);
      const owners = new Map<string, string>(loaded.owners);
      const work = new Map<string, Working>();
      const accepted: CommitPlan['changes'] = [];
      const bind: NonNullable<CommitPlan['bind']> = [];
      for (const { i, c, def, hash, replica } of valid) {
        // Change identity: a replica id belongs to the user that first pushed with it, and a
        // change id to the content first stored under it. Only the same content from the same
        // user is a `duplicate` (the device may drop it); anything else is refused with a code
        // the device answers by re-issuing its change under fresh stamps.
        const owner = owners.get(replica);
        if (owner !== undefined && owner !== user.id) {
          results[i] = reject(
            c.id,
            'replica_taken',
            `replica id "${replica}" is used by another user of this tenant; re-issue the change under a new replica id`,
            `changes[${i}].stamp`,
          );
          continue;
        }
        if (loaded.known.has(c.id) || seen.has(c.id)) {
          const stored = seen.get(c.id);
          results[i] =
            stored === undefined || stored === hash
              ? { id: c.id, status: 'duplicate' }
              : reject(
                  c.id,
                  'id_conflict',
                  `change id "${c.id}" is already stored with other content; re-issue the change with a fresh stamp`,
                  `changes[${i}].id`,
                );
          continue;
        }
        const res = mergeOne(ctx.permissions, user, registry, work, loaded.docs.get(c.doc), c, def, i);
        results[i] = res;
        if (res.status === 'ok') {
          seen.set(c.id, hash);
          accepted.push({ id: c.id, doc: c.doc, hash });
          if (owner === undefined) {
            owners.set(replica, user.id);
            bind.push({ replica, user: user.id });
          }
        }
      }
      // Changes made before the history horizon may be retries whose ids were compacted away: if
      // merging them changed nothing, they are answered `duplicate` and nothing is written, so a
      // retry (or a deterministic re-seed) never rewrites documents and wakes every device.
      // (Only for old changes: the comparison costs an encode, off the hot path.)
      const horizon = ctx.history?.horizonMs;
      if (horizon !== undefined && Number.isFinite(horizon)) {
        const below = stampsBelow(Date.now() - horizon);
        for (const w of work.values()) {
          if (!w.touched || !w.before || w.applied.some((c) => c.stamp >= below)) continue;
          const before = encodeDoc(docFromJSON(JSON.parse(w.before.state)));
          if (!Buffer.from(before).equals(encodeDoc(w.doc))) continue;
          w.touched = false;
          const ids = new Set(w.applied.map((c) => c.id));
          for (const { i, c } of valid) if (ids.has(c.id)) results[i] = { id: c.id, status: 'duplicate' };
          for (let k = accepted.length - 1; k >= 0; k--) if (ids.has(accepted[k]!.id)) accepted.splice(k, 1);
        }
      }
      const docs: CommitPlan['docs'] = [];
      const tooLarge = new Set<string>();
      for (const [id, w] of work) {
        if (!w.touched) continue;
        const fit = fitDocSize(w.doc, w.before?.state, w.applied, registry, maxDocBytes);
        for (const { change, bytes } of fit.dropped) {
          const i = indexOf.get(change.id) ?? -1;
          tooLarge.add(change.id);
          results[i] = reject(
            change.id,
            'doc_too_large',
            `document "${id}" would be ${bytes} bytes with this change; the limit is ${maxDocBytes}`,
            `changes[${i}]`,
            { limit: maxDocBytes },
          );
        }
        if (!fit.doc || fit.dropped.length === w.applied.length) continue;
        docs.push({
          id,
          type: w.type,
          deleted: isDeleted(fit.doc),
          state: fit.state,
          view: JSON.stringify(materialize(fit.doc, registry.get(w.type, fit.doc.v) ?? w.def)),
        });
      }
      return {
        docs,
        changes: tooLarge.size ? accepted.filter((a) => !tooLarge.has(a.id)) : accepted,
        bind,
      };
    },
  );
  return {
    results: results.map((r, i) => r ?? reject(`#${i}`, 'internal', 'change was not processed')),
    cursor: commit.cursor,
  };
}

function mergeOne(
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

/** A write rule threw: this change alone is rejected (the reason is logged, not sent). */
const ruleFailed = (c: Change, i: number): ChangeResult =>
  reject(
    c.id,
    'rule_error',
    `the write rule of type "${c.type}" failed on this change; it is rejected and the server logged why`,
    `changes[${i}]`,
  );

/** The first required field (without a default) that a new, not deleted document lacks. */
function missingRequired(doc: DocState, def: TypeDef): string | undefined {
  if (isDeleted(doc)) return undefined;
  const view = materialize(doc, def) as Record<string, unknown>;
  for (const [name, f] of Object.entries(def.fields))
    if (f.required && f.default === undefined && view[name] === undefined) return name;
  return undefined;
}
