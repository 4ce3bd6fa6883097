/** One server-sent event. */
export interface SseMessage {
  event: string;
  data: string;
  /** The `id` field, if the event had one (our server: the cursor). */
  id: string | undefined;
}

/**
 * Incremental parser for `text/event-stream` (WHATWG HTML, "Parsing an event stream").
 *
 * Why our own: Node 20 has no `EventSource`, and the browser's cannot send an Authorization
 * header. Reading the stream with `fetch` and parsing it here works in both, with headers.
 * Chunks may split lines, fields and even CRLF pairs anywhere; the parser keeps the remainder.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;
  #pendingCR = false;
  readonly #onMessage: (m: SseMessage) => void;
  readonly #onComment: ((text: string) => void) | undefined;

  /** `onComment` hears comment lines (`: ping` heartbeats), without the colon and one space. */
  constructor(onMessage: (m: SseMessage) => void, onComment?: (text: string) => void) {
    this.#onMessage = onMessage;
    this.#onComment = onComment;
  }

  /** Feeds decoded text; dispatches every complete event. */
  push(text: string): void {
    let s = text;
    if (this.#pendingCR) {
      this.#pendingCR = false;
      if (s.startsWith('\n')) s = s.slice(1);
    }
    // A chunk inside a long line (a multi-megabyte `data:` of large documents arrives in many
    // chunks) only extends the remainder: rescanning the remainder on every chunk is quadratic.
    if (s.indexOf('\n') === -1 && s.indexOf('\r') === -1) {
      this.#buffer += s;
      return;
    }
    this.#buffer += s;
    let start = 0;
    const buf = this.#buffer;
    for (let i = 0; i < buf.length; i++) {
      const ch = buf.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.#line(buf.slice(start, i));
      if (ch === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else this.#pendingCR = true;
      }
      start = i + 1;
    }
    this.#buffer = buf.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        this.#onMessage({ event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id });
      }
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) {
      this.#onComment?.(line.startsWith(': ') ? line.slice(2) : line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }
}
