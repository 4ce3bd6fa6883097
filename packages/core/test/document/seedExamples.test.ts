import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change, Intent } from '../../src/change/change.js';
import { createChange } from '../../src/change/createChange.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { conflicts } from '../../src/document/conflicts.js';
import { isDeleted, type DocState } from '../../src/document/docState.js';
import { encodeDoc } from '../../src/document/encodeDoc.js';
import { materialize } from '../../src/document/materialize.js';

/**
 * The examples of docs/crdt.md, executed: two technicians, Anna and Ben, edit work order #42
 * offline, then sync (each applies the other's change).
 */
let now = 1_764_000_000_000;
const anna = new HybridLogicalClock({ replica: 'anna', now: () => now });
const ben = new HybridLogicalClock({ replica: 'ben', now: () => now });

/** Anna creates #42; both have it. Then each makes one change offline, and they sync. */
function offline(annaIntents: Intent[], benIntents: Intent[]): { a: DocState; b: DocState } {
  now += 1000;
  const created = createChange({
    clock: anna,
    type: WorkOrder,
    doc: undefined,
    docId: 'wo42',
    intents: [
      { op: 'set', path: ['status'], value: 'open' },
      { op: 'set', path: ['address'], value: { street: 'Main St 1', city: 'Bern' } },
    ],
  });
  const a0 = applyChange(undefined, created, WorkOrder);
  const b0 = applyChange(undefined, JSON.parse(JSON.stringify(created)) as Change, WorkOrder); // as received over the wire
  now += 1000;
  const ca = createChange({ clock: anna, type: WorkOrder, doc: a0, intents: annaIntents });
  const cb = createChange({ clock: ben, type: WorkOrder, doc: b0, intents: benIntents });
  const a = applyChange(applyChange(a0, ca, WorkOrder), cb, WorkOrder);
  const b = applyChange(applyChange(b0, cb, WorkOrder), ca, WorkOrder);
  return { a, b };
}

describe('docs/crdt.md examples', () => {
  it('Anna sets the status while Ben adds a note: both survive', () => {
    const { a, b } = offline(
      [{ op: 'set', path: ['status'], value: 'in_progress' }],
      [{ op: 'append', path: ['notes'], values: ['Need replacement part.'] }],
    );
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
    const view = materialize(a);
    expect(view.status).toBe('in_progress');
    expect((view.notes as { value: string }[]).map((n) => n.value)).toEqual(['Need replacement part.']);
  });

  it('both set the status: one wins, the other is visible as superseded', () => {
    const { a, b } = offline(
      [{ op: 'set', path: ['status'], value: 'in_progress' }],
      [{ op: 'set', path: ['status'], value: 'done' }],
    );
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
    // Same wall time and counter: the replica id breaks the tie ('ben' > 'anna').
    expect(materialize(a).status).toBe('done');
    expect(conflicts(a, ['status'])).toEqual([
      { value: 'in_progress', stamp: expect.stringMatching(/:anna$/), replica: 'anna' },
    ]);
    // Anna looks at the conflict and writes again: the conflict is resolved and cleared.
    now += 1000;
    const c = createChange({
      clock: anna,
      type: WorkOrder,
      doc: a,
      intents: [{ op: 'set', path: ['status'], value: 'in_progress' }],
    });
    const resolved = applyChange(a, c, WorkOrder);
    expect(materialize(resolved).status).toBe('in_progress');
    expect(conflicts(resolved, ['status'])).toEqual([]);
  });

  it('both edit the address: street and city both survive', () => {
    const { a, b } = offline(
      [{ op: 'set', path: ['address', 'street'], value: 'Bahnhofstrasse 5' }],
      [{ op: 'set', path: ['address', 'city'], value: 'Zürich' }],
    );
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
    expect(materialize(a).address).toEqual({ street: 'Bahnhofstrasse 5', city: 'Zürich' });
  });

  it('update vs delete: remove wins, the edit is kept, restore brings it back with the edit', () => {
    const { a, b } = offline([{ op: 'delete' }], [{ op: 'set', path: ['status'], value: 'done' }]);
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
    expect(isDeleted(a)).toBe(true);
    expect(materialize(a).status).toBe('done');
    // A later ordinary update does not resurrect it either.
    now += 1000;
    const upd = createChange({
      clock: ben,
      type: WorkOrder,
      doc: b,
      intents: [{ op: 'set', path: ['title'], value: 'still here?' }],
    });
    const b2 = applyChange(b, upd, WorkOrder);
    expect(isDeleted(b2)).toBe(true);
    // Restore is explicit and stamped later than the delete.
    const restore = createChange({ clock: ben, type: WorkOrder, doc: b2, intents: [{ op: 'restore' }] });
    const b3 = applyChange(b2, restore, WorkOrder);
    expect(isDeleted(b3)).toBe(false);
    expect(materialize(b3)).toMatchObject({ status: 'done', title: 'still here?' });
  });

  it('a restore concurrent with a delete: the higher stamp wins, on every replica', () => {
    const { a, b } = offline([{ op: 'delete' }], [{ op: 'restore' }]);
    expect(encodeDoc(a)).toEqual(encodeDoc(b));
    expect(isDeleted(a)).toBe(false); // ben's stamp is higher (same time, replica tie-break)
  });
});

describe('clock vs stamps already in a document', () => {
  it("a write over a value stamped ahead of the writer's clock still wins", () => {
    const t0 = 1_764_000_000_000;
    const fast = new HybridLogicalClock({ replica: 'fast', now: () => t0 + 60_000 }); // a minute ahead, within drift
    const slow = new HybridLogicalClock({ replica: 'slow', now: () => t0 });
    const c0 = createChange({
      clock: fast,
      type: WorkOrder,
      doc: undefined,
      docId: 'wo7',
      intents: [{ op: 'set', path: ['status'], value: 'open' }],
    });
    const doc = applyChange(undefined, JSON.parse(JSON.stringify(c0)) as Change, WorkOrder); // loaded without clock.receive
    const c1 = createChange({
      clock: slow,
      type: WorkOrder,
      doc,
      intents: [{ op: 'set', path: ['status'], value: 'done' }],
    });
    expect(c1.stamp > c0.stamp).toBe(true);
    expect(materialize(applyChange(doc, c1, WorkOrder)).status).toBe('done');
  });
});
