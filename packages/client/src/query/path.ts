/**
 * Dot-path readers. A path that walks through an array fans out over its elements (MongoDB
 * semantics: `{ 'tags.name': 'x' }` matches when any element's `name` is `'x'`), unless the next
 * segment is a numeric index.
 */
export type PathReader = (doc: unknown) => unknown[];

export function splitPath(path: string): string[] {
  return path.split('.');
}

/** Reads one value without fanning out; used by sort, projection and indexes. */
export function compileGetter(path: string): (doc: unknown) => unknown {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const key = parts[0] as string;
    return (doc) => (doc as Record<string, unknown>)[key];
  }
  return (doc) => {
    let cur: unknown = doc;
    for (const part of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
  };
}

/** Reads every value a path can denote in `doc` (fanning out over arrays). */
export function compileReader(path: string): PathReader {
  const parts = splitPath(path);
  if (parts.length === 1) {
    const key = parts[0] as string;
    return (doc) => [(doc as Record<string, unknown>)[key]];
  }
  return (doc) => {
    const out: unknown[] = [];
    walk(doc, parts, 0, out);
    return out;
  };
}

function walk(cur: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    out.push(cur);
    return;
  }
  if (cur === null || typeof cur !== 'object') {
    out.push(undefined);
    return;
  }
  const part = parts[i] as string;
  if (Array.isArray(cur) && !/^\d+$/.test(part)) {
    if (cur.length === 0) out.push(undefined);
    for (const el of cur) walk(el, parts, i, out);
    return;
  }
  walk((cur as Record<string, unknown>)[part], parts, i + 1, out);
}
