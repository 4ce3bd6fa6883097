import { createHash } from 'node:crypto';
import { docFromJSON, encodeDoc, materialize, MAX_SUPERSEDED } from '@fieldsync/core';
import { CHAOS_TYPE, numberMarker, parseTokens, textToken } from './docType.js';

/**
 * @typedef {import('./ledger.js').WriteRecord} WriteRecord
 * @typedef {{ id: string; type: string; v: number; fields: Record<string, unknown>; deleted?: unknown }} DocJSON
 * @typedef {{ v: unknown; s: string; p?: string; h?: Array<{ v: unknown; s: string }> }} Register
 * @typedef {{ text: string; acked: boolean }} Lost
 * @typedef {{ lost: Lost[]; violations: string[]; checkedWrites: number; requiredWrites: number }} PresenceResult
 */

/** @param {DocJSON} json */
export const fingerprint = (json) =>
  createHash('sha256')
    .update(encodeDoc(docFromJSON(json)))
    .digest('hex');

/**
 * Compares the replicas' fingerprints (id → sha256 of core's canonical `encodeDoc`) with the
 * server's. Returns the ids of documents that are not identical everywhere, with what differed.
 * @param {Record<string, string>} server
 * @param {Array<{ name: string; fingerprints: Record<string, string> | undefined }>} replicas
 */
export function compareReplicas(server, replicas) {
  /** @type {Map<string, string[]>} */
  const diverged = new Map();
  const note = (/** @type {string} */ id, /** @type {string} */ what) => {
    const list = diverged.get(id) ?? [];
    list.push(what);
    diverged.set(id, list);
  };
  for (const r of replicas) {
    if (!r.fingerprints) {
      note('*', `${r.name}: no report`);
      continue;
    }
    for (const [id, fp] of Object.entries(server)) {
      const mine = r.fingerprints[id];
      if (mine === undefined) note(id, `${r.name}: missing`);
      else if (mine !== fp) note(id, `${r.name}: different state`);
    }
    for (const id of Object.keys(r.fingerprints))
      if (!(id in server)) note(id, `${r.name}: not on the server`);
  }
  return diverged;
}

/**
 * Which logged writes touch which part of a document, and the value each one put there.
 * @param {WriteRecord} w
 * @returns {Array<{ key: string; value: unknown; op: 'set' | 'add' | 'remove' | 'inc' }>}
 */
function effects(w) {
  const m = /** @type {string} */ (w.value);
  switch (w.kind) {
    case 'insert':
      return [
        { key: 'title', value: m, op: 'set' },
        { key: 'n', value: numberMarker(w.client, w.seq), op: 'set' },
        { key: 'address.street', value: m, op: 'set' },
        { key: 'address.city', value: m, op: 'set' },
      ];
    case 'title':
      return [{ key: 'title', value: w.value, op: 'set' }];
    case 'num':
      return [{ key: 'n', value: w.value, op: 'set' }];
    case 'street':
    case 'city':
      return [{ key: `address.${w.kind}`, value: w.value, op: 'set' }];
    case 'delete':
    case 'restore':
      return [{ key: '$deleted', value: w.value, op: 'set' }];
    case 'note':
      return [{ key: 'notes', value: m, op: 'add' }];
    case 'tagAdd':
      return [{ key: 'tags', value: m, op: 'add' }];
    case 'tagRemove':
      return [{ key: 'tags', value: m, op: 'remove' }];
    case 'listPush':
      return [{ key: 'items', value: m, op: 'add' }];
    case 'listPull':
      return [{ key: 'items', value: m, op: 'remove' }];
    case 'textIns':
      return [{ key: 'body', value: textToken(m), op: 'add' }];
    case 'textDel':
      return [{ key: 'body', value: textToken(m), op: 'remove' }];
    case 'inc':
      return [{ key: 'qty', value: w.by, op: 'inc' }];
  }
}

/**
 * Checks every logged write against the server's final documents:
 *
 * - a write that is *required* (acknowledged by the server, or resolved as durable by its client)
 *   must be present: a log entry, list item or text token with its marker (unless a remove of
 *   that marker was logged), a set value (same), its increment counted in its client's counter
 *   total, or — for a last-writer-wins register — it must be the winner, a superseded value kept
 *   as a conflict, or have been overwritten knowingly (its stamp ≤ the register's `p`), or have
 *   been pushed out of a full conflict list by newer values; and no register may hold a winner
 *   with a lower stamp than a required write;
 * - nothing may be present that no logged write put there (a foreign or duplicated value, a text
 *   that is not a clean sequence of whole tokens, a counter above what was written).
 *
 * @param {DocJSON[]} docs the server's documents (`docToJSON`, as pulled)
 * @param {Iterable<WriteRecord>} writes
 * @param {Map<number, string>} replicaOf client → its replica id
 * @param {(w: WriteRecord) => boolean} required
 * @returns {PresenceResult}
 */
