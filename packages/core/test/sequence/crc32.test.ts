import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/sequence/crc32.js';

/** Bit-at-a-time CRC-32 (IEEE), the definition the table-driven one must match. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32', () => {
  it('has the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'), 9)).toBe(0xcbf43926);
  });

  it('matches the bitwise definition for every length and alignment of the tail', () => {
    for (let n = 0; n < 70; n++) {
      const b = new Uint8Array(n + 3);
      for (let i = 0; i < b.length; i++) b[i] = (i * 151 + n * 7) & 0xff;
      expect(crc32(b, n)).toBe(reference(b.subarray(0, n)));
    }
  });
});
