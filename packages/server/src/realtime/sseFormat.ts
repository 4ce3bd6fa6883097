/** Server-sent events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html). */

/** One event. `data` must not contain newlines (JSON.stringify output never does). */
export const sseEvent = (event: string, id: number, data: string): string =>
  `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;

/** A comment line: ignored by parsers, keeps proxies and NATs from closing an idle stream. */
export const sseComment = (text: string): string => `: ${text}\n\n`;