export function checkPresence(docs, writes, replicaOf, required) {
  /** @type {Map<string, DocJSON>} */
  const byId = new Map(docs.map((d) => [d.id, d]));
  /** @type {Map<string, WriteRecord[]>} */
  const byDoc = new Map();
  for (const w of writes) {
    if (w.failed) continue;
    const list = byDoc.get(w.doc) ?? [];
    list.push(w);
    byDoc.set(w.doc, list);
  }
  /** @type {Lost[]} */
  const lost = [];
  /** @type {string[]} */
  const violations = [];
  let checkedWrites = 0;
  let requiredWrites = 0;
  const label = (/** @type {WriteRecord} */ w) =>
    `c${w.client}#${w.seq} ${w.kind} ${w.doc} ${w.id ?? '(no id)'}`;

  const KEYS = [
    'title',
    'n',
    'address.street',
    'address.city',
    '$deleted',
    'qty',
    'notes',
    'tags',
    'items',
    'body',
  ];
  for (const docId of new Set([...byDoc.keys(), ...byId.keys()])) {
    const ws = byDoc.get(docId) ?? [];
    const json = byId.get(docId);
    const req = ws.filter(required);
    requiredWrites += req.length;
    checkedWrites += ws.length;
    if (!json) {
      for (const w of req)
        lost.push({ text: `${label(w)}: document missing on the server`, acked: !!w.acked });
      continue;
    }
    const doc = docFromJSON(json);
    const mat = /** @type {Record<string, unknown>} */ (materialize(doc, CHAOS_TYPE));
    /** @type {Map<string, Array<{ w: WriteRecord; value: unknown; op: string }>>} */
    const byKey = new Map();
    for (const w of ws)
      for (const e of effects(w)) {
        const list = byKey.get(e.key) ?? [];
        list.push({ w, value: e.value, op: e.op });
        byKey.set(e.key, list);
      }
    // Every part of every document, including parts (and documents) no logged write touched:
    // whatever is there must have been written by someone in the log.
    for (const key of KEYS) {
      const list = byKey.get(key) ?? [];
      const where = `${docId}.${key}`;
      if (key === 'title' || key === 'n' || key.startsWith('address.') || key === '$deleted') {
        const reg = registerAt(json, key);
        checkRegister(where, reg, list, required, label, lost, violations);
      } else if (key === 'qty') {
        checkCounter(where, json.fields['qty'], list, replicaOf, required, lost, violations);
      } else {
        /** @type {unknown[]} */
        let present;
        if (key === 'body') {
          const text = String(mat['body'] ?? '');
          const tokens = parseTokens(text);
          if (!tokens) {
            violations.push(
              `${where}: text is not a sequence of whole tokens: ${JSON.stringify(text.slice(0, 200))}`,
            );
            present = [...text.matchAll(/<c\d{2}\.\d+>/g)].map((x) => x[0]);
          } else present = tokens.map((t) => t.token);
        } else if (key === 'notes') {
          present = /** @type {Array<{ value: unknown }>} */ (mat['notes'] ?? []).map((e) => e.value);
        } else present = /** @type {unknown[]} */ (mat[key] ?? []);
        checkCollection(where, present, list, required, label, lost, violations);
      }
    }
  }
  return { lost, violations, checkedWrites, requiredWrites };
}

/**
 * @param {DocJSON} json
 * @param {string} key
 * @returns {Register | undefined}
 */
function registerAt(json, key) {
  if (key === '$deleted') return /** @type {Register | undefined} */ (json.deleted);
  if (key.startsWith('address.')) {
    const obj = /** @type {{ f?: Record<string, Register> } | undefined} */ (json.fields['address']);
    return obj?.f?.[key.slice('address.'.length)];
  }
  return /** @type {Register | undefined} */ (json.fields[key]);
}

/**
 * @param {string} where
 * @param {Register | undefined} reg
 * @param {Array<{ w: WriteRecord; value: unknown }>} list
 * @param {(w: WriteRecord) => boolean} required
 * @param {(w: WriteRecord) => string} label
 * @param {Lost[]} lost
 * @param {string[]} violations
 */
