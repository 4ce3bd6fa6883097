import { DecodeError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * How the visible contents of an update are written: all parts concatenated into one block at the
 * end of the update, so text is one UTF-8 string (one TextEncoder call) and a list one JSON array.
 */
export interface ContentCodec<C> {
  /** Distinguishes text from list updates, so one is never applied to the other. */
  readonly kind: number;
  write(w: ByteWriter, parts: C[]): void;
  /** Reads the block and cuts it into pieces of the given lengths. */
  read(r: ByteReader, lens: number[]): C[];
}

const encoder = new TextEncoder();
/** With the `u` flag a valid pair is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;
const decoder = new TextDecoder('utf-8', { fatal: true });

function sum(lens: number[]): number {
  let n = 0;
  for (const l of lens) n += l;
  return n;
}

function cut<C>(whole: C & { slice(a: number, b: number): C; length: number }, lens: number[]): C[] {
  if (whole.length !== sum(lens)) throw new DecodeError('content length does not match the operations');
  const out: C[] = [];
  let at = 0;
  for (const l of lens) {
    out.push(whole.slice(at, at + l));
    at += l;
  }
  return out;
}

/** Strings as UTF-8; strings with lone surrogates (legal JS indices can split pairs) as UTF-16. */
export const textCodec: ContentCodec<string> = {
  kind: 0,
  write(w, parts) {
    const s = parts.join('');
    if (!LONE_SURROGATE.test(s)) {
      w.byte(0);
      const b = encoder.encode(s);
      w.u(b.length);
      w.bytes(b);
    } else {
      w.byte(1);
      w.u(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        w.byte(c & 0xff);
        w.byte(c >> 8);
      }
    }
  },
  read(r, lens) {
    const mode = r.byte();
    let s: string;
    if (mode === 0) {
      const n = r.bounded(r.buf.length, 'content size');
      try {
        s = decoder.decode(r.bytes(n));
      } catch {
        throw new DecodeError('content is not valid UTF-8');
      }
    } else if (mode === 1) {
      const n = r.bounded(r.buf.length, 'content size');
      const b = r.bytes(n * 2);
      const codes: string[] = [];
      for (let i = 0; i < n; i++) codes.push(String.fromCharCode(b[2 * i]! | (b[2 * i + 1]! << 8)));
      s = codes.join('');
    } else throw new DecodeError(`unknown text content mode ${mode}`);
    return cut(s, lens);
  },
};

/** List values as one JSON array: values must be JSON-serialisable (as in a document field). */
export const listCodec: ContentCodec<unknown[]> = {
  kind: 1,
  write(w, parts) {
    const all: unknown[] = [];
    for (const p of parts) for (const v of p) all.push(v);
    const b = encoder.encode(JSON.stringify(all));
    w.u(b.length);
    w.bytes(b);
  },
  read(r, lens) {
    const n = r.bounded(r.buf.length, 'content size');
    let all: unknown;
    try {
      all = JSON.parse(decoder.decode(r.bytes(n)));
    } catch {
      throw new DecodeError('list content is not a JSON array');
    }
    if (!Array.isArray(all)) throw new DecodeError('list content is not a JSON array');
    return cut(all, lens);
  },
};
