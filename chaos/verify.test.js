import { applyChange, createChange, docFromJSON, docToJSON, HybridLogicalClock } from '@fieldsync/core';
import { describe, expect, it } from 'vitest';
import { CHAOS_TYPE, numberMarker } from './docType.js';
import { checkPresence, compareReplicas, fingerprint } from './verify.js';

/**
 * The checker must catch what the chaos suite exists to catch: each case below plants one loss or
 * one invented value in a real core document and expects it reported (and a clean state passes).
 * @typedef {import('./ledger.js').WriteRecord} WriteRecord
 * @typedef {import('@fieldsync/core').Intent} Intent
 * @typedef {import('@fieldsync/core').DocState} DocState
 */

const DOC = 'shared-0';

function world() {
  const clocks = [0, 1].map(
    (i) => new HybridLogicalClock({ replica: `replica${i}`, now: () => 1_800_000_000_000 }),
  );
  /** @type {DocState | undefined} */
  let doc;
  /** @type {WriteRecord[]} */
  const writes = [];
  const seqs = [0, 0];
  /**
   * Client `client` writes `intents` (logged as `kind` with `value`), acknowledged unless said.
   * @param {number} client
   * @param {import('./writes.js').WriteKind} kind
   * @param {unknown} value
   * @param {Intent[]} intents
   * @param {{ acked?: boolean; apply?: boolean; by?: number; base?: DocState }} [o] `base`: the state
   *   the writer saw (default: the current one)
   */
  const write = (client, kind, value, intents, o = {}) => {
    const seq = seqs[client] ?? 0;
    seqs[client] = seq + 1;
    const change = createChange({
      clock: /** @type {HybridLogicalClock} */ (clocks[client]),
      type: CHAOS_TYPE,
      doc: o.base ?? doc,
      docId: DOC,
      intents,
    });
    if (o.apply !== false) doc = applyChange(doc, change, CHAOS_TYPE);
    const acked = o.acked !== false;
    /** @type {WriteRecord} */
    const w = {
      client,
      seq,
      kind,
      doc: DOC,
      path: [],
      value,
      id: change.id,
      made: true,
      acked,
      durable: acked,
    };
    if (o.by !== undefined) w.by = o.by;
    writes.push(w);
    return w;
  };
  write(0, 'insert', 'c00.0', [
    { op: 'set', path: ['title'], value: 'c00.0' },
    { op: 'set', path: ['n'], value: numberMarker(0, 0) },
    { op: 'set', path: ['address'], value: { street: 'c00.0', city: 'c00.0' } },
  ]);
  write(0, 'note', 'c00.1', [{ op: 'append', path: ['notes'], values: ['c00.1'] }]);
  write(1, 'title', 'c01.0', [{ op: 'set', path: ['title'], value: 'c01.0' }]);
  write(1, 'inc', undefined, [{ op: 'inc', path: ['qty'], by: 3 }], { by: 3 });
  write(0, 'textIns', 'c00.2', [{ op: 'set', path: ['body'], value: '<c00.2>' }]);
  write(1, 'tagAdd', 'c01.1', [{ op: 'add', path: ['tags'], values: ['c01.1'] }]);
  write(0, 'listPush', 'c00.3', [{ op: 'append', path: ['items'], values: ['c00.3'] }]);
  const replicaOf = new Map([
    [0, 'replica0'],
    [1, 'replica1'],
  ]);
  const json = () =>
    /** @type {import('./verify.js').DocJSON} */ (
      JSON.parse(JSON.stringify(docToJSON(/** @type {DocState} */ (doc))))
    );
  /** @param {import('./verify.js').DocJSON} [state] the server's document (default: the current one) */
  const check = (state) =>
    checkPresence([state ?? json()], writes, replicaOf, (w) => !!(w.acked || w.durable));
  return { write, writes, check, json, doc: () => /** @type {DocState} */ (doc) };
}

