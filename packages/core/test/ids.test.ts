import { describe, expect, it } from 'vitest';
import { createDocId, isDocId } from '../src/ids.js';

describe('createDocId', () => {
  it('makes 22-character url-safe ids without collisions in 200,000 draws', () => {
    const seen = new Set<string>();
    let wellFormed = 0;
    for (let i = 0; i < 200_000; i++) {
      const id = createDocId();
      if (id.length === 22 && isDocId(id)) wellFormed++;
      seen.add(id);
    }
    expect(wellFormed).toBe(200_000);
    expect(seen.size).toBe(200_000);
  });
});
