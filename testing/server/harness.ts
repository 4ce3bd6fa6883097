import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HybridLogicalClock,
  applyChange,
  createChange,
  docFromJSON,
  mergeDocs,
  type Change,
  type DocState,
  type Intent,
  type TypeDef,
} from '@fieldsync/core';
import {
  signToken,
  type Permissions,
  type Limits,
  startServer,
  type RunningServer,
  PostgresEngine,
  SqliteEngine,
} from '@fieldsync/server';
import { SseParser, type SseMessage } from '@fieldsync/core';
import { PG_URL, dropSchema, uniqueSchema } from '../pgTest.js';

/** Polls `cond` every 5 ms until it holds; throws after `ms`. */
export const waitFor = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export const WORK_ORDER: TypeDef = {
  name: 'workOrder',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'in_progress', 'done'] },
    team: { type: 'string' },
    site: { type: 'string' },
    priority: { type: 'number' },
    notes: { type: 'text' },
    tags: { type: 'set' },
    address: { type: 'object', fields: { street: { type: 'string' }, city: { type: 'string' } } },
  },
};

export interface TestServer extends RunningServer {
  token(user: string, tenant: string, claims?: Record<string, unknown>): Promise<string>;
}

export interface TestServerOptions {
  engine?: 'sqlite' | 'postgres';
  permissions?: Permissions;
  limits?: Partial<Limits>;
  heartbeatMs?: number;
  maxDrift?: number;
  /** History horizon and compaction interval (startServer options of the same names). */
  historyHorizonMs?: number;
  compactEveryMs?: number;
  types?: TypeDef[];
}

/** A real server on a random free port of 127.0.0.1, with its own temporary storage. */
export async function testServer(o: TestServerOptions = {}): Promise<TestServer> {
  let cleanup: () => Promise<void>;
  let storage;
  if (o.engine === 'postgres') {
    const schema = uniqueSchema();
    storage = new PostgresEngine({ url: PG_URL, schema });
    cleanup = () => dropSchema(schema);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'fieldsync-srv-'));
    storage = new SqliteEngine({ file: join(dir, 'db.sqlite'), synchronous: 'NORMAL' });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const server = await startServer({
    storage,
    secret: SECRET,
    port: 0,
    types: o.types ?? [WORK_ORDER],
    ...(o.permissions ? { permissions: o.permissions } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
    ...(o.maxDrift ? { maxDrift: o.maxDrift } : {}),
    ...(o.historyHorizonMs ? { historyHorizonMs: o.historyHorizonMs } : {}),
    ...(o.compactEveryMs ? { compactEveryMs: o.compactEveryMs } : {}),
  });
  return {
    ...server,
    token: (user, tenant, claims) => signToken(SECRET, { user, tenant, ...(claims ? { claims } : {}) }),
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

/** A replica built directly on core (documents + clock), speaking the wire protocol by hand. */
export class CorePeer {
  readonly clock: HybridLogicalClock;
  readonly docs = new Map<string, DocState>();
  cursor = 0;
  constructor(
    readonly url: string,
    readonly token: string,
    replica: string,
    readonly type: TypeDef = WORK_ORDER,
  ) {
    this.clock = new HybridLogicalClock({ replica });
  }

  change(docId: string | undefined, intents: Intent[]): Change {
    const doc = docId ? this.docs.get(docId) : undefined;
    const c = createChange({
      clock: this.clock,
      type: this.type,
      doc,
      ...(docId && !doc ? { docId } : {}),
      intents,
    });
    this.docs.set(c.doc, applyChange(doc, c, this.type));
    return c;
  }

  async push(changes: unknown[]): Promise<{ status: number; body: PushBody }> {
    const res = await fetch(`${this.url}/v1/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    });
    return { status: res.status, body: (await res.json()) as PushBody };
  }

  /** Pulls every page since the cursor and merges; returns the gone ids seen. */
  async pull(query = ''): Promise<{ docs: number; gone: string[]; types: unknown[] }> {
    let n = 0;
    const gone: string[] = [];
    const types: unknown[] = [];
    for (;;) {
      const res = await fetch(`${this.url}/v1/pull?since=${this.cursor}${query}`, {
        headers: { authorization: `Bearer ${this.token}` },
      });
      if (res.status !== 200) throw new Error(`pull ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as PullBody;
      this.mergeRemote(body.docs);
      for (const id of body.gone) this.docs.delete(id);
      gone.push(...body.gone);
      types.push(...body.types);
      n += body.docs.length;
      this.cursor = body.cursor;
      if (!body.more) return { docs: n, gone, types };
    }
  }

  mergeRemote(docs: unknown[]): void {
    for (const json of docs) {
      const remote = docFromJSON(json);
      const local = this.docs.get(remote.id);
      this.docs.set(remote.id, local ? mergeDocs(local, remote) : remote);
    }
  }
}

export interface PushBody {
  results: Array<{ id: string; status: string; error?: { code: string; message: string; path?: string } }>;
  cursor: number;
  error?: { code: string; message: string };
}
export interface PullBody {
  cursor: number;
  more: boolean;
  docs: unknown[];
  gone: string[];
  types: unknown[];
}

/** An SSE connection read with fetch, collecting events. */
export class SseClient {
  readonly events: SseMessage[] = [];
  readonly #ctrl = new AbortController();
  #done: Promise<void> | undefined;
  status = 0;

  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, ...headers },
      signal: c.#ctrl.signal,
    });
    c.status = res.status;
    if (!res.body) return c;
    const parser = new SseParser((m) => c.events.push(m));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    c.#done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          parser.push(value);
        }
      } catch {
        // aborted
      }
    })();
    return c;
  }

  async waitFor(pred: (events: SseMessage[]) => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > end)
        throw new Error(`timed out; events so far: ${JSON.stringify(this.events).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** All docs received in sync events (parsed). */
  docs(): Array<{ id: string }> {
    return this.events
      .filter((e) => e.event === 'sync')
      .flatMap((e) => (JSON.parse(e.data) as PullBody).docs as Array<{ id: string }>);
  }

  gone(): string[] {
    return this.events
      .filter((e) => e.event === 'sync')
      .flatMap((e) => (JSON.parse(e.data) as PullBody).gone);
  }

  async close(): Promise<void> {
    this.#ctrl.abort();
    await this.#done;
  }
}
