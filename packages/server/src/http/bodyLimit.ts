import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as countingBodyLimit } from 'hono/body-limit';
import { HttpError } from './HttpError.js';

/**
 * Refuses a request body over `maxBytes` with a 413 `body_too_large`, and closes that connection.
 *
 * Why not hono's `bodyLimit` alone: it first looks at `c.req.raw.body`, and on @hono/node-server
 * that getter turns the lightweight request into a full web `Request` (undici's Request, an
 * AbortController, a web ReadableStream over the socket) — on every request, although a request
 * that declares its length is decided by its headers. Here a body with a `Content-Length` (and
 * no `Transfer-Encoding`) is judged by that header alone: Node's HTTP parser delivers exactly
 * that many bytes, so the route's later `c.req.text()` (read straight from the socket) is bounded
 * too. Only a body without a declared length (chunked) is counted while it is read, by hono's
 * middleware.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const onError = (c: Context): never => {
    // The unread rest of the body is drained only briefly (then the socket is destroyed):
    // a client must not reuse this connection for its next request, or that one fails.
    c.header('Connection', 'close');
    throw new HttpError(413, 'body_too_large', `request body exceeds ${maxBytes} bytes`);
  };
  const counted = countingBodyLimit({ maxSize: maxBytes, onError });
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next(); // no body (as hono's: a web GET has none)
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined)
      return Number.parseInt(length, 10) > maxBytes ? onError(c) : next();
    return counted(c, next);
  };
}
