/**
 * Whether the browser may evict this origin's data, and how much room it has. Browsers evict
 * IndexedDB under storage pressure unless the origin holds persistent storage — and unsynced
 * changes live only there, so an app must know (and tell its user) when work is at risk.
 */
export interface StoragePersistence {
  /**
   * True: the browser keeps this origin's data until the user clears it. False: it may evict it
   * under storage pressure. Undefined: the platform cannot tell (no StorageManager: Node, old
   * browsers, some private modes).
   */
  persisted: boolean | undefined;
  /** Bytes this origin uses (all its storage, IndexedDB included), if the platform tells. */
  usage: number | undefined;
  /** Bytes this origin may use, if the platform tells. */
  quota: number | undefined;
}

interface StorageManagerLike {
  persisted?: () => Promise<boolean>;
  persist?: () => Promise<boolean>;
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
}

function manager(): StorageManagerLike | undefined {
  const nav = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator;
  return nav?.storage;
}

async function estimate(
  m: StorageManagerLike | undefined,
): Promise<Pick<StoragePersistence, 'usage' | 'quota'>> {
  try {
    const e = await m?.estimate?.();
    return { usage: e?.usage, quota: e?.quota };
  } catch {
    return { usage: undefined, quota: undefined };
  }
}

/** Reads the current state without asking for anything (no prompt, no side effect). */
export async function storagePersistence(): Promise<StoragePersistence> {
  const m = manager();
  let persisted: boolean | undefined;
  try {
    persisted = m?.persisted ? await m.persisted() : undefined;
  } catch {
    persisted = undefined;
  }
  return { persisted, ...(await estimate(m)) };
}

/**
 * Asks the browser to keep this origin's data (`navigator.storage.persist()`), then reports the
 * state. Chromium decides without a prompt (granted to installed apps, bookmarked or frequently
 * used sites, or with notification permission); Firefox may ask the user. Call it at start-up of
 * an app that keeps unsynced work on the device; calling it again when granted is harmless.
 */
export async function requestStoragePersistence(): Promise<StoragePersistence> {
  const m = manager();
  try {
    if (m?.persist) await m.persist();
  } catch {
    // Refused or unsupported: reported as not persisted below.
  }
  return storagePersistence();
}
