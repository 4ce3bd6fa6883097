import { SseParser, type SseMessage } from './SseParser.js';

/** Wire shapes of protocol /v1 (docs/protocol.md). */
export interface ChangeResult {
  id: string;
  status: 'ok' | 'duplicate' | 'rejected';
  error?: { code: string; message: string; path?: string };
}
export interface PushResponse {
  results: ChangeResult[];
  cursor: number;
}
export interface Delta {
  cursor: number;
  types: unknown[];
  docs: unknown[];
  gone: string[];
  more?: boolean;
}

/** A request the server answered with an error status (body `{ error: { code, message } }`). */
export class SyncHttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.name = 'SyncHttpError';
    this.status = status;
    this.code = code;
  }
  /** Worth retrying later (server busy, rate limited, restarting) rather than a client bug. */
  get transient(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

/** The network failed before any HTTP answer (offline, DNS, connection refused/reset). */
export class SyncNetworkError extends Error {
  constructor(cause: unknown) {
    super(`network: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'SyncNetworkError';
  }
}

export interface TransportOptions {
  url: string;
  token: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
  /** Partial sync: only these types. */
  types?: readonly string[];
  /** Partial sync: field conditions the server applies after its read rules (`{ site: 's1' }`, `{ priority: { $gte: 3 } }`; operators in docs/protocol.md). */
  where?: Readonly<Record<string, unknown>>;
}

/** HTTP calls of protocol /v1. Stateless: the cursor lives in the caller. */
export class SyncTransport {
  readonly #o: TransportOptions;
  readonly #fetch: typeof fetch;
  readonly #base: string;

  constructor(o: TransportOptions) {
    this.#o = o;
    this.#fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.#base = o.url.replace(/\/+$/, '');
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

  async #request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${path}`, init);
    } catch (e) {
      if ((e as { name?: string }).name === 'AbortError') throw e;
      throw new SyncNetworkError(e);
    }
    return res;
  }

  static async errorOf(res: Response): Promise<SyncHttpError> {
    let code = 'http_error';
    let message = res.statusText;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // not JSON: keep the status text
    }
    return new SyncHttpError(res.status, code, message);
  }

  /** Pushes a batch. 200 and 422 both carry per-change results. */
  async push(changes: readonly unknown[], signal?: AbortSignal): Promise<PushResponse> {
    const res = await this.#request('/v1/push', {
      method: 'POST',
      headers: await this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ changes }),
      ...(signal ? { signal } : {}),
    });
    if (res.status === 200 || res.status === 422) {
      const body = (await res.json()) as Partial<PushResponse>;
      if (Array.isArray(body.results)) return body as PushResponse;
    }
    throw await SyncTransport.errorOf(res);
  }

  /** `PUT /v1/types/:name`: defines a type version (with its migrations) on the server. */
  async putType(def: unknown, signal?: AbortSignal): Promise<{ cursor: number; changed: boolean }> {
    const name = String((def as { name?: unknown }).name);
    const res = await this.#request(`/v1/types/${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: await this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(def),
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 200) throw await SyncTransport.errorOf(res);
    return (await res.json()) as { cursor: number; changed: boolean };
  }

  async pull(since: number, limit?: number, signal?: AbortSignal): Promise<Delta> {
    const res = await this.#request(
      `/v1/pull?since=${since}${limit ? `&limit=${limit}` : ''}${this.#filterQuery()}`,
      {
        headers: await this.#headers(),
        ...(signal ? { signal } : {}),
      },
    );
    if (res.status !== 200) throw await SyncTransport.errorOf(res);
    return (await res.json()) as Delta;
  }

  /**
   * Opens the event stream from `since` and calls `onMessage` for each event until the stream
   * ends (resolves) or fails (rejects). Abort with `signal` to close it.
   */
  async events(since: number, onMessage: (m: SseMessage) => void, signal: AbortSignal): Promise<void> {
    const res = await this.#request(`/v1/events?since=${since}${this.#filterQuery()}`, {
      headers: await this.#headers({ accept: 'text/event-stream', 'last-event-id': String(since) }),
      signal,
    });
    if (res.status !== 200 || !res.body) throw await SyncTransport.errorOf(res);
    const parser = new SseParser(onMessage);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch (e) {
      if (signal.aborted) return;
      throw new SyncNetworkError(e);
    } finally {
      reader.releaseLock();
    }
  }
}
