import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { logSeed } from '../../../../../testing/fcSeed.js';
import { mapCaret, splice } from './caret.js';

beforeAll(() => logSeed('app caret'));

const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'é', '\n'), maxLength: 40 });

describe('splice', () => {
  it('describes the new text as the old one with one region replaced', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        const s = splice(before, after);
        const rebuilt =
          before.slice(0, s.start) +
          after.slice(s.start, s.start + s.inserted) +
          before.slice(s.start + s.removed);
        expect(rebuilt).toBe(after);
        expect(s.start + s.removed).toBeLessThanOrEqual(before.length);
      }),
    );
  });
});

describe('mapCaret', () => {
  it('keeps the caret next to the characters the edit did not touch', () => {
    fc.assert(
      fc.property(text, text, fc.nat(), (before, after, at) => {
        const caret = at % (before.length + 1);
        const s = splice(before, after);
        const mapped = mapCaret(caret, s);
        expect(mapped).toBeGreaterThanOrEqual(0);
        expect(mapped).toBeLessThanOrEqual(after.length);
        // A caret before (or at) the edit keeps the text to its left; after it, the text to its
        // right; inside a replaced region it goes to the end of what replaced it.
        if (caret <= s.start) expect(after.slice(0, mapped)).toBe(before.slice(0, caret));
        else if (caret >= s.start + s.removed) expect(after.slice(mapped)).toBe(before.slice(caret));
        else expect(mapped).toBe(s.start + s.inserted);
      }),
    );
  });

  it('a remote insert before the caret moves it by the inserted length, one after it leaves it', () => {
    const before = 'Seal on pump 2 weeps';
    const caret = 5; // after "Seal "
    expect(mapCaret(caret, splice(before, 'XYZ ' + before))).toBe(9);
    expect(mapCaret(caret, splice(before, before + ' under load'))).toBe(5);
    // A remote delete of "Seal " (before the caret) pulls it back to the start of "on".
    expect(mapCaret(caret, splice(before, before.slice(5)))).toBe(0);
    // A remote replacement around the caret puts it after the replacement.
    expect(mapCaret(caret, splice(before, 'Gasket pump 2 weeps'))).toBe('Gasket'.length);
  });
});
