import { DecodeError } from '../errors.js';

/**
 * Base64 without Buffer, so core runs unchanged in browsers. Sequence updates travel inside JSON
 * changes as base64 strings.
 */
const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < CHARS.length; i++) LOOKUP[CHARS.charCodeAt(i)] = i;

/** Encodes bytes as standard padded base64. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += CHARS[n >> 18] + CHARS[(n >> 12) & 63]! + CHARS[(n >> 6) & 63]! + CHARS[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += CHARS[n >> 18]! + CHARS[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += CHARS[n >> 18]! + CHARS[(n >> 12) & 63]! + CHARS[(n >> 6) & 63]! + '=';
  }
  return out;
}

/** Decodes standard padded base64; throws `DecodeError` on anything else. */
export function fromBase64(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new DecodeError('base64 length must be a multiple of 4');
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      let v = c < 128 ? (LOOKUP[c] as number) : -1;
      if (c === 61 && i + j >= s.length - pad) v = 0;
      if (v < 0) throw new DecodeError(`invalid base64 character at ${i + j}`);
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
