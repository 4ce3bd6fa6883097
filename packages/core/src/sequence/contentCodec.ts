import { DecodeError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * How the visible contents of an update are written: all parts concatenated into one block that
 * precedes the operations, so text is one UTF-8 string (one TextEncoder call), a list one JSON
 * array, and a decoder can hand each insert its content while it reads the operations.
 */
export interface ContentCodec<C> {
  /** Distinguishes text from list updates, so one is never applied to the other. */
  readonly kind: number;
  /** Writes `parts[0 .. n-1]`. */
  write(w: ByteWriter, parts: C[], n: number): void;
  read(r: ByteReader): ContentSource<C>;
}

/** The decoded content block, handed out front to back. */
export interface ContentSource<C> {
  /** The next `n` items; DecodeError if the block is shorter. */
  take(n: number): C;
  /** Items not taken yet (must be 0 once all operations are read). */
  readonly left: number;
  /** Done: the source lets go of the block (and may be reused). */
  close(): void;
}

const encoder = new TextEncoder();
/** Content up to this many UTF-16 units is encoded and decoded by hand when it is ASCII. */
const SHORT = 12;
const decoder = new TextDecoder('utf-8', { fatal: true });
/** With the `u` flag a valid pair is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The decoded block and a cursor. Like the byte reader, one source is kept and reused (a nested
 * decode gets its own): a source per update would die in every full GC with its hidden class.
 */
class SliceSource<C extends string | unknown[]> implements ContentSource<C> {
  private at = 0;
  private whole: C;
  private busy = false;
  constructor(whole: C) {
    this.whole = whole;
  }

  static open<C extends string | unknown[]>(whole: C): SliceSource<C> {
    const s = (sharedSource.busy ? new SliceSource<C>(whole) : sharedSource) as SliceSource<C>;
    s.busy = true;
    s.whole = whole;
    s.at = 0;
    return s;
  }

  close(): void {
    this.busy = false;
    this.whole = '' as C;
  }

  take(n: number): C {
    const end = this.at + n;
    if (end > this.whole.length) throw new DecodeError('content block shorter than its operations');
    const c = this.whole.slice(this.at, end) as C;
    this.at = end;
    return c;
  }
  get left(): number {
    return this.whole.length - this.at;
  }
}

const sharedSource = new SliceSource<string | unknown[]>('');

/** A 4-byte little-endian length written after the bytes it measures (so UTF-8 goes in place). */
function reserveLength(w: ByteWriter): number {
  w.ensure(4);
  w.pos += 4;
  return w.pos;
}

function patchLength(w: ByteWriter, start: number): void {
  const n = w.pos - start;
  for (let i = 0; i < 4; i++) w.buf[start - 4 + i] = (n >>> (8 * i)) & 0xff;
}

/** `s` as UTF-8 after its 4-byte length. */
function writeUtf8(w: ByteWriter, s: string): void {
  const start = reserveLength(w);
  w.ensure(s.length * 3);
  w.pos += encoder.encodeInto(s, w.buf.subarray(w.pos)).written;
  patchLength(w, start);
}

function readLength(r: ByteReader): number {
  const at = r.skip(4);
  const b = r.buf;
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function utf8(b: Uint8Array): string {
  try {
    return decoder.decode(b);
  } catch {
    throw new DecodeError('content is not valid UTF-8');
  }
}

/**
 * The content of a keystroke's update: ASCII decoded in place (short enough that V8 builds flat
 * strings, not ropes), anything else by TextDecoder.
 */
function shortUtf8(buf: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < at + n; i++) {
    const c = buf[i] as number;
    if (c >= 0x80) return utf8(buf.subarray(at, at + n));
    s += String.fromCharCode(c);
  }
  return s;
}

/** Strings as UTF-8; strings with lone surrogates (legal JS indices can split pairs) as UTF-16. */
export const textCodec: ContentCodec<string> = {
  kind: 0,
  write(w, parts, n) {
    const s = n === 1 ? (parts[0] as string) : parts.slice(0, n).join('');
    // The few characters of a keystroke's update: ASCII is copied by hand, which saves the
    // encoder's native call and the surrogate scan; anything else takes the general path.
    if (s.length <= SHORT) {
      const from = w.pos;
      w.byte(0);
      const start = reserveLength(w);
      w.ensure(s.length);
      const buf = w.buf;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === s.length) {
        w.pos = start + i;
        patchLength(w, start);
        return;
      }
      w.pos = from;
    }
    if (!LONE_SURROGATE.test(s)) {
      w.byte(0);
      writeUtf8(w, s);
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
  read(r) {
    const mode = r.byte();
    let s: string;
    if (mode === 0) {
      const n = readLength(r);
      const at = r.skip(n);
      s = n <= SHORT ? shortUtf8(r.buf, at, n) : utf8(r.buf.subarray(at, at + n));
    } else if (mode === 1) {
      const n = r.bounded(r.end, 'content size');
      const b = r.bytes(n * 2);
      const codes: string[] = [];
      for (let i = 0; i < n; i++) codes.push(String.fromCharCode(b[2 * i]! | (b[2 * i + 1]! << 8)));
      s = codes.join('');
    } else throw new DecodeError(`unknown text content mode ${mode}`);
    return SliceSource.open(s);
  },
};

/** List values as one JSON array: values must be JSON-serialisable (as in a document field). */
export const listCodec: ContentCodec<unknown[]> = {
  kind: 1,
  write(w, parts, n) {
    const all: unknown[] = [];
    for (let i = 0; i < n; i++) for (const v of parts[i] as unknown[]) all.push(v);
    writeUtf8(w, JSON.stringify(all));
  },
  read(r) {
    const b = r.bytes(readLength(r));
    let all: unknown;
    try {
      all = JSON.parse(decoder.decode(b));
    } catch {
      throw new DecodeError('list content is not a JSON array');
    }
    if (!Array.isArray(all)) throw new DecodeError('list content is not a JSON array');
    return SliceSource.open(all);
  },
};
