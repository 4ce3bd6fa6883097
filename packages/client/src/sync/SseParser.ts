/**
 * The `text/event-stream` parser lives in core (core/src/sse/SseParser.ts) since the server's
 * tests read the server's stream with it too, and the server never imports the client. Kept
 * here so this folder's imports and the client's exports stay as they were.
 */
export { SseParser, type SseMessage } from '@fieldsync/core';
