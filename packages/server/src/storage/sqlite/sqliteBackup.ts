import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeEpoch } from './sqliteSchema.js';

/** The database file inside a data (or backup) directory. */
export const SQLITE_FILE = 'fieldsync.sqlite';

/**
 * Writes a consistent copy of the SQLite store in `dataDir` to `destDir/fieldsync.sqlite` while
 * a server keeps serving, and gives the copy a NEW epoch; returns it.
 *
 * Why `VACUUM INTO`: it reads the whole database inside one read transaction — in WAL mode a
 * snapshot that writers never wait for and never disturb — and writes a compact, self-contained
 * file (no WAL to carry along). The online backup API copies page by page and starts over
 * whenever another connection writes, which under steady pushes may never finish.
 * Why a new epoch: the copy is a different history from the live store as soon as the live store
 * takes one more write; a device must never take one for the other (docs/protocol.md, "Epoch").
 */
export function backupSqlite(dataDir: string, destDir: string): { file: string; epoch: string } {
  const source = join(dataDir, SQLITE_FILE);
  if (!existsSync(source)) throw new Error(`no fieldsync SQLite store at ${source}`);
  mkdirSync(destDir, { recursive: true });
  const file = join(destDir, SQLITE_FILE);
  if (existsSync(file)) throw new Error(`${file} already exists; back up into an empty directory`);
  const tmp = `${file}.partial`;
  rmSync(tmp, { force: true });
  const db = new Database(source, { readonly: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(tmp);
  } finally {
    db.close();
  }
  const epoch = newEpochIn(tmp);
  renameSync(tmp, file);
  return { file, epoch };
}

/**
 * Replaces the store in `dataDir` with the backup in `backupDir` (the server must be stopped) and
 * gives it a new epoch, so two restores of one backup are two histories too. Refuses while a
 * `-wal` file exists (a server may be running there, or it stopped uncleanly) unless `force`.
 * The replaced file is kept beside it as `fieldsync.sqlite.before-restore`.
 */
export function restoreSqlite(backupDir: string, dataDir: string, force = false): { epoch: string } {
  const backup = join(backupDir, SQLITE_FILE);
  if (!existsSync(backup)) throw new Error(`no fieldsync backup at ${backup}`);
  const target = join(dataDir, SQLITE_FILE);
  if (!force && existsSync(`${target}-wal`)) {
    throw new Error(
      `${target}-wal exists: a server may be running on ${dataDir} (stop it first), or it did not shut down cleanly; pass --force to restore anyway`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${target}.restoring`;
  copyFileSync(backup, tmp);
  const epoch = newEpochIn(tmp);
  if (existsSync(target)) renameSync(target, `${target}.before-restore`);
  for (const ext of ['-wal', '-shm']) rmSync(`${target}${ext}`, { force: true });
  renameSync(tmp, target);
  return { epoch };
}

function newEpochIn(file: string): string {
  const db = new Database(file);
  try {
    return writeEpoch(db);
  } finally {
    db.close();
  }
}
