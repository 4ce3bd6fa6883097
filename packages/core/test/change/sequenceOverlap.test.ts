import { describe, expect, it } from 'vitest';
import { WorkOrder } from '../support/workOrder.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change } from '../../src/change/change.js';
import { createChange } from '../../src/change/createChange.js';
import { validateChange } from '../../src/change/validateChange.js';
import { ValidationError } from '../../src/errors.js';
import { Text } from '../../src/sequence/Text.js';
import { toBase64 } from '../../src/util/base64.js';

// Found by the 5-replica convergence property (FC_SEED=1251976868): one write that set the text
// and then edited it with an update built on the text as it was *before* the set. Both updates
// used the replica's ids 0–3 for different operations, so a replica that received the change
// before the text's first insert kept other characters than one that received it after.

const clock = (replica: string): HybridLogicalClock =>
  new HybridLogicalClock({ replica, now: () => 1_764_000_000_000 });

function withText(): { doc: ReturnType<typeof applyChange>; stale: string } {
  const bob = clock('bob');
  const t = new Text('bob');
  t.insert(0, 'a');
  const c0 = createChange({
    clock: bob,
    type: WorkOrder,
    doc: undefined,
    docId: 'wo42',
    intents: [{ op: 'seq', path: ['body'], update: toBase64(t.encode()) }],
  });
  const doc = applyChange(undefined, c0, WorkOrder);
  // Anna's editor, opened on the document as it is: an insert at the end.
  const editor = Text.decode(t.encode(), 'anna');
  const before = editor.version;
  editor.insert(1, 'pump');
  return { doc, stale: toBase64(editor.encodeSince(before)) };
}

describe('updates of one field in one change', () => {
  it('an edit built on the text before an earlier set of the same change is refused, naming the field', () => {
    const { doc, stale } = withText();
    let err: unknown;
    try {
      createChange({
        clock: clock('anna'),
        type: WorkOrder,
        doc,
        intents: [
          { op: 'set', path: ['body'], value: 'pump' },
          { op: 'seq', path: ['body'], update: stale },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).path).toBe('body');
    expect((err as ValidationError).rule).toBe('overlap');
    expect((err as Error).message).toMatch(/anna:0/);
  });

  it('an edit built after the set is accepted, and replicas agree in either delivery order', () => {
    const { doc } = withText();
    const editor = Text.decode((doc?.fields.body as Text).encode(), 'anna');
    editor.delete(0, editor.length);
    editor.insert(0, 'pump');
    const before = editor.version;
    editor.insert(4, '!');
    const change = createChange({
      clock: clock('anna'),
      type: WorkOrder,
      doc,
      intents: [
        { op: 'set', path: ['body'], value: 'pump' },
        { op: 'seq', path: ['body'], update: toBase64(editor.encodeSince(before)) },
      ],
    });
    const first = applyChange(doc, change, WorkOrder);
    expect((first?.fields.body as Text).toString()).toBe('pump!');
    // A replica that gets Anna's change before Bob's first insert.
    const bobFirst = createChange({
      clock: clock('bob'),
      type: WorkOrder,
      doc: undefined,
      docId: 'wo42',
      intents: [{ op: 'seq', path: ['body'], update: toBase64((doc?.fields.body as Text).encode()) }],
    });
    const late = applyChange(applyChange(undefined, change, WorkOrder), bobFirst, WorkOrder);
    expect((late?.fields.body as Text).toString()).toBe('pump!');
  });

  it('a received change whose updates share an id is refused as a whole (server and peers)', () => {
    const { doc, stale } = withText();
    const set = createChange({
      clock: clock('anna'),
      type: WorkOrder,
      doc,
      intents: [{ op: 'set', path: ['body'], value: 'pump' }],
    });
    const bad = JSON.parse(JSON.stringify(set)) as Change;
    const body = bad.ops.body as { u: string[] };
    body.u.push(stale);
    expect(() => validateChange(bad, doc, WorkOrder)).toThrow(/body.*overlap|overlap/);
  });
});