function checkRegister(where, reg, list, required, label, lost, violations) {
  if (!reg) {
    for (const { w } of list)
      if (required(w)) lost.push({ text: `${label(w)}: ${where} has no value at all`, acked: !!w.acked });
    return;
  }
  /** @type {Map<string, { w: WriteRecord; value: unknown }>} */
  const byStamp = new Map();
  for (const e of list) if (e.w.id) byStamp.set(e.w.id, e);
  const unknownStampValues = new Set(list.filter((e) => !e.w.id).map((e) => e.value));
  /**
   * A stamp/value pair held by the register must come from a logged write (or from a write whose
   * client died before it could report the stamp: then only its value is known).
   * @param {string} s
   * @param {unknown} v
   * @param {string} what
   */
  const known = (s, v, what) => {
    const e = byStamp.get(s);
    if (e ? e.value !== v : !unknownStampValues.has(v))
      violations.push(`${where}: ${what} ${JSON.stringify(v)} @${s} was written by no logged write`);
  };
  known(reg.s, reg.v, 'winner');
  for (const h of reg.h ?? []) known(h.s, h.v, 'superseded value');
  const kept = new Set([reg.s, ...(reg.h ?? []).map((h) => h.s)]);
  const full = (reg.h?.length ?? 0) >= MAX_SUPERSEDED;
  const lowestKept = [...kept].sort()[0] ?? '';
  for (const { w } of list) {
    if (!required(w) || !w.id) continue;
    if (w.id > reg.s) {
      lost.push({ text: `${label(w)}: ${where} holds an older winner (${reg.s})`, acked: !!w.acked });
      continue;
    }
    if (kept.has(w.id)) continue;
    if (reg.p !== undefined && w.id <= reg.p) continue; // overwritten by a writer who had seen it
    if (full && w.id < lowestKept) continue; // pushed out of a full conflict list by newer values
    lost.push({
      text: `${label(w)}: ${where} neither keeps it nor had it overwritten knowingly`,
      acked: !!w.acked,
    });
  }
}

/**
 * Log entries, set values, list items and text tokens: every value present was logged once, and
 * every required add is present unless a remove of it was logged.
 * @param {string} where
 * @param {unknown[]} present
 * @param {Array<{ w: WriteRecord; value: unknown; op: string }>} list
 * @param {(w: WriteRecord) => boolean} required
 * @param {(w: WriteRecord) => string} label
 * @param {Lost[]} lost
 * @param {string[]} violations
 */
function checkCollection(where, present, list, required, label, lost, violations) {
  const added = new Set(list.filter((e) => e.op === 'add').map((e) => e.value));
  const removed = new Set(list.filter((e) => e.op === 'remove').map((e) => e.value));
  const seen = new Set();
  for (const v of present) {
    if (seen.has(v)) violations.push(`${where}: ${JSON.stringify(v)} appears twice`);
    seen.add(v);
    if (!added.has(v)) violations.push(`${where}: ${JSON.stringify(v)} was added by no logged write`);
  }
  for (const { w, value, op } of list) {
    if (op !== 'add' || !required(w) || seen.has(value) || removed.has(value)) continue;
    lost.push({ text: `${label(w)}: ${where} lacks ${JSON.stringify(value)}`, acked: !!w.acked });
  }
}

/**
 * A counter keeps one running total per replica: each client's total must be at least the sum of
 * its required increments and at most the sum of all it announced.
 * @param {string} where
 * @param {unknown} state
 * @param {Array<{ w: WriteRecord; value: unknown }>} list
 * @param {Map<number, string>} replicaOf
 * @param {(w: WriteRecord) => boolean} required
 * @param {Lost[]} lost
 * @param {string[]} violations
 */
function checkCounter(where, state, list, replicaOf, required, lost, violations) {
  const c = /** @type {{ p?: Record<string, number>; n?: Record<string, number> }} */ (state ?? {});
  /** @type {Map<number, { min: number; max: number; acked: number; req: WriteRecord[] }>} */
  const per = new Map();
  for (const { w, value } of list) {
    const t = per.get(w.client) ?? { min: 0, max: 0, acked: 0, req: [] };
    t.max += Number(value);
    if (w.acked) t.acked += Number(value);
    if (required(w)) {
      t.min += Number(value);
      t.req.push(w);
    }
    per.set(w.client, t);
  }
  const replicas = new Map([...replicaOf].map(([client, r]) => [r, client]));
  for (const [r, total] of Object.entries(c.p ?? {}))
    if (!replicas.has(r) || !per.has(/** @type {number} */ (replicas.get(r))))
      violations.push(`${where}: increments of ${total} by unknown replica ${r}`);
  for (const [r, total] of Object.entries(c.n ?? {}))
    if (total !== 0) violations.push(`${where}: decrements of ${total} by ${r}, none were written`);
  for (const [client, t] of per) {
    const replica = replicaOf.get(client);
    const got = replica === undefined ? 0 : (c.p?.[replica] ?? 0);
    if (got < t.min)
      lost.push({
        text: `c${client} inc ×${t.req.length}: ${where} counts ${got} of client ${client}, required ${t.min}`,
        acked: got < t.acked,
      });
    if (got > t.max)
      violations.push(`${where}: counts ${got} of client ${client}, at most ${t.max} was written`);
  }
}
