/**
 * The one document type every chaos client writes: a field of each merge policy, so that every
 * CRDT is exercised over the real network path. Values written are unique markers (`c07.123`:
 * client 7, its write 123), which is what lets the verifier say, for each acknowledged write,
 * whether it is present in the final state.
 */

/** @type {import('@fieldsync/core').TypeDef} */
export const CHAOS_TYPE = {
  name: 'chaosDoc',
  version: 1,
  fields: {
    title: { type: 'string' }, // lww
    n: { type: 'number' }, // lww
    address: {
      type: 'object',
      fields: { street: { type: 'string' }, city: { type: 'string' } },
    }, // per-key object of lww registers
    notes: { type: 'log', of: { type: 'string' } },
    tags: { type: 'set', of: { type: 'string' } },
    qty: { type: 'counter' },
    body: { type: 'text' },
    items: { type: 'list', of: { type: 'string' } },
  },
};

export const COLLECTION = CHAOS_TYPE.name;

/**
 * The marker of write `seq` of client `client`.
 * @param {number} client
 * @param {number} seq
 */
export const marker = (client, seq) => `c${String(client).padStart(2, '0')}.${seq}`;

/**
 * A number unique to that write (the lww number field).
 * @param {number} client
 * @param {number} seq
 */
export const numberMarker = (client, seq) => (client + 1) * 10_000_000 + seq;

/**
 * Text edits insert whole tokens at token boundaries and delete whole tokens, so the final text
 * must still be a concatenation of tokens: an interleaved or half-applied edit shows up as text
 * that does not parse.
 * @param {string} m a marker
 */
export const textToken = (m) => `<${m}>`;

const TOKEN = /<c\d{2}\.\d+>/g;
const TEXT = /^(?:<c\d{2}\.\d+>)*$/;

/**
 * The tokens of a text field with their positions, or undefined if the text is not a clean
 * concatenation of tokens.
 * @param {string} text
 * @returns {Array<{ token: string; at: number }> | undefined}
 */
export function parseTokens(text) {
  if (!TEXT.test(text)) return undefined;
  return [...text.matchAll(TOKEN)].map((m) => ({ token: m[0], at: m.index ?? 0 }));
}

/**
 * The id of a document a client inserts.
 * @param {number} client
 * @param {number} seq
 */
export const newDocId = (client, seq) => `d-c${String(client).padStart(2, '0')}-${seq}`;

/**
 * The ids of the shared documents every client starts from.
 * @param {number} count
 */
export const sharedDocIds = (count) => Array.from({ length: count }, (_, i) => `shared-${i}`);
