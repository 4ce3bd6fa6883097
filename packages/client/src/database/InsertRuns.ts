import type { Change } from '@fieldsync/core';

/**
 * Consecutive bulk inserts of one collection held in the outbox by reference to their rows (see
 * `Outbox.pushRef`): what their changes share, and per insert its stamp (the change id) and its
 * entry — the document id while held by reference, a `CapturedInsert` once the document
 * changed, undefined once acknowledged or dropped. Two array slots per insert instead of a map
 * entry. A change is rebuilt as
 * `{ id: stamp, doc, type, v, stamp, ops: { [names[i]]: { v: value } }, th }`.
 */
export class InsertRun {
  /** Change ids, in the order queued (stamps of one replica only grow). */
  readonly stamps: string[] = [];
  readonly entries: unknown[] = [];
  /** Entries not yet gone. */
  size = 0;
  /** Every slot before this one is gone (acknowledged inserts leave from the front). */
  head = 0;
  /** Row of the first insert's document; while `consecutive`, slot i's document is at row `firstRow + i`. */
  firstRow = -1;
  consecutive = true;

  constructor(
    readonly collection: string,
    readonly type: string,
    readonly v: number,
    readonly th: string,
    /** The field names, in the order of the change's `ops`. */
    readonly names: readonly string[],
  ) {}

  get first(): string {
    return this.stamps[0] as string;
  }

  get last(): string {
    return this.stamps[this.stamps.length - 1] as string;
  }

  /** The change `stamp` of document `doc` with these values (in `names` order). */
  change(stamp: string, doc: string, values: readonly unknown[]): Change {
    const ops: Record<string, unknown> = {};
    for (let i = 0; i < this.names.length; i++) ops[this.names[i] as string] = { v: values[i] };
    return { id: stamp, doc, type: this.type, v: this.v, stamp, ops, th: this.th };
  }

  /**
   * Slot of change `stamp` whose document is at `row`, or -1: read off the row when the run's
   * documents were stored at consecutive rows (a bulk load into a collection without free rows),
   * checked against the stamp; otherwise found by binary search — 17 string comparisons over a
   * 100,000-insert run, scattered in memory, the most costly step of a document's first write.
   */
  slotOf(stamp: string, row: number): number {
    if (this.consecutive) {
      const i = row - this.firstRow;
      if (i >= 0 && i < this.stamps.length && this.stamps[i] === stamp) return i;
    }
    return this.indexOf(stamp);
  }

  /** Slot of change `stamp`, or -1. */
  indexOf(stamp: string): number {
    let lo = 0;
    let hi = this.stamps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.stamps[mid] as string;
      if (s === stamp) return mid;
      if (s < stamp) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** An insert of a run whose document changed: its values as they were (the change is built on read). */
export class CapturedInsert {
  constructor(
    readonly doc: string,
    readonly values: readonly unknown[],
  ) {}
}

/** The runs with entries left, in stamp order, so the run of a stamp is found by binary search. */
export class InsertRuns {
  private readonly runs: InsertRun[] = [];

  /** Adds a run whose first insert is about to be queued (after every existing run's). */
  add(run: InsertRun): void {
    this.runs.push(run);
  }

  /** The run whose stamps span `stamp` (it may still not hold it: check `indexOf`). */
  find(stamp: string): InsertRun | undefined {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const run = this.runs[mid] as InsertRun;
      if (stamp < run.first) hi = mid - 1;
      else if (stamp > run.last) lo = mid + 1;
      else return run;
    }
    return undefined;
  }

  remove(run: InsertRun): void {
    const i = this.runs.indexOf(run);
    if (i >= 0) this.runs.splice(i, 1);
  }
}
