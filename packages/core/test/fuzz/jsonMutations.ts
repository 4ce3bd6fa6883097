import fc from 'fast-check';
import { fromBase64, toBase64 } from '../../src/util/base64.js';
import { byteMutation, mutate as mutateBytes, type ByteMutation } from './byteMutations.js';
import { build, edgeString, hostile, type Hostile } from './hostileValues.js';

/**
 * Mutations of a valid JSON message (a change, a document state, a protocol answer): a place
 * chosen by a random walk is replaced by a hostile value, deleted, or given an extra hostile key;
 * or a base64 sequence update inside it is corrupted as the byte fuzzers do.
 */
export type JsonMutation =
  | { under: string | null; walk: number[]; to: Hostile }
  | { under: string | null; walk: number[]; drop: true }
  | { under: string | null; walk: number[]; key: string; to: Hostile }
  | { base64: number; bytes: ByteMutation };

/**
 * Mutations of a message; a walk starts at the key `under` when it names one of `focus` (the
 * parts worth most attention, such as a change's `ops`), else at the root.
 */
export function jsonMutation(focus: readonly string[] = []): fc.Arbitrary<JsonMutation> {
  const under = focus.length > 0 ? fc.option(fc.constantFrom(...focus)) : fc.constant(null);
  const walk = fc.array(fc.nat(), { minLength: 1, maxLength: 6 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ under, walk, to: hostile }) },
    { weight: 1, arbitrary: fc.record({ under, walk, drop: fc.constant(true as const) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        under,
        walk: fc.array(fc.nat(), { maxLength: 5 }),
        key: edgeString,
        to: hostile,
      }),
    },
    { weight: 3, arbitrary: fc.record({ base64: fc.nat(), bytes: byteMutation }) },
  );
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null;

function isUpdate(s: string): boolean {
  if (!s.startsWith('9')) return false;
  try {
    return fromBase64(s)[0] === 0xf5;
  } catch {
    return false;
  }
}

/**
 * Every string in `root` that is a sequence update. Iterative, and only a few levels deep: an
 * earlier mutation may have put a 30,000-level value in.
 */
function sequenceStrings(root: unknown): Array<{ node: Node; key: string }> {
  const out: Array<{ node: Node; key: string }> = [];
  const todo: Array<{ node: Node; depth: number }> = isNode(root) ? [{ node: root, depth: 0 }] : [];
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    for (const key of Object.keys(item.node)) {
      const v = item.node[key];
      if (typeof v === 'string' && isUpdate(v)) out.push({ node: item.node, key });
      else if (isNode(v) && item.depth < 8) todo.push({ node: v, depth: item.depth + 1 });
    }
  }
  return out;
}

/**
 * A copy of `value` (JSON-safe, not deep) with `mus` applied in turn. A mutation that finds no
 * place (an empty object, no sequence update) changes nothing.
 */
export function mutateJson(value: unknown, mus: readonly JsonMutation[]): unknown {
  let root = JSON.parse(JSON.stringify(value)) as unknown;
  for (const mu of mus) root = mutateOnce(root, mu);
  return root;
}

function define(target: Node, key: string, value: unknown): void {
  // defineProperty: an own `__proto__` key, as JSON.parse makes one.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies one mutation in place (returns the new root when the root itself is replaced). */
function mutateOnce(root: unknown, mu: JsonMutation): unknown {
  if ('base64' in mu) {
    const places = sequenceStrings(root);
    const p = places[mu.base64 % Math.max(1, places.length)];
    if (p === undefined) return root;
    const bytes = fromBase64(p.node[p.key] as string);
    const others = places.map((q) => fromBase64(q.node[q.key] as string));
    p.node[p.key] = toBase64(mutateBytes(bytes, mu.bytes, others));
    return root;
  }
  if (!isNode(root)) return 'to' in mu && !('key' in mu) ? build(mu.to) : root;
  const start = mu.under === null ? undefined : root[mu.under];
  let node: Node = isNode(start) ? start : root;
  if ('key' in mu) {
    // Descend the walk as far as it goes, then add the key there.
    for (const w of mu.walk) {
      const keys = Object.keys(node);
      const child = node[keys[w % Math.max(1, keys.length)] as string];
      if (!isNode(child)) break;
      node = child;
    }
    // An array gets an extra item instead: a named key on an array is no JSON, and every
    // message a decoder meets was JSON.
    if (Array.isArray(node)) node.push(build(mu.to));
    else define(node, mu.key, build(mu.to));
    return root;
  }
  // Descend; replace or drop at the walk's end or at the first leaf.
  for (let i = 0; i < mu.walk.length; i++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[(mu.walk[i] as number) % keys.length] as string;
    const child = node[k];
    if (i < mu.walk.length - 1 && isNode(child)) {
      node = child;
      continue;
    }
    if ('drop' in mu) {
      if (Array.isArray(node)) node.splice(Number(k), 1);
      else delete node[k];
    } else node[k] = build(mu.to);
    break;
  }
  return root;
}
