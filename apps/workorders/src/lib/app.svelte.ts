import {
  createDatabase,
  IndexedDbStorage,
  requestStoragePersistence,
  storagePersistence,
  type Database,
  type StoragePersistence,
  type RejectedChange,
  type SyncStatus,
  type TypeDef,
  type WaitingDoc,
} from '@fieldsync/client';
import { indexWorkOrders } from './model/workOrders.js';
import {
  clearSession,
  databaseName,
  demoSignIn,
  fetchAppToken,
  fetchDemoUsers,
  saveSession,
  sessionFromToken,
  type Session,
} from './session.js';

/**
 * The signed-in app: session, local database and what the chrome shows about sync. One instance
 * per page. Everything here is reactive (`$state.raw`: replaced, never mutated), so the header,
 * the devtools view and the type-driven screens update when the database reports a change.
 */
class AppState {
  session = $state.raw<Session | undefined>(undefined);
  db = $state.raw<Database | undefined>(undefined);
  status = $state.raw<SyncStatus | undefined>(undefined);
  /** Latest definition of every type (re-read when types change, locally or from the server). */
  types = $state.raw<readonly TypeDef[]>([]);
  /** Changes set aside by the server (re-read when the outbox changes). */
  rejected = $state.raw<readonly RejectedChange[]>([]);
  /** Local changes not yet acknowledged, counted from the outbox (also without a sync client). */
  waiting = $state(0);
  /**
   * Whether the browser may evict this origin's IndexedDB (and with it unsent changes), and the
   * usage/quota; persistent storage is requested when the database opens.
   */
  persistence = $state.raw<StoragePersistence | undefined>(undefined);
  #persistenceReadAt = 0;
  /** Records whose changes the server does not have yet (`db.syncState.waiting()`), live. */
  waitingRecords = $state.raw<readonly WaitingDoc[]>([]);
  #stop: Array<() => void> = [];

  /** Opens the user's own database and starts syncing with the app's own origin. */
  async open(session: Session): Promise<void> {
    await this.close();
    saveSession(session);
    const name = databaseName(session);
    const db = await createDatabase({
      name,
      storage: new IndexedDbStorage(name),
      sync: { url: location.origin, token: () => this.session?.token ?? session.token },
    });
    indexWorkOrders(db);
    void requestStoragePersistence().then((p) => (this.persistence = p));
    this.#persistenceReadAt = Date.now();
    this.session = session;
    this.db = db;
    this.types = db.types.list();
    this.#stop.push(db.types.subscribe(() => (this.types = db.types.list())));
    this.waitingRecords = db.syncState.waiting();
    this.#stop.push(db.syncState.subscribe(() => (this.waitingRecords = db.syncState.waiting())));
    const outboxChanged = (): void => this.refreshOutbox();
    outboxChanged();
    this.#stop.push(db.outbox.onChange(outboxChanged));
    // The outbox announces new changes only; acks and rejections show in the sync status, so
    // both events re-count.
    if (db.sync)
      this.#stop.push(
        db.sync.subscribe((s) => {
          this.status = s;
          outboxChanged();
        }),
      );
  }

  /**
   * Gets a fresh token for the same user and tenant (the old one expired: sync answers 401)
   * without touching the local database, so nothing waiting to be sent is lost: the host's
   * `/app-token`, else the demo sign-in. False when neither gives a token for this user.
   */
  async renewToken(): Promise<boolean> {
    const current = this.session;
    if (!current) return false;
    let next: Session | undefined;
    const handed = await fetchAppToken();
    if (handed) next = sessionFromToken(handed);
    else if (await fetchDemoUsers()) next = await demoSignIn(current.user.id);
    if (!next || next.user.id !== current.user.id || next.tenant !== current.tenant) return false;
    this.session = next;
    saveSession(next);
    void this.db?.sync?.flush().catch(() => undefined);
    return true;
  }

  /** Re-reads the waiting and set-aside changes (the outbox announces only new changes). */
  refreshOutbox(): void {
    const db = this.db;
    if (!db) return;
    this.rejected = db.rejectedChanges();
    void db.outbox.count().then((n) => (this.waiting = n));
    // Usage grows with the outbox; re-read now and then (the persisted flag can change too).
    if (Date.now() - this.#persistenceReadAt > 30_000) {
      this.#persistenceReadAt = Date.now();
      void storagePersistence().then((p) => (this.persistence = p));
    }
  }

  async close(): Promise<void> {
    for (const stop of this.#stop.splice(0)) stop();
    const db = this.db;
    this.db = undefined;
    this.status = undefined;
    this.waitingRecords = [];
    if (db) await db.close();
  }

  /**
   * Signs out and deletes this user's local database: the device keeps nothing of theirs (unsent
   * changes included — the sign-out button warns when there are some).
   */
  async signOut(): Promise<void> {
    const session = this.session;
    await this.close();
    this.session = undefined;
    clearSession();
    if (session) await deleteDatabase(databaseName(session));
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
    // Another tab still has it open: it closes on the storage event (see +layout), then this runs.
    req.onblocked = () => undefined;
  });
}

export const app = new AppState();

/** The open database; screens are only mounted while one is open. */
export function db(): Database {
  const d = app.db;
  if (!d) throw new Error('no database open');
  return d;
}
