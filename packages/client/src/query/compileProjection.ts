import { QueryError } from './errors.js';
import type { Projection } from './types.js';

type Tree = { [key: string]: Tree | true };
export type Projector = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * Compiles `fields` into a function returning a new object. Include and exclude modes cannot be
 * mixed (except for `id`, which is always included unless explicitly excluded).
 */
export function compileProjection(fields: unknown): Projector | undefined {
  if (fields === undefined) return undefined;
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
    throw new QueryError('fields must be an object', 'fields');
  const entries = Object.entries(fields as Projection);
  let mode: 'include' | 'exclude' | undefined;
  let keepId = true;
  const tree: Tree = {};
  for (const [path, flag] of entries) {
    if (flag !== 0 && flag !== 1 && flag !== true && flag !== false)
      throw new QueryError('projection values must be 0/1 or booleans', `fields.${path}`);
    if (!path || path.split('.').some((p) => !p || p.startsWith('$')))
      throw new QueryError(`invalid projection path "${path}"`, `fields.${path}`);
    const include = flag === 1 || flag === true;
    if (path === 'id') {
      keepId = include;
      continue;
    }
    const m = include ? 'include' : 'exclude';
    if (mode && mode !== m) throw new QueryError('cannot mix included and excluded fields', `fields.${path}`);
    mode = m;
    addPath(tree, path.split('.'));
  }
  if (mode === 'exclude' || mode === undefined) {
    return (doc) => {
      const out = exclude(doc, tree);
      if (!keepId) delete out.id;
      return out;
    };
  }
  return (doc) => {
    const out = include(doc, tree);
    if (keepId) out.id = doc.id;
    return out;
  };
}

function addPath(tree: Tree, parts: string[]): void {
  let node = tree;
  parts.forEach((p, i) => {
    if (i === parts.length - 1) node[p] = true;
    else {
      const next = node[p];
      if (next === true) return;
      node = next ?? (node[p] = {});
    }
  });
}

function include(value: Record<string, unknown>, tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, sub] of Object.entries(tree)) {
    if (!(k in value)) continue;
    const v = value[k];
    if (sub === true) out[k] = v;
    else if (Array.isArray(v)) out[k] = v.map((el) => (isObj(el) ? include(el, sub) : el));
    else if (isObj(v)) out[k] = include(v, sub);
  }
  return out;
}

function exclude(value: Record<string, unknown>, tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const [k, sub] of Object.entries(tree)) {
    if (sub === true) delete out[k];
    else {
      const v = out[k];
      if (Array.isArray(v)) out[k] = v.map((el) => (isObj(el) ? exclude(el, sub) : el));
      else if (isObj(v)) out[k] = exclude(v, sub);
    }
  }
  return out;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
