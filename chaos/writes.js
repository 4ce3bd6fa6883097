import { COLLECTION, marker, newDocId, numberMarker, parseTokens, textToken } from './docType.js';

/**
 * What a chaos client is about to write, sent to the parent (and logged there) before the write is
 * made, so the parent's log can account for every value that may appear in any replica.
 * @typedef {{
 *   seq: number;
 *   kind: WriteKind;
 *   doc: string;
 *   path: string[];
 *   value?: unknown;
 *   by?: number;
 * }} WriteIntent
 * @typedef {'title' | 'num' | 'street' | 'city' | 'note' | 'tagAdd' | 'tagRemove' | 'inc' | 'textIns'
 *   | 'textDel' | 'listPush' | 'listPull' | 'delete' | 'restore' | 'insert'} WriteKind
 * @typedef {import('@fieldsync/client').Database} Database
 * @typedef {{ intent: WriteIntent; run: () => Promise<void> | undefined }} PlannedWrite
 */

/** How often each kind of write is chosen. */
const WEIGHTS = {
  title: 8,
  num: 4,
  street: 4,
  city: 3,
  note: 8,
  tagAdd: 6,
  tagRemove: 3,
  inc: 6,
  textIns: 8,
  textDel: 3,
  listPush: 6,
  listPull: 2,
  delete: 1,
  restore: 1.5,
  insert: 1.5,
};

/**
 * An insert of document `id` with a title, a number and an address (every register marked).
 * @param {Database} db
 * @param {number} client
 * @param {number} seq
 * @param {string} id
 * @returns {PlannedWrite}
 */
export function planInsert(db, client, seq, id) {
  const coll = db.collection(COLLECTION);
  const m = marker(client, seq);
  return {
    intent: { seq, kind: 'insert', doc: id, path: [], value: m },
    run: () =>
      coll.states.has(id)
        ? undefined
        : coll
            .insert({ id, title: m, n: numberMarker(client, seq), address: { street: m, city: m } })
            .then(() => undefined),
  };
}

/** @param {unknown} v */
const strings = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);

/**
 * Chooses the next write of client `client` (its write number `seq`) from what the local database
 * holds now. `run` re-checks the precondition at the moment of writing (a remote merge may have
 * removed the tag or token meanwhile) and returns undefined when the write is no longer possible;
 * otherwise it makes the write synchronously (the database's write path is synchronous) and
 * returns the promise that resolves when it is durable.
 * @param {Database} db
 * @param {import('./random.js').Random} rng
 * @param {number} client
 * @param {number} seq
 * @returns {PlannedWrite | undefined}
 */
export function planWrite(db, rng, client, seq) {
  const coll = db.collection(COLLECTION);
  const live = [...coll.docs.keys()].sort();
  const deleted = [...coll.states.keys()].filter((id) => !coll.docs.has(id)).sort();
  const m = marker(client, seq);
  let kind = rng.weighted(WEIGHTS);
  if (live.length === 0 || (kind === 'restore' && deleted.length === 0)) kind = 'insert';
  if (kind === 'delete' && live.length <= 4) kind = 'note';
  if (kind === 'insert') return planInsert(db, client, seq, newDocId(client, seq));
  if (kind === 'restore') {
    const id = rng.pick(deleted);
    return {
      intent: { seq, kind, doc: id, path: ['$deleted'], value: false },
      run: () => {
        if (coll.docs.has(id) || !coll.states.has(id)) return undefined;
        db.write(coll, id, [{ op: 'restore' }]);
        return db.durable();
      },
    };
  }
  const id = rng.pick(live);
  const doc = /** @type {Record<string, unknown>} */ (coll.docs.get(id));
  /**
   * @param {WriteKind} k
   * @param {string[]} path
   * @param {unknown} value
   * @param {Record<string, unknown>} modifier
   * @returns {PlannedWrite}
   */
  const update = (k, path, value, modifier) => ({
    intent: { seq, kind: k, doc: id, path, value },
    run: () => (coll.docs.has(id) ? coll.update(id, modifier) : undefined),
  });
  switch (kind) {
    case 'title':
      return update(kind, ['title'], m, { $set: { title: m } });
    case 'num': {
      const n = numberMarker(client, seq);
      return update(kind, ['n'], n, { $set: { n } });
    }
    case 'street':
    case 'city':
      return update(kind, ['address', kind], m, { $set: { [`address.${kind}`]: m } });
    case 'note':
      return update('note', ['notes'], m, { $push: { notes: m } });
    case 'tagAdd':
      return update('tagAdd', ['tags'], m, { $addToSet: { tags: m } });
    case 'tagRemove': {
      const tags = strings(doc['tags']);
      if (tags.length === 0) return update('tagAdd', ['tags'], m, { $addToSet: { tags: m } });
      const tag = rng.pick(tags);
      return {
        intent: { seq, kind, doc: id, path: ['tags'], value: tag },
        run: () => {
          const now = coll.docs.get(id);
          if (!now || !strings(now['tags']).includes(tag)) return undefined;
          return coll.update(id, { $pull: { tags: tag } });
        },
      };
    }
    case 'inc': {
      const by = rng.int(1, 5);
      return {
        intent: { seq, kind, doc: id, path: ['qty'], by },
        run: () => (coll.docs.has(id) ? coll.update(id, { $inc: { qty: by } }) : undefined),
      };
    }
    case 'textIns': {
      const token = textToken(m);
      const r = rng.next();
      return {
        intent: { seq, kind, doc: id, path: ['body'], value: m },
        run: () => {
          if (!coll.docs.has(id)) return undefined;
          const field = coll.text(id, 'body');
          const text = field.toString();
          // Token boundaries only; if the text is already broken, the verifier reports it.
          const bounds = [0, ...(parseTokens(text) ?? []).map((t) => t.at + t.token.length)];
          return field.insert(bounds[Math.floor(r * bounds.length)] ?? 0, token);
        },
      };
    }
    case 'textDel': {
      const tokens = parseTokens(String(doc['body'] ?? '')) ?? [];
      if (tokens.length === 0) return update('note', ['notes'], m, { $push: { notes: m } });
      const victim = rng.pick(tokens).token;
      return {
        intent: { seq, kind, doc: id, path: ['body'], value: victim.slice(1, -1) },
        run: () => {
          if (!coll.docs.has(id)) return undefined;
          const field = coll.text(id, 'body');
          const at = field.toString().indexOf(victim);
          return at < 0 ? undefined : field.delete(at, victim.length);
        },
      };
    }
    case 'listPush':
      return update('listPush', ['items'], m, { $push: { items: m } });
    case 'listPull': {
      const items = strings(doc['items']);
      if (items.length === 0) return update('listPush', ['items'], m, { $push: { items: m } });
      const item = rng.pick(items);
      return {
        intent: { seq, kind, doc: id, path: ['items'], value: item },
        run: () => {
          const now = coll.docs.get(id);
          if (!now || !strings(now['items']).includes(item)) return undefined;
          return coll.update(id, { $pull: { items: item } });
        },
      };
    }
    case 'delete':
      return {
        intent: { seq, kind, doc: id, path: ['$deleted'], value: true },
        run: () => (coll.docs.has(id) ? coll.remove(id) : undefined),
      };
    default:
      return undefined;
  }
}
