import { FieldsyncError } from '../errors.js';

/**
 * A message of the sync protocol does not have the shape protocol /v1 promises
 * (docs/protocol.md): a response body, an SSE event or a request body. `path` names the place
 * (`results[2].status`, `docs[0].id`, `(body)` for the whole message) and `rule` what was broken
 * (`json`, `object`, `array`, `string`, `cursor`, `count` …), like `ValidationError`.
 *
 * Why a type of its own: a client that receives one knows the server (or something between it
 * and the server) answered garbage — nothing the user did — so it keeps its local data untouched
 * and retries later, while a server that meets one in a request answers 400 `bad_request`.
 */
export class ProtocolError extends FieldsyncError {
  readonly path: string;
  readonly rule: string;
  /** What is wrong, without the path and rule (the message repeats both). */
  readonly reason: string;
  constructor(path: string, rule: string, reason: string) {
    super('protocol', `${path || '(body)'}: ${rule}: ${reason}`);
    this.name = 'ProtocolError';
    this.path = path;
    this.rule = rule;
    this.reason = reason;
  }
}
