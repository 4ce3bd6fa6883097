import {
  ClockDriftError,
  FieldsyncError,
  ValidationError,
  docFromJSON,
  docToJSON,
  encodeDoc,
  isDeleted,
  materialize,
  mergeDocs,
  type DocJSON,
  type DocState,
  type MergeResult,
  type TypeDef,
  isRecord,
} from '@fieldsync/core';
import { rulesFor, type DocView } from '../auth/rules.js';
import type { User } from '../auth/User.js';
import { valueProblem } from '../validation/storableValues.js';
import type { CommitPlan, StoredDoc } from '../storage/StorageEngine.js';
import type { PushContext } from './applyPush.js';
import { docSchemaProblem } from './docSchemaProblem.js';
import { TYPES_COLLECTION } from './renderDelta.js';
import { RuleError, runRule } from './ruleGuard.js';
import { newestStamp } from './stateStamps.js';

const reject = (id: string, code: string, message: string, path?: string, rule?: string): MergeResult => ({
  id,
  status: 'rejected',
  error: { code, message, ...(path === undefined ? {} : { path }), ...(rule === undefined ? {} : { rule }) },
});

const sameState = (a: DocState, b: DocState): boolean => Buffer.from(encodeDoc(a)).equals(encodeDoc(b));

interface Working {
  def: TypeDef;
  /** The stored row before this request (write rule "before", tombstone flag). */
  before: StoredDoc | undefined;
  doc: DocState | undefined;
  touched: boolean;
}

/**
 * Merges full document states (core `docToJSON`) into the stored ones — what a device sends back
 * when it resynchronises with a store that lost history (another epoch, a head below its cursor):
 * everything it holds that the server may lack, not only its outbox.
 *
 * Each state is checked like a push's changes: boundary rules, structure (`docFromJSON`), a known
 * and non-reserved type, the drift bound on the newest stamp anywhere in it (a forged far-future
 * stamp would otherwise win its register forever), the type's schema (`docSchemaProblem`), and
 * the `write` rule before and after. Then it is joined with core's `mergeDocs` (after upgrading
 * both sides to the same version) in ONE storage transaction with the request's other states, and
 * fanned out to SSE streams like a push. A rejected state changes nothing; a state the server
 * already holds entirely is `unchanged` and writes nothing. No change ids are recorded: a state
 * is not a change, and merging it twice is a no-op (a join).
 */
