import type { MaintenanceOp } from './sqliteMaintenance.js';
import type { GroupResult, WriteOutcome, WritePush } from './sqliteGroupWrite.js';
import { checkPlan, type PlanReads } from './sqlitePlanReads.js';
import type { WriterThread } from './sqliteWriter.js';
import type { WriterMessage } from './sqliteWriterProtocol.js';
import type {
  CommitPlan,
  CommitRequest,
  CommitResult,
  CommittedBatch,
  LoadedState,
  StoredDoc,
} from '../StorageEngine.js';

interface Pending {
  req: CommitRequest;
  plan: (loaded: LoadedState) => CommitPlan;
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
  conflicts: number;
}

/** A compaction step for the writer thread. */
interface MaintJob {
  op: MaintenanceOp;
  resolve: (n: number) => void;
  reject: (e: unknown) => void;
}

/** A merged push waiting for (or at) the writer thread. */
interface Planned {
  p: Pending;
  docs: Array<Omit<StoredDoc, 'seq'>>;
  write: WritePush;
  keys: string[];
}

/** What the queue needs from its engine besides the reads and the writer. */
export interface WriteQueueHost {
  /** The tenant's head (the answer to a push that writes nothing). */
  head(tenant: string): number;
  /** A group's push committed: its batch for realtime listeners, before the push is answered. */
  committed(batch: CommittedBatch): void;
}

/** A push that keeps conflicting with writes of another process is refused after this many tries. */
const MAX_CONFLICTS = 10;
/**
 * Documents per group commit, at most (a single larger push still goes alone). Bounds how long a
 * push waits behind others that queued while the writer was busy.
 */
const MAX_GROUP_DOCS = 20_000;

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/**
 * Everything on its way to the SQLite writer thread: pushes waiting for a document being written,
 * merged pushes forming the next group, the group at the writer, and compaction steps (which
 * alternate with groups, so a push waits for at most one short step). It owns the group commit:
 * a push is merged at once and goes to the writer at once if it is idle; pushes merged while the
 * writer commits form the next group. Acknowledgements and batches are released only after the
 * writer's COMMIT returned; a push whose documents changed under it (another process) is merged
 * again.
 */
export class SqliteWriteQueue {
  readonly #reads: PlanReads;
  readonly #writer: WriterThread;
  readonly #host: WriteQueueHost;
  /** Pushes not merged yet (some wait for a document that is being written). */
  #waiting: Pending[] = [];
  /** Merged pushes for the next group. */
  #planned: Planned[] = [];
  /** The group the writer is committing. */
  #inFlight: Planned[] | undefined;
  /** Documents (tenant, id) of planned and in-flight pushes. */
  readonly #busy = new Set<string>();
  #scheduled = false;
  #maint: MaintJob[] = [];
  #maintInFlight: MaintJob | undefined;
  /** The last thing sent to the writer was a compaction step (steps alternate with groups). */
  #lastWasMaint = false;
  #failure: Error | undefined;
  #idle: (() => void) | undefined;
  /** Compaction steps run so far: how many, their total and longest time at the writer (ms). */
  readonly maintenanceStats = { steps: 0, totalMs: 0, maxMs: 0 };

  constructor(reads: PlanReads, writer: WriterThread, host: WriteQueueHost) {
    this.#reads = reads;
    this.#writer = writer;
    this.#host = host;
  }

