import type { TypeDef } from '../schema/typeDef.js';
import { ProtocolError } from './ProtocolError.js';
import { wireBoolean, wireCursor, wireObject } from './wireCheck.js';

/**
 * `PUT /v1/types/:name` body: a core `TypeDef` whose `name` is the one in the path (version 1 of a
 * new type, or version n + 1 with its migration steps). Only the envelope is a protocol matter;
 * the server validates the definition itself with core's `validateType` (422 `invalid_type`).
 */
export type DefineTypeRequest = TypeDef;

/**
 * `PUT /v1/types/:name` answer: the tenant's head after the call, and whether the definition
 * was new (`changed: false`: this exact definition was already known — idempotent).
 */
export interface DefineTypeResponse {
  cursor: number;
  changed: boolean;
}

/** Checks a define-type request body against the name in its path (server side). */
export function parseDefineTypeRequest(v: unknown, name: string): DefineTypeRequest {
  if (typeof v !== 'object' || v === null || (v as { name?: unknown }).name !== name)
    throw new ProtocolError('name', 'match', `body must be a type definition whose "name" is "${name}"`);
  return v as DefineTypeRequest;
}

/** Checks a define-type answer; throws `ProtocolError` naming the first broken place. */
export function parseDefineTypeResponse(v: unknown): DefineTypeResponse {
  const body = wireObject(v, '');
  wireCursor(body['cursor'], 'cursor');
  wireBoolean(body['changed'], 'changed');
  return body as unknown as DefineTypeResponse;
}
