import type { TypeDef } from './typeDef.js';
import { typeJson } from './typeJson.js';

const cache = new WeakMap<TypeDef, string>();

/**
 * A short fingerprint of a type definition (two FNV-1a 32-bit hashes of its canonical JSON with
 * field order kept, `typeJson`; 16 hex characters). Changes record it (`th`) so that a change written under one of two concurrent
 * definitions of the same version can be recognised and translated.
 */
export function typeHash(def: TypeDef): string {
  let h = cache.get(def);
  if (h !== undefined) return h;
  const s = typeJson(def);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  h = (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  cache.set(def, h);
  return h;
}
