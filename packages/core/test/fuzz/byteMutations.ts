import fc from 'fast-check';
import { crc32 } from '../../src/sequence/crc32.js';

/**
 * Ways to corrupt a sequence update, applied to real encodings ({@link mutate}). The checksum
 * catches almost every accidental corruption, so most mutations are *resealed* (a valid CRC-32
 * written over the result) to reach the structural checks behind it.
 */
export type ByteMutation =
  | { m: 'none' }
  | { m: 'truncate'; at: number; reseal: boolean }
  | { m: 'flip'; bits: number[]; reseal: boolean }
  | { m: 'replace'; edits: Array<[number, number]> }
  | { m: 'splice'; other: number; cutA: number; cutB: number }
  | { m: 'varint'; at: number; bytes: number[]; overwrite: boolean }
  | { m: 'random'; bytes: number[]; header: boolean; kind: number };

const byte = fc.integer({ min: 0, max: 255 });
/** A varint that is too long, too large, or a huge length / count / index. */
const hugeVarint: fc.Arbitrary<number[]> = fc.oneof(
  fc.constantFrom<number[]>(
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
    [0x80, 0x80, 0x80, 0x80, 0x08],
    [0xff, 0xff, 0xff, 0xff, 0x07],
  ),
  fc.array(byte, { minLength: 1, maxLength: 10 }),
);

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ m: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ m: fc.constant('truncate' as const), at: fc.nat(), reseal: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      m: fc.constant('flip' as const),
      bits: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      reseal: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      m: fc.constant('replace' as const),
      edits: fc.array(fc.tuple(fc.nat(), byte), { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      m: fc.constant('splice' as const),
      other: fc.nat(),
      cutA: fc.nat(),
      cutB: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      m: fc.constant('varint' as const),
      at: fc.nat(),
      bytes: hugeVarint,
      overwrite: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      m: fc.constant('random' as const),
      bytes: fc.array(byte, { maxLength: 64 }),
      header: fc.boolean(),
      kind: fc.nat(1),
    }),
  },
);

/** Writes a valid CRC-32 over the last 4 bytes (adds them if there is no room). */
export function reseal(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.length, 4));
  out.set(bytes);
  const sum = crc32(out, out.length - 4);
  for (let i = 0; i < 4; i++) out[out.length - 4 + i] = (sum >>> (8 * i)) & 0xff;
  return out;
}

/** `bytes` with the payload (everything but the CRC) replaced, resealed. */
function withPayload(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  out.set(payload);
  return reseal(out);
}

/** Applies `mu` to encoding `bytes`; `others` are the history's other encodings (for splices). */
export function mutate(bytes: Uint8Array, mu: ByteMutation, others: readonly Uint8Array[]): Uint8Array {
  const payload = bytes.subarray(0, bytes.length - 4);
  switch (mu.m) {
    case 'none':
      return bytes.slice();
    case 'truncate': {
      const cut = bytes.subarray(0, mu.at % bytes.length);
      return mu.reseal ? withPayload(cut.subarray(0, Math.max(0, cut.length - 4))) : cut.slice();
    }
    case 'flip': {
      const out = bytes.slice();
      for (const b of mu.bits) out[(b >> 3) % out.length]! ^= 1 << (b & 7);
      return mu.reseal ? reseal(out) : out;
    }
    case 'replace': {
      const out = bytes.slice();
      for (const [i, v] of mu.edits) out[i % Math.max(1, out.length - 4)] = v;
      return reseal(out);
    }
    case 'splice': {
      const other = others[mu.other % others.length] as Uint8Array;
      const a = payload.subarray(0, mu.cutA % (payload.length + 1));
      const b = other.subarray(0, other.length - 4);
      const tail = b.subarray(mu.cutB % (b.length + 1));
      const out = new Uint8Array(a.length + tail.length);
      out.set(a);
      out.set(tail, a.length);
      return withPayload(out);
    }
    case 'varint': {
      const i = mu.at % (payload.length + 1);
      const rest = payload.subarray(mu.overwrite ? Math.min(payload.length, i + 1) : i);
      const out = new Uint8Array(i + mu.bytes.length + rest.length);
      out.set(payload.subarray(0, i));
      out.set(mu.bytes, i);
      out.set(rest, i + mu.bytes.length);
      return withPayload(out);
    }
    case 'random': {
      const head = mu.header ? [0xf5, 1, mu.kind, 0] : [];
      return withPayload(Uint8Array.from([...head, ...mu.bytes]));
    }
  }
}
