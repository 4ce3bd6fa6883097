import type { DocState } from '@fieldsync/core';
import { docToJSON } from '@fieldsync/core';

/**
 * The JSON a document state was built from (`docFromJSON`), kept until the state is first stored.
 * A pulled document new to this device is adopted as it arrived, so storage can take the JSON
 * it came in instead of encoding the state back (`docToJSON`: every field object rebuilt and each
 * text or list re-encoded — 0.75 s of the work-orders app's 100,000-document first sync). Sound
 * because `docFromJSON(json)` is that state and a stored state is never modified (a write
 * replaces it, and a replaced state is not looked up again). The JSON is given out once and then
 * dropped, so memory does not hold a second copy of every document.
 */
export class ReceivedJson {
  private readonly json = new WeakMap<DocState, unknown>();

  /** `state` is `docFromJSON(json)`, stored as is; `json` is no longer modified by anyone. */
  remember(state: DocState, json: unknown): void {
    this.json.set(state, json);
  }

  /** The persisted form of `state`: the JSON it was built from (once), else `docToJSON`. */
  serialize(state: DocState): unknown {
    const json = this.json.get(state);
    if (json === undefined) return docToJSON(state);
    this.json.delete(state);
    return json;
  }
}
