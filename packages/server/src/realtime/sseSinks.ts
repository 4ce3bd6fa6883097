import type { ServerResponse } from 'node:http';

/** Where an SSE stream's text goes. `write` returns false when the stream is gone or too far behind. */
export interface SseSink {
  write(chunk: string | Buffer): boolean;
  /** Resolves true once at most {@link LOW_WATER_BYTES} wait unsent, false once the stream closed. */
  drained(): Promise<boolean>;
  close(): void;
  /** Called once when the client disconnects. */
  onClose(fn: () => void): void;
}

/** Bytes buffered for a slow client before its stream is dropped (it resumes with Last-Event-ID). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Unsent bytes below which a stream counts as drained (catch-up then writes its next page). */
export const LOW_WATER_BYTES = 64 * 1024;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

const CRLF = Buffer.from('\r\n');

/** One HTTP/1.1 chunk (`size CRLF data CRLF`) holding `data`. */
const httpChunk = (data: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, CRLF]);

/** The framed chunk of a Buffer shared by many streams (fan-out): framed once, written N times. */
const framed = new WeakMap<Buffer, Buffer>();
const frame = (data: Buffer): Buffer => {
  const f = httpChunk(data);
  framed.set(data, f);
  return f;
};

/**
 * Writes straight to Node's `ServerResponse`. Why: with 1,000 streams every event costs 1,000
 * writes, and going through a web ReadableStream adds a promise round trip, an encode and a
 * chunk copy per write; profiling showed that overhead next to the unavoidable syscalls.
 */
export function nodeSink(res: ServerResponse, headers: Record<string, string> = {}): SseSink {
  let closed = false;
  const closers: Array<() => void> = [];
  res.writeHead(200, { ...SSE_HEADERS, ...headers });
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  res.on('close', () => {
    closed = true;
    for (const f of closers.splice(0)) f();
  });
  const socket = res.socket;
  // Once the headers are on the wire, an event is written as one ready-made HTTP chunk straight
  // to the socket: one write per stream instead of Node's corked three-part writev (size line,
  // data, CRLF) plus a nextTick per response. The socket is the same ordered stream Node writes
  // to, and `res.end()` still appends the final zero-length chunk.
  // (Only when nothing of this response waits in Node's own queue — e.g. behind a pipelined
  // earlier response — so the direct writes can never overtake the headers.)
  const direct =
    socket !== null && res.chunkedEncoding && res.headersSent && res.writableLength === socket.writableLength;
  const buffered = (): number => (direct && socket ? socket.writableLength : res.writableLength);
  return {
    drained() {
      if (closed || res.destroyed) return Promise.resolve(false);
      if (buffered() <= LOW_WATER_BYTES) return Promise.resolve(true);
      // More than the high-water mark is queued, so the last write returned false and 'drain'
      // follows once the buffer empties; 'close' ends the wait for a reader that never reads.
      const emitter = direct && socket ? socket : res;
      return new Promise((resolve) => {
        const done = (ok: boolean) => () => {
          emitter.off('drain', onDrain);
          res.off('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(false);
        emitter.once('drain', onDrain);
        res.once('close', onClose);
      });
    },
    write(chunk) {
      if (closed || res.destroyed) return false;
      // The cap is checked before writing: a reader more than MAX_BUFFERED_BYTES behind is cut
      // off, while one event (at most a page, or one large document) always fits once it has read.
      // A stream thus holds at most the cap plus one event.
      if (buffered() > MAX_BUFFERED_BYTES) return false;
      if (direct && socket)
        socket.write(
          typeof chunk === 'string' ? httpChunk(Buffer.from(chunk)) : (framed.get(chunk) ?? frame(chunk)),
        );
      else res.write(chunk);
      return true;
    },
    close() {
      if (closed) return;
      closed = true;
      res.end();
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}

/** Portable sink over a web `ReadableStream` (other runtimes, `app.request()` in tests). */
export function streamSink(): {
  sink: SseSink;
  body: ReadableStream<Uint8Array>;
  headers: Record<string, string>;
} {
  const enc = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const closers: Array<() => void> = [];
  let waiters: Array<(ok: boolean) => void> = [];
  const wake = (ok: boolean): void => {
    for (const w of waiters.splice(0)) w(ok);
  };
  const gone = (): void => {
    if (closed) return;
    closed = true;
    wake(false);
    for (const f of closers.splice(0)) f();
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    // Called when the consumer has read the queue down: what drained() waits for.
    pull() {
      wake(true);
    },
    cancel: gone,
  });
  const sink: SseSink = {
    drained() {
      if (closed) return Promise.resolve(false);
      if ((controller.desiredSize ?? 0) > 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        waiters = [...waiters, resolve];
      });
    },
    write(chunk) {
      if (closed) return false;
      try {
        controller.enqueue(typeof chunk === 'string' ? enc.encode(chunk) : new Uint8Array(chunk));
      } catch {
        gone();
        return false;
      }
      return (controller.desiredSize ?? 0) > -2000;
    },
    close() {
      if (closed) return;
      gone();
      try {
        controller.close();
      } catch {
        // already closed by the client
      }
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
  return { sink, body, headers: { ...SSE_HEADERS } };
}
