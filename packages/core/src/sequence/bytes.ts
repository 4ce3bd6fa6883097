import { DecodeError } from '../errors.js';
import { crc32 } from './crc32.js';

/** Growable byte buffer with LEB128 varints; the one primitive the sequence codec is built on. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  private busy = false;

  /** Use {@link ByteWriter.open}. */
  constructor(
    buf: Uint8Array,
    private readonly shared: boolean,
  ) {
    this.buf = buf;
  }

  /**
   * A writer. One writer and its 64 KiB buffer are kept and reused, so encoding the small update
   * of a keystroke allocates neither (and the writer's hidden class never dies with it); a
   * writer opened while that one is in use (re-entrant encoding) gets its own buffer.
   * {@link finish} copies the result out and frees the shared writer again.
   */
  static open(): ByteWriter {
    const w = sharedWriter;
    if (w.busy) return new ByteWriter(new Uint8Array(1024), false);
    w.busy = true;
    w.pos = 0;
    return w;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned integer (0 .. 2^53-1), 7 bits per byte. */
  u(v: number): void {
    if (v < 0x80 && v >= 0 && this.pos < this.buf.length) {
      this.buf[this.pos++] = v;
      return;
    }
    this.ensure(8);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  /** Signed integer, zigzag so small magnitudes of either sign stay one byte. */
  s(v: number): void {
    this.u(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Gives up the writer without a result (the encoding threw). */
  abandon(): void {
    if (this.shared) this.busy = false;
  }

  /** The bytes written, followed by their CRC-32 (little-endian). */
  finish(): Uint8Array {
    const sum = crc32(this.buf, this.pos);
    this.ensure(4);
    for (let i = 0; i < 4; i++) this.buf[this.pos++] = (sum >>> (8 * i)) & 0xff;
    const out = copyOut(this.buf, this.pos);
    if (this.shared) {
      if (this.buf.length > 1 << 22) this.buf = new Uint8Array(64 * 1024);
      this.busy = false;
    }
    return out;
  }
}

const sharedWriter = new ByteWriter(new Uint8Array(64 * 1024), true);

/**
 * Small results are views into a shared 64 KiB slab rather than owners of their own ArrayBuffer:
 * a per-keystroke update then costs one small object, not a backing store the garbage collector
 * must track (the same trick as lib0's and json-joy's writers). Large results get their own.
 */
const SLAB = 64 * 1024;
let slab = new Uint8Array(SLAB);
let slabPos = 0;

function copyOut(buf: Uint8Array, n: number): Uint8Array {
  if (n > SLAB / 8) return buf.slice(0, n);
  if (slabPos + n > SLAB) {
    slab = new Uint8Array(SLAB);
    slabPos = 0;
  }
  // A plain view and a byte loop: `subarray` and `set` each cost a species lookup or a
  // temporary view, which is most of the work for a 30-byte update.
  const at = slabPos;
  const s = slab;
  for (let i = 0; i < n; i++) s[at + i] = buf[i] as number;
  slabPos = at + n;
  return new Uint8Array(s.buffer, at, n);
}

const recentNames: string[] = [];
const NO_BYTES = new Uint8Array(0);
const REPLICA = /^[A-Za-z0-9_-]{1,64}$/;

/** Reader for {@link ByteWriter} output; every overrun or malformed varint is a DecodeError. */
export class ByteReader {
  pos = 0;
  buf: Uint8Array = NO_BYTES;
  /** End of the payload (the CRC-32 follows it). */
  end = 0;
  private busy = false;

  /**
   * A reader over `bytes` after checking their trailing CRC-32: one reader is kept and reused
   * (as {@link ByteWriter.open} does), a nested open gets its own. {@link close} frees it.
   */
  static open(bytes: Uint8Array): ByteReader {
    const end = bytes.length - 4;
    if (end < 0) throw new DecodeError('sequence update too short');
    const stored =
      (bytes[end]! | (bytes[end + 1]! << 8) | (bytes[end + 2]! << 16) | (bytes[end + 3]! << 24)) >>> 0;
    if (crc32(bytes, end) !== stored)
      throw new DecodeError('sequence update checksum mismatch (corrupt or truncated)');
    const r = sharedReader.busy ? new ByteReader() : sharedReader;
    r.busy = true;
    r.buf = bytes;
    r.end = end;
    r.pos = 0;
    return r;
  }

  /** Done reading: the reader forgets the bytes and may be reused. */
  close(): void {
    this.busy = false;
    this.buf = NO_BYTES;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new DecodeError('unexpected end of sequence update');
    return this.buf[this.pos++] as number;
  }

  u(): number {
    // One-byte values (nearly every tag, length and small index) skip the general loop.
    const at = this.pos;
    if (at < this.end) {
      const b = this.buf[at] as number;
      if (b < 0x80) {
        this.pos = at + 1;
        return b;
      }
    }
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) break;
        return v;
      }
      mul *= 128;
    }
    throw new DecodeError('varint out of range');
  }

  /** Unsigned integer that must not exceed `max` (a length, count or index). */
  bounded(max: number, what: string): number {
    const v = this.u();
    if (v > max) throw new DecodeError(`${what} out of range: ${v}`);
    return v;
  }

  s(): number {
    const v = this.u();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  /** Skips `n` bytes and returns where they start (callers read `buf` directly). */
  skip(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new DecodeError('unexpected end of sequence update');
    this.pos = at + n;
    return at;
  }

  bytes(n: number): Uint8Array {
    const at = this.skip(n);
    return this.buf.subarray(at, at + n);
  }

  /**
   * A replica id of `n` bytes (`[A-Za-z0-9_-]{1,64}`, one byte per character); DecodeError if it
   * is not one. The same few ids arrive in every update, so recently seen ones (which were
   * validated when first seen) are reused instead of rebuilt and checked again.
   */
  replicaId(n: number): string {
    const at = this.skip(n);
    const buf = this.buf;
    // (An indexed loop: a for-of allocated an iterator per agent of every update.)
    search: for (let k = 0; k < recentNames.length; k++) {
      const name = recentNames[k] as string;
      if (name.length !== n) continue;
      for (let i = 0; i < n; i++) if (name.charCodeAt(i) !== buf[at + i]) continue search;
      return name;
    }
    const name = String.fromCharCode.apply(null, Array.from(buf.subarray(at, at + n)));
    if (!REPLICA.test(name)) throw new DecodeError(`invalid replica id ${JSON.stringify(name)}`);
    if (recentNames.length >= 16) recentNames.shift();
    recentNames.push(name);
    return name;
  }
}

const sharedReader = new ByteReader();