describe('chaos checks', () => {
  it('a state holding every logged write passes', () => {
    const r = world().check();
    expect(r.violations).toEqual([]);
    expect(r.lost).toEqual([]);
    expect(r.requiredWrites).toBe(7);
  });

  it('reports an acknowledged log entry, set value, list item and text token that are missing', () => {
    const w = world();
    w.write(1, 'note', 'c01.2', [{ op: 'append', path: ['notes'], values: ['c01.2'] }], { apply: false });
    w.write(1, 'tagAdd', 'c01.3', [{ op: 'add', path: ['tags'], values: ['c01.3'] }], { apply: false });
    w.write(1, 'listPush', 'c01.4', [{ op: 'append', path: ['items'], values: ['c01.4'] }], { apply: false });
    w.write(1, 'textIns', 'c01.5', [{ op: 'set', path: ['body'], value: '<c00.2><c01.5>' }], {
      apply: false,
    });
    const lost = w.check().lost;
    expect(lost.map((l) => l.text)).toEqual([
      `c1#3 note shared-0 ${w.writes[7]?.id}: shared-0.notes lacks "c01.2"`,
      `c1#4 tagAdd shared-0 ${w.writes[8]?.id}: shared-0.tags lacks "c01.3"`,
      `c1#5 listPush shared-0 ${w.writes[9]?.id}: shared-0.items lacks "c01.4"`,
      `c1#6 textIns shared-0 ${w.writes[10]?.id}: shared-0.body lacks "<c01.5>"`,
    ]);
    expect(lost.every((l) => l.acked)).toBe(true);
  });

  it('a removed value is not lost, an unacknowledged missing write is not required', () => {
    const w = world();
    w.write(0, 'tagRemove', 'c01.1', [{ op: 'remove', path: ['tags'], values: ['c01.1'] }]);
    w.write(1, 'note', 'c01.9', [{ op: 'append', path: ['notes'], values: ['c01.9'] }], {
      apply: false,
      acked: false,
    });
    expect(w.check().lost).toEqual([]);
  });

  it('reports a durable but unacknowledged write that never arrived as lost, not acknowledged', () => {
    const w = world();
    const rec = w.write(1, 'note', 'c01.9', [{ op: 'append', path: ['notes'], values: ['c01.9'] }], {
      apply: false,
      acked: false,
    });
    rec.durable = true;
    expect(w.check().lost).toMatchObject([{ acked: false }]);
  });

  it('reports a register whose winner is older than an acknowledged write', () => {
    const w = world();
    w.write(0, 'title', 'c00.9', [{ op: 'set', path: ['title'], value: 'c00.9' }], { apply: false });
    expect(w.check().lost.map((l) => l.text)).toEqual([
      expect.stringContaining('shared-0.title holds an older winner'),
    ]);
  });

  it('accepts a value overwritten knowingly; a concurrent one must be kept as a conflict', () => {
    const w = world();
    // Client 1 writes a title without having seen client 0's: both stay (winner + conflict).
    const stale = docFromJSON(JSON.parse(JSON.stringify(docToJSON(w.doc()))));
    w.write(0, 'title', 'c00.8', [{ op: 'set', path: ['title'], value: 'c00.8' }]);
    w.write(1, 'title', 'c01.8', [{ op: 'set', path: ['title'], value: 'c01.8' }], { base: stale });
    expect(w.check().lost).toEqual([]);
    // A register that dropped the concurrent value loses a write.
    const json = w.json();
    const title = /** @type {{ h?: unknown[] }} */ (json.fields['title']);
    expect(title.h).toHaveLength(1);
    delete title.h;
    expect(w.check(json).lost.map((l) => l.text)).toEqual([
      expect.stringContaining('shared-0.title neither keeps it nor had it overwritten knowingly'),
    ]);
  });

  it('reports an acknowledged increment that is not counted, and a count above what was written', () => {
    const w = world();
    w.write(1, 'inc', undefined, [{ op: 'inc', path: ['qty'], by: 2 }], { apply: false, by: 2 });
    expect(w.check().lost.map((l) => l.text)).toEqual([
      expect.stringContaining('counts 3 of client 1, required 5'),
    ]);
    const v = world();
    const last = /** @type {WriteRecord} */ (v.writes.find((x) => x.kind === 'inc'));
    last.by = 1;
    expect(v.check().violations).toEqual([expect.stringContaining('counts 3 of client 1, at most 1')]);
  });

  it('reports values no logged write put there, duplicates, and broken text', () => {
    const w = world();
    w.writes.splice(
      w.writes.findIndex((x) => x.kind === 'note'),
      1,
    ); // the log no longer knows c00.1
    w.write(1, 'textIns', 'c01.7', [{ op: 'set', path: ['body'], value: '<c00.2><c01.' }]);
    const v = w.check().violations;
    expect(v).toContainEqual(expect.stringContaining('shared-0.notes: "c00.1" was added by no logged write'));
    expect(v).toContainEqual(
      expect.stringContaining('shared-0.body: text is not a sequence of whole tokens'),
    );
  });

  it('reports a register value that no logged write has', () => {
    const w = world();
    const title = /** @type {WriteRecord} */ (w.writes.find((x) => x.kind === 'title'));
    title.value = 'c01.x';
    expect(w.check().violations).toContainEqual(expect.stringContaining('shared-0.title: winner "c01.0"'));
  });

  it('compares replicas by canonical encoding: a different or missing document diverges', () => {
    const a = world();
    const json = /** @type {import('./verify.js').DocJSON} */ (
      JSON.parse(JSON.stringify(docToJSON(a.doc())))
    );
    const server = { [json.id]: fingerprint(json) };
    expect(compareReplicas(server, [{ name: 'same', fingerprints: { ...server } }]).size).toBe(0);
    a.write(1, 'note', 'c01.5', [{ op: 'append', path: ['notes'], values: ['c01.5'] }]);
    const other = /** @type {import('./verify.js').DocJSON} */ (
      JSON.parse(JSON.stringify(docToJSON(a.doc())))
    );
    const d = compareReplicas(server, [
      { name: 'changed', fingerprints: { [json.id]: fingerprint(other) } },
      { name: 'empty', fingerprints: {} },
      { name: 'silent', fingerprints: undefined },
    ]);
    expect([...d.entries()]).toEqual([
      ['shared-0', ['changed: different state', 'empty: missing']],
      ['*', ['silent: no report']],
    ]);
  });
});
