import Database from 'better-sqlite3';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { sqliteGroupWrite } from './sqliteGroupWrite.js';
import { sqliteMaintenance } from './sqliteMaintenance.js';
import type { WriterMessage, WriterOptions, WriterRequest } from './sqliteWriterProtocol.js';

/**
 * The writer thread's program (started by `startWriter`, sqliteWriter.ts): its own connection,
 * each `write` one group written by `sqliteGroupWrite`, each `maint` one compaction step. It
 * waits up to 5 s for another process's write lock: blocking here blocks no request.
 */
function run(port: MessagePort, o: WriterOptions): void {
  const reply = (m: WriterMessage): void => port.postMessage(m);
  let db: Database.Database;
  let write: ReturnType<typeof sqliteGroupWrite>;
  let maintain: ReturnType<typeof sqliteMaintenance>;
  try {
    db = new Database(o.file);
    write = sqliteGroupWrite(db, {
      synchronous: o.synchronous,
      autoCheckpoint: o.autoCheckpoint,
      busyTimeoutMs: 5000,
    });
    maintain = sqliteMaintenance(db);
  } catch (e) {
    reply({ type: 'fatal', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return;
  }
  port.on('message', (m: WriterRequest) => {
    switch (m.type) {
      case 'write':
        reply({ type: 'written', result: write(m.pushes) });
        return;
      case 'maint':
        try {
          const t = performance.now();
          const rows = maintain(m.op);
          reply({ type: 'maint', rows, ms: performance.now() - t });
        } catch (e) {
          reply({ type: 'maintError', error: e instanceof Error ? e.message : String(e) });
        }
        return;
      case 'autoCheckpoint':
        db.pragma('wal_autocheckpoint = 1000');
        return;
      case 'close':
        db.close();
        port.close();
        return;
    }
  });
}

if (!parentPort) throw new Error('sqliteWriterWorker runs only as a worker thread (startWriter)');
run(parentPort, workerData as WriterOptions);
