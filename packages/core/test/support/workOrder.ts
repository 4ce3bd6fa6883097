import fc from 'fast-check';
import type { Intent } from '../../src/change/change.js';
import type { DocState } from '../../src/document/docState.js';
import { Text } from '../../src/sequence/Text.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { toBase64 } from '../../src/util/base64.js';

/** The seed article's work order, with one field of every kind. */
export const WorkOrder: TypeDef = {
  name: 'WorkOrder',
  version: 1,
  fields: {
    status: { type: 'enum', values: ['open', 'in_progress', 'done'] },
    title: { type: 'string' },
    priority: { type: 'number' },
    address: { type: 'object', fields: { street: { type: 'string' }, city: { type: 'string' } } },
    notes: { type: 'log', of: { type: 'string' } },
    tags: { type: 'set', of: { type: 'string' } },
    qty: { type: 'counter' },
    meta: { type: 'object' },
    body: { type: 'text' },
    parts: { type: 'list', of: { type: 'string' } },
  },
};

/**
 * An intent template; `textEdit` becomes a `seq` intent built against the replica's current
 * text (a real edit at a position), everything else is an intent as is.
 */
export type IntentTemplate = Intent | { op: 'textEdit'; at: number; del: number; insert: string };

const word = fc.constantFrom('pump', 'valve', 'seal', 'a', 'b');

/** Random intents covering every field kind and every op. */
export const intentArb: fc.Arbitrary<IntentTemplate> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constant(['status']),
    value: fc.constantFrom('open', 'in_progress', 'done'),
  }),
  fc.record({ op: fc.constant('set' as const), path: fc.constant(['title']), value: word }),
  fc.record({ op: fc.constant('unset' as const), path: fc.constant(['title']) }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constant(['priority']),
    value: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constantFrom(['address', 'street'], ['address', 'city']),
    value: word,
  }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constant(['address']),
    value: fc.record({ street: word }),
  }),
  fc.record({
    op: fc.constant('append' as const),
    path: fc.constant(['notes']),
    values: fc.array(word, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    op: fc.constantFrom('add' as const, 'remove' as const),
    path: fc.constant(['tags']),
    values: fc.array(word, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constant(['tags']),
    value: fc.array(word, { maxLength: 2 }),
  }),
  fc.record({
    op: fc.constant('inc' as const),
    path: fc.constant(['qty']),
    by: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constant(['qty']),
    value: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({
    op: fc.constant('set' as const),
    path: fc.constantFrom(['meta', 'x'], ['meta', 'y']),
    value: fc.oneof(word, fc.integer()),
  }),
  fc.record({ op: fc.constant('set' as const), path: fc.constant(['body']), value: word }),
  fc.record({ op: fc.constant('textEdit' as const), at: fc.nat(20), del: fc.nat(3), insert: word }),
  fc.record({
    op: fc.constantFrom('append' as const, 'remove' as const),
    path: fc.constant(['parts']),
    values: fc.array(word, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({ op: fc.constant('delete' as const) }),
  fc.record({ op: fc.constant('restore' as const) }),
);

/**
 * Turns the templates of one change into intents against `doc` as `replica` sees it. Text edits
 * of one change are made on one editor copy, one after the other, as an editor would; a `set` of
 * the text earlier in the change is made on that copy too (delete all, insert, as `createChange`
 * builds it), so an edit after it builds on the text the set left — as `createChange` requires.
 */
export function realizeAll(
  ts: readonly IntentTemplate[],
  doc: DocState | undefined,
  replica: string,
): Intent[] {
  let editor: Text | undefined;
  const open = (): Text => {
    if (editor === undefined) {
      const current = doc?.fields.body;
      editor = current instanceof Text ? Text.decode(current.encode(), replica) : new Text(replica);
    }
    return editor;
  };
  return ts.map((t) => {
    if (t.op === 'set' && t.path[0] === 'body' && typeof t.value === 'string') {
      const text = open();
      text.delete(0, text.length);
      text.insert(0, t.value);
      return t;
    }
    if (t.op !== 'textEdit') return t;
    return realize(t, open());
  });
}

function realize(t: IntentTemplate & { op: 'textEdit' }, text: Text): Intent {
  const before = text.version;
  const at = text.length === 0 ? 0 : t.at % (text.length + 1);
  text.delete(at, Math.min(t.del, text.length - at));
  text.insert(at, t.insert);
  return { op: 'seq', path: ['body'], update: toBase64(text.encodeSince(before)) };
}