export async function applyMerge(
  ctx: PushContext,
  user: User,
  raws: readonly unknown[],
): Promise<{ results: MergeResult[]; cursor: number }> {
  const results: (MergeResult | undefined)[] = new Array(raws.length);
  const registry = await ctx.types.registry(user.tenant);
  const valid: Array<{ i: number; doc: DocState; def: TypeDef }> = [];
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i];
    const id = isRecord(raw) && typeof raw['id'] === 'string' ? raw['id'] : `#${i}`;
    const hostile = valueProblem(raw, `docs[${i}]`);
    if (hostile) {
      results[i] = reject(id, 'invalid_doc', hostile.message, hostile.path, hostile.rule);
      continue;
    }
    let doc: DocState;
    try {
      doc = docFromJSON(raw);
    } catch (e) {
      if (e instanceof ValidationError) {
        results[i] = reject(id, 'invalid_doc', e.message, `docs[${i}]${e.path ? '.' + e.path : ''}`, e.rule);
        continue;
      }
      if (e instanceof FieldsyncError) {
        results[i] = reject(id, 'invalid_doc', e.message, `docs[${i}]`);
        continue;
      }
      throw e;
    }
    if (doc.type === TYPES_COLLECTION || doc.type.startsWith('_')) {
      results[i] = reject(id, 'reserved_type', `"${doc.type}" is a system collection`, `docs[${i}].type`);
      continue;
    }
    const def = registry.get(doc.type);
    if (!def) {
      results[i] = reject(id, 'unknown_type', `type "${doc.type}" is not defined`, `docs[${i}].type`);
      continue;
    }
    const newest = newestStamp(raw as DocJSON);
    if (newest) {
      try {
        ctx.clock.receive(newest.stamp);
      } catch (e) {
        if (!(e instanceof ClockDriftError)) throw e;
        results[i] = reject(id, 'clock_drift', e.message, `docs[${i}].${newest.path}`);
        continue;
      }
    }
    const up = registry.upgradeDoc(doc);
    const schemaDef = registry.get(up.type, up.v);
    const problem = schemaDef ? docSchemaProblem(up, schemaDef) : undefined;
    if (problem) {
      results[i] = reject(id, 'invalid_doc', problem.message, `docs[${i}].${problem.path}`, problem.rule);
      continue;
    }
    valid.push({ i, doc: up, def });
  }

  const writeRule = (type: string) => rulesFor(ctx.permissions, type).write;
  const commit = await ctx.storage.commit(
    { tenant: user.tenant, changeIds: [], docIds: [...new Set(valid.map((x) => x.doc.id))] },
    (loaded): CommitPlan => {
      // The plan may run again if the engine retries; start from a clean slate each time.
      for (const { i } of valid) results[i] = undefined;
      const work = new Map<string, Working>();
      for (const { i, doc, def } of valid) {
        let w = work.get(doc.id);
        if (!w) {
          const before = loaded.docs.get(doc.id);
          w = {
            def,
            before,
            doc: before ? registry.upgradeDoc(docFromJSON(JSON.parse(before.state))) : undefined,
            touched: false,
          };
          work.set(doc.id, w);
        }
        if (w.before && w.before.type !== doc.type) {
          results[i] = reject(
            doc.id,
            'type_mismatch',
            `document "${doc.id}" is of another type`,
            `docs[${i}].type`,
          );
          continue;
        }
        const rule = writeRule(doc.type);
        if (rule && w.before) {
          const may = runRule('write', doc.type, rule, user, JSON.parse(w.before.view) as DocView);
          if (may !== true) {
            results[i] = ruleRefusal(doc.id, i, may);
            continue;
          }
        }
        let merged: DocState;
        try {
          const target = Math.max(doc.v, w.doc?.v ?? 0);
          merged = w.doc
            ? mergeDocs(registry.upgradeDoc(w.doc, target), registry.upgradeDoc(doc, target))
            : doc;
        } catch (e) {
          if (!(e instanceof ValidationError)) throw e;
          results[i] = reject(doc.id, 'invalid_doc', e.message, `docs[${i}].fields.${e.path}`, e.rule);
          continue;
        }
        if (w.doc && sameState(merged, w.doc)) {
          results[i] = { id: doc.id, status: 'unchanged' };
          continue;
        }
        if (rule) {
          const view = materialize(merged, registry.get(doc.type, merged.v) ?? def);
          const may = runRule('write', doc.type, rule, user, view);
          if (may !== true) {
            results[i] = ruleRefusal(doc.id, i, may, true);
            continue;
          }
        }
        w.doc = merged;
        w.touched = true;
        results[i] = { id: doc.id, status: 'ok' };
      }
      const docs: CommitPlan['docs'] = [];
      for (const [id, w] of work) {
        if (!w.touched || !w.doc) continue;
        docs.push({
          id,
          type: w.doc.type,
          deleted: isDeleted(w.doc),
          state: JSON.stringify(docToJSON(w.doc)),
          view: JSON.stringify(materialize(w.doc, registry.get(w.doc.type, w.doc.v) ?? w.def)),
        });
      }
      return { docs, changes: [] };
    },
  );
  return {
    results: results.map((r, i) => r ?? reject(`#${i}`, 'internal', 'document was not processed')),
    cursor: commit.cursor,
  };
}

function ruleRefusal(id: string, i: number, may: false | RuleError, after = false): MergeResult {
  if (may instanceof RuleError)
    return reject(
      id,
      'rule_error',
      `the write rule failed on document "${id}"; the server logged why`,
      `docs[${i}]`,
    );
  return reject(
    id,
    'forbidden',
    after
      ? `the state would put document "${id}" outside what you may write`
      : `not allowed to change document "${id}"`,
    `docs[${i}]`,
  );
}
