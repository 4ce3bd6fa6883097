import {
  ProtocolError,
  SseParser,
  parseDefineTypeResponse,
  parseDelta,
  parseDocsResponse,
  parseErrorBody,
  parseMergeResponse,
  parsePushResponse,
  parseStoreHeaders,
  wireJson,
  type DefineTypeResponse,
  type Delta,
  type DocsResponse,
  type MergeResponse,
  type PushResponse,
  type SseMessage,
} from '@fieldsync/core';
import { deadline, SyncAbortedError } from './deadline.js';
import { SyncHttpError, SyncNetworkError } from './syncErrors.js';
import { inAnswerTo } from './protocolFailure.js';

/**
 * What every response says about the server (PROTOCOL-11): its store's identity, its head
 * cursor and its wall clock, with the local times the request was sent and answered (the clock
 * offset is corrected by half the round trip).
 */
export interface ServerInfo {
  epoch: string | undefined;
  head: number | undefined;
  time: number | undefined;
  sentAt: number;
  receivedAt: number;
}

export interface TransportOptions {
  url: string;
  token: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
  /** Partial sync: only these types. */
  types?: readonly string[];
  /** Partial sync: field conditions the server applies after its read rules (`{ site: 's1' }`, `{ priority: { $gte: 3 } }`; operators in docs/protocol.md). */
  where?: Readonly<Record<string, unknown>>;
  /**
   * Deadline of one request (push, pull, type, merge, the event stream's headers), body
   * included. Default 15 s. A half-open connection never answers; past this the request counts
   * as a network failure and is retried on a new attempt.
   */
  requestTimeoutMs?: number;
}

/** Default `requestTimeoutMs`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * Reads a response body as JSON and checks it with one of core's protocol validators. Malformed
 * JSON, a truncated body or a wrong shape throws `ProtocolError` naming the path and rule, and
 * the request it answered (the caller retries it later, like a network failure).
 */
async function readChecked<T>(res: Response, what: string, check: (json: unknown) => T): Promise<T> {
  const text = await res.text();
  try {
    return check(wireJson(text));
  } catch (e) {
    throw e instanceof ProtocolError ? inAnswerTo(e, what) : e;
  }
}

const idsOf = (items: readonly unknown[]): string[] => items.map((c) => String((c as { id?: unknown }).id));

/**
 * HTTP calls of protocol /v1. Stateless: the cursor lives in the caller. Every call has a
 * deadline and can be cancelled with the caller's signal; every answer's identity headers go to
 * `observe`.
 */
export class SyncTransport {
  readonly #o: TransportOptions;
  readonly #fetch: typeof fetch;
  readonly #base: string;
  readonly #observe: ((info: ServerInfo) => void) | undefined;
  readonly #timeoutMs: number;

  constructor(o: TransportOptions, observe?: (info: ServerInfo) => void) {
    this.#o = o;
    this.#fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.#base = o.url.replace(/\/+$/, '');
    this.#observe = observe;
    this.#timeoutMs = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  async #headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const token = typeof this.#o.token === 'function' ? await this.#o.token() : this.#o.token;
    return { authorization: `Bearer ${token}`, ...extra };
  }

  #filterQuery(): string {
    let q = '';
    if (this.#o.types?.length) q += `&types=${encodeURIComponent(this.#o.types.join(','))}`;
    if (this.#o.where) q += `&where=${encodeURIComponent(JSON.stringify(this.#o.where))}`;
    return q;
  }

  /**
   * One request under a deadline: `read` consumes the response (its body too) before the
   * deadline is cleared. A stop (the caller's signal) throws `SyncAbortedError`; a deadline or
   * a failed connection throws `SyncNetworkError`.
   */
  async #call<T>(
    path: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
    read: (res: Response) => Promise<T>,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    const d = deadline(signal, timeoutMs);
    try {
      const sentAt = Date.now();
      let res: Response;
      try {
        res = await this.#fetch(`${this.#base}${path}`, { ...init, signal: d.signal });
      } catch (e) {
        if (d.signal.aborted) throw e;
        // No answer at all, at once: most often a kept-alive connection the server or a proxy had
        // closed (a restart). Every /v1 request is idempotent (change ids, joins), so one retry on
        // a fresh connection is safe, within the same deadline.
        res = await this.#fetch(`${this.#base}${path}`, { ...init, signal: d.signal });
      }
      this.#seen(res, sentAt, `${init.method ?? 'GET'} ${path.replace(/\?.*/, '')}`);
      return await read(res);
    } catch (e) {
      throw this.#failure(e, signal, d.expired, timeoutMs);
    } finally {
      d.clear();
    }
  }

