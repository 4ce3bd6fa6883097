/**
 * CRC-32 (IEEE), appended to every sequence update: a flipped bit in the content or a length
 * would otherwise decode "successfully" into a different document, so corruption must be caught
 * before any byte is interpreted.
 *
 * Slicing-by-4: four tables let four bytes be folded per step with independent lookups, which is
 * about twice as fast as the byte-at-a-time loop (every update is checked twice, once by each side).
 */
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  T0[n] = c;
}
for (let n = 0; n < 256; n++) {
  const c0 = T0[n] as number;
  const c1 = (T0[c0 & 0xff] as number) ^ (c0 >>> 8);
  const c2 = (T0[c1 & 0xff] as number) ^ (c1 >>> 8);
  T1[n] = c1;
  T2[n] = c2;
  T3[n] = (T0[c2 & 0xff] as number) ^ (c2 >>> 8);
}

export function crc32(bytes: Uint8Array, end: number): number {
  let c = -1;
  let i = 0;
  for (const last4 = end - 3; i < last4; i += 4) {
    c ^=
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    c =
      (T3[c & 0xff] as number) ^
      (T2[(c >>> 8) & 0xff] as number) ^
      (T1[(c >>> 16) & 0xff] as number) ^
      (T0[c >>> 24] as number);
  }
  for (; i < end; i++) c = (T0[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
