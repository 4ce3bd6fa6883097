import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../testing/fcSeed.js';
import type { Change, Intent } from '../../src/change/change.js';
import { createChange } from '../../src/change/createChange.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { conflicts } from '../../src/document/conflicts.js';
import { docFromJSON, docToJSON } from '../../src/document/docJson.js';
import type { DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';
import { migrateType } from '../../src/schema/migration.js';
import type { TypeDef } from '../../src/schema/typeDef.js';
import { TypeRegistry } from '../../src/schema/typeRegistry.js';

beforeAll(() => logSeed('schema upgrades'));

const decoder = new TextDecoder();
const key = (d: DocState): string => decoder.decode(encodeDoc(d));
const wire = (c: Change): Change => JSON.parse(JSON.stringify(c)) as Change;

const V1: TypeDef = {
  name: 'Inspection',
  version: 1,
  fields: {
    title: { type: 'string' },
    notes: { type: 'string' },
    state: { type: 'enum', values: ['open', 'closed'] },
    code: { type: 'string' },
    tags: { type: 'set', of: { type: 'string' } },
    count: { type: 'counter' },
  },
};
const V2 = migrateType(V1, [
  { op: 'renameField', from: 'notes', to: 'findings' },
  { op: 'addField', field: 'severity', def: { type: 'enum', values: ['low', 'high'], default: 'low' } },
]);
const V3 = migrateType(V2, [
  {
    op: 'changeType',
    field: 'state',
    def: { type: 'enum', values: ['todo', 'done'] },
    map: { kind: 'enum', values: { open: 'todo', closed: 'done' } },
  },
  { op: 'changeType', field: 'code', def: { type: 'number' }, map: { kind: 'toNumber', onFail: 'unset' } },
  { op: 'removeField', field: 'count' },
  { op: 'changeMerge', field: 'tags', merge: 'lww' },
]);

function registry(...defs: TypeDef[]): TypeRegistry {
  const r = new TypeRegistry();
  for (const d of defs) r.add(JSON.parse(JSON.stringify(d)) as TypeDef); // types arrive as data
  return r;
}

describe('lazy upgrades of documents and offline changes', () => {
  it('issue 6 scenario: B edits notes offline at v1; the edit lands in findings; replicas identical', () => {
    let now = 1_764_000_000_000;
    const a = new HybridLogicalClock({ replica: 'a', now: () => now });
    const b = new HybridLogicalClock({ replica: 'b', now: () => now });
    const regA = registry(V1);
    const create = createChange({
      clock: a,
      type: V1,
      doc: undefined,
      docId: 'insp1',
      intents: [
        { op: 'set', path: ['title'], value: 'Boiler' },
        { op: 'set', path: ['notes'], value: 'ok' },
      ],
    });
    let docA = regA.applyChange(undefined, create);
    let docB = registry(V1).applyChange(undefined, wire(create));
    // A migrates (rename notes -> findings, add severity); B is offline and edits notes at v1.
    regA.add(V2);
    now += 1000;
    const benEdit = createChange({
      clock: b,
      type: V1,
      doc: docB,
      intents: [{ op: 'set', path: ['notes'], value: 'crack in pipe' }],
    });
    docB = registry(V1).applyChange(docB, benEdit);
    docA = regA.upgradeDoc(docA);
    const annaEdit = createChange({
      clock: a,
      type: V2,
      doc: docA,
      intents: [{ op: 'set', path: ['severity'], value: 'high' }],
    });
    docA = regA.applyChange(docA, annaEdit);
    // B reconnects: receives the v2 type first (the protocol's job), then A's change; A receives B's.
    const regB = registry(V1, V2);
    docB = regB.applyChange(docB, wire(annaEdit));
    docA = regA.applyChange(docA, wire(benEdit));
    expect(key(docA)).toBe(key(docB));
    expect(materialize(docA, V2)).toEqual({
      id: 'insp1',
      title: 'Boiler',
      findings: 'crack in pipe',
      severity: 'high',
      count: 0, // never written: a counter reads 0, a set []
      tags: [],
    });
  });

  it('a client two versions behind: a v1 change is upgraded through v2 and v3; removed data stays hidden', () => {
    const now = 1_764_000_000_000;
    const a = new HybridLogicalClock({ replica: 'a', now: () => now });
    const reg = registry(V1, V2, V3);
    const c1 = createChange({
      clock: a,
      type: V1,
      doc: undefined,
      docId: 'insp2',
      intents: [
        { op: 'set', path: ['state'], value: 'closed' },
        { op: 'set', path: ['code'], value: 'x12' },
        { op: 'inc', path: ['count'], by: 3 },
        { op: 'set', path: ['notes'], value: 'n' },
      ],
    });
    const doc = reg.applyChange(undefined, wire(c1));
    expect(doc.v).toBe(3);
    expect(materialize(doc, V3)).toEqual({
      id: 'insp2',
      state: 'done',
      findings: 'n',
      severity: 'low',
      tags: [],
    });
    const json = JSON.stringify(docToJSON(doc));
    expect(json).toContain('$h:3:count'); // removed, not destroyed
    expect(json).toContain('"x12"'); // the unconvertible original is kept too
    expect(key(docFromJSON(JSON.parse(json)))).toBe(key(doc));
  });

  it('upgrading then applying equals applying then upgrading, in any order (property)', () => {
    const intent = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        path: fc.constantFrom(['notes'], ['title']),
        value: fc.constantFrom('a', 'b', '12'),
      }),
      fc.record({
        op: fc.constant('set' as const),
        path: fc.constant(['state']),
        value: fc.constantFrom('open', 'closed'),
      }),
      fc.record({
        op: fc.constant('set' as const),
        path: fc.constant(['code']),
        value: fc.constantFrom('7', 'x', ' 3.5'),
      }),
      fc.record({
        op: fc.constantFrom('add' as const, 'remove' as const),
        path: fc.constant(['tags']),
        values: fc.constantFrom(['t1'], ['t2']),
      }),
      fc.record({
        op: fc.constant('inc' as const),
        path: fc.constant(['count']),
        by: fc.integer({ min: -2, max: 2 }),
      }),
    );
    const writes = fc.array(
      fc.record({
        replica: fc.constantFrom('a', 'b', 'c'),
        intents: fc.array(intent, { minLength: 1, maxLength: 3 }),
        dt: fc.nat(3),
      }),
      { minLength: 1, maxLength: 10 },
    );
    fc.assert(
      fc.property(writes, fc.nat(), fc.array(fc.nat()), (ws, cut, order) => {
        let now = 1_764_000_000_000;
        const clocks: Record<string, HybridLogicalClock> = {};
        const local: Record<string, DocState | undefined> = {};
        const reg1 = registry(V1);
        const changes: Change[] = [];
        for (const w of ws) {
          now += w.dt;
          const clock = (clocks[w.replica] ??= new HybridLogicalClock({
            replica: w.replica,
            now: () => now,
          }));
          const c = createChange({
            clock,
            type: V1,
            doc: local[w.replica],
            docId: 'd',
            intents: w.intents as Intent[],
          });
          local[w.replica] = reg1.applyChange(local[w.replica], c);
          changes.push(wire(c));
        }
        // Replica X: everything at v1, upgraded at the end.
        let x: DocState | undefined;
        for (const c of changes) x = reg1.applyChange(x, c);
        const regAll = registry(V1, V2, V3);
        const upgradedLate = regAll.upgradeDoc(x as DocState);
        // Replica Y: some changes at v1, then upgrade, then the rest (as old changes) in a random order.
        const k = cut % (changes.length + 1);
        let y: DocState | undefined;
        for (const c of changes.slice(0, k)) y = reg1.applyChange(y, c);
        if (y) y = regAll.upgradeDoc(y);
        const rest = changes.slice(k);
        const shuffled: Change[] = [];
        let i = 0;
        while (rest.length) shuffled.push(rest.splice((order[i++] ?? 0) % rest.length, 1)[0] as Change);
        for (const c of shuffled) y = regAll.applyChange(y, c);
        expect(key(y as DocState)).toBe(key(upgradedLate));
        expect(materialize(y as DocState, V3)).toEqual(materialize(upgradedLate, V3));
      }),
    );
  });

  it('concurrent renames on two clients: both pick the same definition and converge', () => {
    let now = 1_764_000_000_000;
    const a = new HybridLogicalClock({ replica: 'a', now: () => now });
    const b = new HybridLogicalClock({ replica: 'b', now: () => now });
    const toFindings = migrateType(V1, [{ op: 'renameField', from: 'notes', to: 'findings' }]);
    const toRemarks = migrateType(V1, [{ op: 'renameField', from: 'notes', to: 'remarks' }]);
    const create = createChange({
      clock: a,
      type: V1,
      doc: undefined,
      docId: 'insp3',
      intents: [{ op: 'set', path: ['notes'], value: 'first' }],
    });
    const regA = registry(V1, toFindings);
    const regB = registry(V1, toRemarks);
    let docA = regA.applyChange(undefined, wire(create));
    let docB = regB.applyChange(undefined, wire(create));
    now += 1000;
    const ea = createChange({
      clock: a,
      type: toFindings,
      doc: docA,
      intents: [
        { op: 'set', path: ['findings'], value: 'from a' },
        { op: 'set', path: ['title'], value: 'A' },
      ],
    });
    docA = regA.applyChange(docA, ea);
    now += 1000;
    const eb = createChange({
      clock: b,
      type: toRemarks,
      doc: docB,
      intents: [{ op: 'set', path: ['remarks'], value: 'from b' }],
    });
    docB = regB.applyChange(docB, eb);
    // They sync types and changes.
    regA.add(JSON.parse(JSON.stringify(toRemarks)) as TypeDef);
    regB.add(JSON.parse(JSON.stringify(toFindings)) as TypeDef);
    const chosen = regA.get('Inspection', 2) as TypeDef;
    expect(regB.get('Inspection', 2)).toEqual(chosen);
    // Each rebases the documents it upgraded under its own definition (a no-op for the winner).
    docA = regA.applyChange(regA.rebaseDoc(docA, toFindings), wire(eb));
    docB = regB.applyChange(regB.rebaseDoc(docB, toRemarks), wire(ea));
    expect(key(docA)).toBe(key(docB));
    const view = materialize(docA, chosen);
    const field = chosen.fields.findings ? 'findings' : 'remarks';
    expect(view[field]).toBe('from b'); // both edits meet in one field; b wrote later
    expect(conflicts(docA, [field]).map((c) => c.value)).toEqual(['from a']); // concurrent: a's value stays visible
    expect(view.title).toBe('A');
  });
});
