/** The one contiguous region where `before` and `after` differ: `[start, start + removed)` of `before` became `inserted` characters. */
export interface Splice {
  start: number;
  removed: number;
  inserted: number;
}

/**
 * Finds the changed region between two strings by their common prefix and suffix. Remote edits
 * arrive one change at a time, so this is almost always the exact edit; when several remote
 * edits land at once it is their enclosing region, which is still right for any caret outside it.
 */
export function splice(before: string, after: string): Splice {
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  )
    end++;
  return { start, removed: before.length - start - end, inserted: after.length - start - end };
}

/**
 * Where a caret (or selection end) at `pos` in the old text belongs in the new one: before the
 * change it stays, after it shifts by the length difference, inside a replaced region it moves to
 * the region's end — so text typed by someone else never pushes the local caret around.
 */
export function mapCaret(pos: number, s: Splice): number {
  if (pos <= s.start) return pos;
  if (pos >= s.start + s.removed) return pos + s.inserted - s.removed;
  return s.start + s.inserted;
}
