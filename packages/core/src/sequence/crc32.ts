/**
 * CRC-32 (IEEE), appended to every sequence update: a flipped bit in the content or a length
 * would otherwise decode "successfully" into a different document, so corruption must be caught
 * before any byte is interpreted.
 */
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

export function crc32(bytes: Uint8Array, end: number): number {
  let c = -1;
  for (let i = 0; i < end; i++) c = (TABLE[(c ^ bytes[i]!) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
