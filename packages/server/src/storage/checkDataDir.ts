import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Database file name inside a SQLite data directory. */
export const SQLITE_FILE = 'fieldsync.sqlite';

/** A system error code as words a person recognises. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOTDIR') return 'a file is in the way';
  if (code === 'ENOSPC') return 'no space left on device';
  return e instanceof Error ? e.message : String(e);
}

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Checks, without creating anything, that a SQLite data directory can be used: it is a writable
 * directory, or the nearest existing ancestor is one (so it can be created). Lets `fieldsync serve`
 * refuse with one sentence naming the path before it binds a port or touches the disk.
 * Throws an Error whose message starts with the directory's absolute path.
 */
export function checkDataDir(dir: string): void {
  const abs = resolve(dir);
  for (let probe = abs; ; probe = dirname(probe)) {
    let isDir: boolean;
    try {
      isDir = statSync(probe).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(probe) !== probe) continue;
      throw new Error(`data directory ${abs}: cannot inspect ${probe}: ${describeFsError(e)}`);
    }
    const cannotCreate =
      probe === abs ? `data directory ${abs}` : `cannot create data directory ${abs}: ${probe}`;
    if (!isDir) throw new Error(`${cannotCreate} is a file, not a directory`);
    if (!writable(probe)) throw new Error(`${cannotCreate} is not writable`);
    if (probe === abs) checkDbFile(join(abs, SQLITE_FILE));
    return;
  }
}

function checkDbFile(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw new Error(`database file ${file} is a directory`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(`database file ${file} is not writable`);
  }
}