  commit(req: CommitRequest, plan: (loaded: LoadedState) => CommitPlan): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      this.#waiting.push({ req, plan, resolve, reject, conflicts: 0 });
      this.#pump();
    });
  }

  /** Queues one compaction step for the writer thread. */
  step(op: MaintenanceOp): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      this.#maint.push({ op, resolve, reject });
      this.#send();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Merges every waiting push whose documents are not being written, then feeds the writer. */
  #pump(): void {
    const waiting = this.#waiting;
    this.#waiting = []; // (a plan that commits again re-enters here; nothing is lost either way)
    for (const p of waiting) {
      if (p.req.docIds.some((id) => this.#busy.has(key(p.req.tenant, id)))) this.#waiting.push(p);
      else this.#plan(p);
    }
    this.#send();
    this.#checkIdle();
  }

  #plan(p: Pending): void {
    let planned: Planned;
    try {
      if (this.#failure) throw this.#failure;
      const r = this.#reads.read(p.req);
      const out = p.plan(r.loaded);
      checkPlan(p.req, r.loaded, out);
      if (out.docs.length === 0) {
        p.resolve({ docs: [], cursor: this.#host.head(p.req.tenant) });
        return;
      }
      const keys = out.docs.map((d) => key(p.req.tenant, d.id));
      planned = { p, docs: out.docs, write: this.#reads.toWrite(p.req, r, out), keys };
    } catch (e) {
      p.reject(e);
      return;
    }
    for (const k of planned.keys) this.#busy.add(k);
    this.#planned.push(planned);
  }

  #send(): void {
    if (this.#inFlight || this.#maintInFlight) return;
    const job = this.#maint[0];
    if (job && (this.#planned.length === 0 || !this.#lastWasMaint)) {
      this.#maint.shift();
      this.#maintInFlight = job;
      this.#lastWasMaint = true;
      this.#writer.ref();
      this.#writer.send({ type: 'maint', op: job.op });
      return;
    }
    if (this.#planned.length === 0) return;
    this.#lastWasMaint = false;
    let n = 0;
    let take = 0;
    while (
      take < this.#planned.length &&
      (take === 0 || n + this.#planned[take]!.docs.length <= MAX_GROUP_DOCS)
    )
      n += this.#planned[take++]!.docs.length;
    this.#inFlight = this.#planned.slice(0, take);
    this.#planned = this.#planned.slice(take);
    this.#writer.ref(); // pending acknowledgements keep the process alive; an idle engine does not
    this.#writer.send({ type: 'write', pushes: this.#inFlight.map((g) => g.write) });
  }

  /** A message of the writer thread. */
  received(m: WriterMessage): void {
    switch (m.type) {
      case 'written':
        return this.#written(m.result);
      case 'fatal':
        return this.fail(new Error(`the SQLite writer thread could not start: ${m.error}`));
      case 'maint':
      case 'maintError': {
        const job = this.#maintInFlight;
        this.#maintInFlight = undefined;
        if (m.type === 'maint') {
          const s = this.maintenanceStats;
          s.steps++;
          s.totalMs += m.ms;
          s.maxMs = Math.max(s.maxMs, m.ms);
          job?.resolve(m.rows);
        } else job?.reject(new Error(`compaction step failed: ${m.error}`));
        this.#send();
        if (this.#waiting.length > 0) this.#schedule();
        this.#checkIdle();
        return;
      }
    }
  }

  /** A group committed (or failed as a whole: nothing stored). */
  #written(m: GroupResult): void {
    const group = this.#inFlight ?? [];
    this.#inFlight = undefined;
    // The next group (merged meanwhile) goes out first: the writer is never idle needlessly.
    for (const g of group) for (const k of g.keys) this.#busy.delete(k);
    const retry: Pending[] = [];
    group.forEach((g, i) => {
      const o: WriteOutcome | undefined =
        'groupError' in m ? { error: m.groupError, ...(m.code ? { code: m.code } : {}) } : m.outcomes[i];
      if (o && 'to' in o) this.#committed(g, o.to);
      else if (o && 'conflict' in o) {
        if (++g.p.conflicts >= MAX_CONFLICTS)
          g.p.reject(
            new Error(
              'the documents kept changing under this push (another process writes the same database); retry later',
            ),
          );
        else retry.push(g.p);
      } else
        g.p.reject(
          Object.assign(
            new Error(o?.error ?? 'the SQLite writer returned no outcome'),
            o?.code ? { code: o.code } : {},
          ),
        );
    });
    this.#send();
    this.#waiting.unshift(...retry);
    if (this.#waiting.length > 0) this.#schedule();
    this.#checkIdle();
  }

  #committed(g: Planned, to: number): void {
    const n = g.docs.length;
    const base = to - n;
    const written: StoredDoc[] = new Array(n);
    for (let i = 0; i < n; i++) written[i] = { ...g.docs[i]!, seq: base + i + 1 };
    this.#host.committed({ tenant: g.write.tenant, from: base + 1, to, docs: written });
    g.p.resolve({ docs: written, cursor: to });
  }

  /** Storage failed: everything queued is refused, and so is every later write. */
  fail(e: unknown): void {
    if (this.#failure) return;
    this.#failure = e instanceof Error ? e : new Error(String(e));
    console.error('[fieldsync] SQLite storage stopped; every write is refused from now on', this.#failure);
    for (const g of [...(this.#inFlight ?? []), ...this.#planned]) g.p.reject(this.#failure);
    for (const p of this.#waiting) p.reject(this.#failure);
    for (const j of [...(this.#maintInFlight ? [this.#maintInFlight] : []), ...this.#maint])
      j.reject(this.#failure);
    this.#maint = [];
    this.#maintInFlight = undefined;
    this.#inFlight = undefined;
    this.#planned = [];
    this.#waiting = [];
    this.#busy.clear();
    this.#checkIdle();
  }

  #busyWriting(): boolean {
    return (
      this.#inFlight !== undefined ||
      this.#maintInFlight !== undefined ||
      this.#planned.length > 0 ||
      this.#waiting.length > 0 ||
      this.#maint.length > 0
    );
  }

  #checkIdle(): void {
    if (this.#busyWriting()) return;
    this.#writer.unref();
    this.#idle?.();
    this.#idle = undefined;
  }

  /** Resolves once every queued push and step has been answered. */
  async drained(): Promise<void> {
    if (!this.#busyWriting()) return;
    await new Promise<void>((resolve) => {
      this.#idle = resolve;
      this.#checkIdle();
    });
  }

  /** Refuses later writes; returns whether storage had failed before. */
  close(): boolean {
    const failed = this.#failure !== undefined;
    this.#failure ??= new Error('the database is closed');
    return failed;
  }
}
