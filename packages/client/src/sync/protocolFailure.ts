import { DecodeError, ProtocolError, SchemaError, ValidationError } from '@fieldsync/core';

/**
 * The same `ProtocolError`, saying which answer it was found in (`… (in the answer to GET
 * /v1/pull)`): the path alone does not tell a pull page from an event.
 */
export const inAnswerTo = (e: ProtocolError, what: string): ProtocolError =>
  new ProtocolError(e.path, e.rule, `${e.reason} (in the answer to ${what})`);

/**
 * A received state or type the host refused to merge (core's full check in `docFromJSON` /
 * `validateType`, deeper than the wire envelope): the answer was garbage, so it is a
 * `ProtocolError` under `where` (`docs`, `types`). Nothing was merged: the host parses a whole
 * page before it merges any of it. Any other error (storage, a bug) is returned as it is.
 */
export function receivedFailure(e: unknown, where: string, what: string): unknown {
  if (e instanceof ValidationError || e instanceof SchemaError)
    return inAnswerTo(new ProtocolError(e.path ? `${where}.${e.path}` : where, e.rule, e.message), what);
  if (e instanceof DecodeError) return inAnswerTo(new ProtocolError(where, 'decode', e.message), what);
  return e;
}

/** Runs `step` (handing received `where` to the host), turning a refusal of it into a `ProtocolError`. */
export async function receiving<T>(where: string, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw receivedFailure(e, where, what);
  }
}
