import { wireBoolean, wireCursor, wireObject } from './wireCheck.js';

/**
 * `PUT /v1/types/:name` answer: the tenant's head after the call, and whether the definition
 * was new (`changed: false`: this exact definition was already known — idempotent).
 */
export interface DefineTypeResponse {
  cursor: number;
  changed: boolean;
}

/** Checks a define-type answer; throws `ProtocolError` naming the first broken place. */
export function parseDefineTypeResponse(v: unknown): DefineTypeResponse {
  const body = wireObject(v, '');
  wireCursor(body['cursor'], 'cursor');
  wireBoolean(body['changed'], 'changed');
  return body as unknown as DefineTypeResponse;
}
