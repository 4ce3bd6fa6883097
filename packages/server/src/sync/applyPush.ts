import {
  ClockDriftError,
  isRecord,
  isDeleted,
  materialize,
  stampReplica,
  type Change,
  type HybridLogicalClock,
  type ChangeResult,
  type TypeDef,
} from '@fieldsync/core';
import type { Permissions } from '../auth/rules.js';
import type { User } from '../auth/User.js';
import type { StorageEngine, CommitPlan } from '../storage/StorageEngine.js';
import { changeHash } from './changeHash.js';
import { envelopeProblem } from './changeEnvelope.js';
import { reject } from './changeResults.js';
import { mergeChange, type Working } from './mergeChange.js';
import { settleOldRetries } from './oldRetries.js';
import type { TypeRegistry } from './TypeRegistry.js';
import { valueProblem } from '../validation/storableValues.js';
import { fitDocSize } from './docSizeLimit.js';
import { checkPushStateBudget } from './pushStateBudget.js';
import { TYPES_COLLECTION } from './renderDelta.js';

export interface PushContext {
  storage: StorageEngine;
  types: TypeRegistry;
  clock: HybridLogicalClock;
  permissions: Permissions | undefined;
  /** The history horizon: change ids made before it may have been forgotten (see below). */
  history?: { readonly horizonMs: number };
  /**
   * `maxDocBytes`: largest stored document state (`doc_too_large` beyond). `maxPushStateBytes`:
   * stored bytes one push may touch (`push_too_large` beyond, see `checkPushStateBudget`).
   * Default: no limit.
   */
  limits?: { maxDocBytes: number; maxPushStateBytes?: number };
}

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
      checkPushStateBudget(loaded.docs, ctx.limits?.maxPushStateBytes ?? Infinity);
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
        const res = mergeChange(ctx.permissions, user, registry, work, loaded.docs.get(c.doc), c, def, i);
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
      const horizon = ctx.history?.horizonMs;
      if (horizon !== undefined && Number.isFinite(horizon))
        settleOldRetries(horizon, work, valid, results, accepted);
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