  #failure(e: unknown, signal: AbortSignal | undefined, expired: boolean, timeoutMs: number): unknown {
    if (signal?.aborted) return new SyncAbortedError();
    if (expired) return new SyncNetworkError(new Error(`no answer within ${timeoutMs} ms`));
    if (e instanceof SyncHttpError || e instanceof SyncNetworkError || e instanceof ProtocolError) return e;
    return new SyncNetworkError(e);
  }

  /** Reads the store headers (a malformed one throws `ProtocolError`) and reports them. */
  #seen(res: Response, sentAt: number, what: string): void {
    let h;
    try {
      h = parseStoreHeaders((name) => res.headers.get(name));
    } catch (e) {
      throw e instanceof ProtocolError ? inAnswerTo(e, what) : e;
    }
    this.#observe?.({ ...h, sentAt, receivedAt: Date.now() });
  }

  /**
   * The error an answer with an error status stands for. Its body is checked with core's
   * `parseErrorBody`; one that is not a fieldsync error body (a proxy's HTML page, a truncated
   * body) keeps the status and its text with code `http_error`: the status alone says what to
   * do (retry a 502, set aside a 400), so it is not a protocol error.
   */
  static async errorOf(res: Response): Promise<SyncHttpError> {
    let code = 'http_error';
    let message = res.statusText;
    try {
      const { error } = parseErrorBody(wireJson(await res.text()));
      code = error.code;
      message = error.message;
    } catch {
      // not a fieldsync error body: keep the status text
    }
    return new SyncHttpError(res.status, code, message);
  }

  /** Pushes a batch. 200 and 422 both carry per-change results. */
  async push(changes: readonly unknown[], signal?: AbortSignal): Promise<PushResponse> {
    const init = {
      method: 'POST',
      headers: await this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ changes }),
    };
    return this.#call('/v1/push', init, signal, async (res) => {
      if (res.status !== 200 && res.status !== 422) throw await SyncTransport.errorOf(res);
      return readChecked(res, 'POST /v1/push', (b) => parsePushResponse(b, idsOf(changes)));
    });
  }

  /** `POST /v1/merge`: full document states the server lacks (resync after a restore). */
  async merge(docs: readonly unknown[], signal?: AbortSignal): Promise<MergeResponse> {
    const init = {
      method: 'POST',
      headers: await this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ docs }),
    };
    return this.#call('/v1/merge', init, signal, async (res) => {
      if (res.status !== 200 && res.status !== 422) throw await SyncTransport.errorOf(res);
      return readChecked(res, 'POST /v1/merge', (b) => parseMergeResponse(b, idsOf(docs)));
    });
  }

  /** `PUT /v1/types/:name`: defines a type version (with its migrations) on the server. */
  async putType(def: unknown, signal?: AbortSignal): Promise<DefineTypeResponse> {
    const name = String((def as { name?: unknown }).name);
    const init = {
      method: 'PUT',
      headers: await this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(def),
    };
    return this.#call(`/v1/types/${encodeURIComponent(name)}`, init, signal, async (res) => {
      if (res.status !== 200) throw await SyncTransport.errorOf(res);
      return readChecked(res, 'PUT /v1/types', parseDefineTypeResponse);
    });
  }

  /**
   * One pull page after `since`. Besides its shape, a page that says `more` must move the cursor
   * forward: one that does not would make the caller ask for the same page forever.
   */
  async pull(since: number, limit?: number, signal?: AbortSignal): Promise<Delta> {
    const path = `/v1/pull?since=${since}${limit ? `&limit=${limit}` : ''}${this.#filterQuery()}`;
    return this.#call(path, { headers: await this.#headers() }, signal, async (res) => {
      if (res.status !== 200) throw await SyncTransport.errorOf(res);
      const d = await readChecked(res, 'GET /v1/pull', parseDelta);
      if (d.more === true && d.cursor <= since)
        throw new ProtocolError(
          'cursor',
          'progress',
          `"more" with cursor ${d.cursor}, not past ${since} (in the answer to GET /v1/pull)`,
        );
      return d;
    });
  }

  /** `GET /v1/docs?ids=…`: the server's current state of these documents (discarding a local change). */
  async docs(ids: readonly string[], signal?: AbortSignal): Promise<DocsResponse> {
    const path = `/v1/docs?ids=${encodeURIComponent(ids.join(','))}`;
    return this.#call(path, { headers: await this.#headers() }, signal, async (res) => {
      if (res.status !== 200) throw await SyncTransport.errorOf(res);
      return readChecked(res, 'GET /v1/docs', parseDocsResponse);
    });
  }

  /**
   * `GET /v1/health` (no credentials): true when the server answered at all, within `timeoutMs`.
   * The cheap probe that replaces waiting out a long backoff where no `online` event exists.
   */
  async probe(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.#call(
        '/v1/health',
        {},
        signal,
        async (res) => {
          await res.body?.cancel();
          return true;
        },
        timeoutMs,
      );
    } catch (e) {
      if (e instanceof SyncAbortedError) throw e;
      return false;
    }
  }

  /**
   * Opens the event stream from `since` and calls `onMessage` for each event until the stream
   * ends (resolves) or fails (rejects). Abort with `signal` to close it (resolves).
   *
   * Watchdog: a stream that delivers no byte for `idleMs()` (the caller sets it to two server
   * heartbeats plus a margin) is dead — a half-open socket never reports an error — and is
   * closed with a `SyncNetworkError` so the caller reconnects.
   */
  async events(
    since: number,
    onMessage: (m: SseMessage) => void,
    signal: AbortSignal,
    idleMs: () => number,
    onComment?: (text: string) => void,
  ): Promise<void> {
    const ctrl = new AbortController();
    const onStop = (): void => ctrl.abort();
    signal.addEventListener('abort', onStop, { once: true });
    if (signal.aborted) ctrl.abort();
    let lastByte = Date.now();
    let connected = false;
    let idle = false;
    const limit = (): number => (connected ? idleMs() : this.#timeoutMs);
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastByte <= limit()) return;
        idle = true;
        ctrl.abort();
      },
      Math.max(50, Math.min(1000, Math.floor(Math.min(idleMs(), this.#timeoutMs) / 4))),
    );
    try {
      const headers = await this.#headers({ accept: 'text/event-stream', 'last-event-id': String(since) });
      const sentAt = Date.now();
      const res = await this.#fetch(`${this.#base}/v1/events?since=${since}${this.#filterQuery()}`, {
        headers,
        signal: ctrl.signal,
      });
      this.#seen(res, sentAt, 'GET /v1/events');
      connected = true;
      if (res.status !== 200 || !res.body) throw await SyncTransport.errorOf(res);
      lastByte = Date.now();
      const parser = new SseParser(onMessage, onComment);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          lastByte = Date.now();
          parser.push(decoder.decode(value, { stream: true }));
        }
      } finally {
        reader.releaseLock();
      }
    } catch (e) {
      if (signal.aborted) return;
      if (idle) throw new SyncNetworkError(new Error(`event stream silent for ${limit()} ms`));
      if (e instanceof SyncHttpError || e instanceof SyncNetworkError || e instanceof ProtocolError) throw e;
      throw new SyncNetworkError(e);
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', onStop);
    }
  }
}
