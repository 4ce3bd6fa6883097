import type { Change } from './change.js';

/**
 * The changes a replica holds, in the order it received them, numbered 1, 2, 3...: the version.
 * "All changes since version V" is what a peer that has seen up to V needs; numbering by arrival
 * (not by stamp) means a late change with an old stamp is never skipped — the cursor-hole trap
 * of "updated after T". Duplicates (same id) are ignored, so re-delivery is harmless.
 */
export class ChangeLog {
  private readonly changes: Change[] = [];
  private readonly ids = new Map<string, number>();

  /** The version after the last appended change (0 when empty). */
  get version(): number {
    return this.changes.length;
  }

  /** Appends a change; returns its version, or `undefined` if a change with this id is already held. */
  append(change: Change): number | undefined {
    if (this.ids.has(change.id)) return undefined;
    this.changes.push(change);
    this.ids.set(change.id, this.changes.length);
    return this.changes.length;
  }

  /** True if a change with this id is held. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** The version at which the change with this id was appended. */
  versionOf(id: string): number | undefined {
    return this.ids.get(id);
  }

  /** Changes appended after version `since` (optionally only those of document `doc`), oldest first. */
  since(since: number, doc?: string): Change[] {
    const from = Math.max(0, Math.floor(since));
    const out = this.changes.slice(from);
    return doc === undefined ? out : out.filter((c) => c.doc === doc);
  }
}
