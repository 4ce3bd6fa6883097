import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers a request Node's HTTP parser refused before it reached the app (headers over
 * `maxHeaderSize`, malformed request line, header timeout) with the same JSON error body as
 * every other error. Node's default answer is a bare status line, which a client cannot tell
 * apart from a broken proxy.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, maxHeaderBytes: number): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', `request headers exceed ${maxHeaderBytes} bytes`]
      : err.code === 'HPE_HEADERS_TIMEOUT' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'request headers did not arrive in time']
        : [400, 'bad_request', `malformed HTTP request (${err.code ?? err.message})`];
  const body = JSON.stringify({ error: { code, message } });
  // Keep reading (and discarding) what the client is still sending: closing the socket with
  // unread input makes the kernel answer with a reset, which can destroy the response in flight.
  socket.resume();
  if (socket instanceof Socket) socket.setTimeout(5000, () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
