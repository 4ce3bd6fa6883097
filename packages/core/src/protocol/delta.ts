import { isDocId } from '../ids.js';
import { ProtocolError } from './ProtocolError.js';
import { at, wireArray, wireBoolean, wireCursor, wireObject, wireString } from './wireCheck.js';

/**
 * What a pull page (`GET /v1/pull`) and a `sync` event carry: the documents changed in a range
 * of the tenant's sequence, up to `cursor`. `docs` are core `docToJSON` states and `types` core
 * `TypeDef`s (every version, with migrations), applied before the documents; `gone` are ids to
 * evict; `more` (pull only) says another page follows.
 */
export interface Delta {
  cursor: number;
  types: unknown[];
  docs: unknown[];
  gone: string[];
  more?: boolean;
}

/**
 * Checks the envelope of a document state on the wire: an object with a document id, a type
 * name, a version ≥ 1 and a `fields` object. The states themselves are checked in full by core's
 * `docFromJSON` where they are merged, atomically per page; this check names the broken entry
 * before anything is handed over.
 */
export function checkWireDoc(v: unknown, path: string): void {
  const d = wireObject(v, path);
  if (!isDocId(d['id'])) throw new ProtocolError(at(path, 'id'), 'doc-id', 'expected a document id');
  wireString(d['type'], at(path, 'type'), true);
  checkVersion(d['v'], at(path, 'v'));
  wireObject(d['fields'], at(path, 'fields'));
  if (d['deleted'] !== undefined) wireObject(d['deleted'], at(path, 'deleted'));
}

/** Checks the envelope of a type definition on the wire (core validates the rest when applying it). */
export function checkWireType(v: unknown, path: string): void {
  const t = wireObject(v, path);
  wireString(t['name'], at(path, 'name'), true);
  checkVersion(t['version'], at(path, 'version'));
  wireObject(t['fields'], at(path, 'fields'));
}

function checkVersion(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new ProtocolError(path, 'version', 'expected an integer version >= 1');
}

/**
 * Checks a pull page or a `sync` event's data; throws `ProtocolError` naming the first broken
 * place. Returns the value itself (no copy: a page may hold thousands of states).
 */
export function parseDelta(v: unknown): Delta {
  const d = wireObject(v, '');
  wireCursor(d['cursor'], 'cursor');
  const types = wireArray(d['types'], 'types');
  for (let i = 0; i < types.length; i++) checkWireType(types[i], at('types', i));
  const docs = wireArray(d['docs'], 'docs');
  for (let i = 0; i < docs.length; i++) checkWireDoc(docs[i], at('docs', i));
  const gone = wireArray(d['gone'], 'gone');
  for (let i = 0; i < gone.length; i++) wireString(gone[i], at('gone', i), true);
  if (d['more'] !== undefined) wireBoolean(d['more'], 'more');
  return d as unknown as Delta;
}
