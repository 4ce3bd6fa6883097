/**
 * What the compact insert changes of one bulk insert share. A pending insert held by reference
 * (see `Outbox.pushRef`) is rebuilt from these and its document's row:
 * `{ id: stamp, doc, type, v, stamp, ops: { [names[i]]: { v: value } }, th }`.
 */
export interface InsertRun {
  collection: string;
  type: string;
  v: number;
  th: string;
  /** The field names, in the order of the change's `ops`. */
  names: readonly string[];
  /** Stamps of the first and last insert of the run (stamps of one replica only grow). */
  first: string;
  last: string;
  /** Inserts of the run still held by reference. */
  count: number;
}

/**
 * The runs with inserts still held by reference, in stamp order, so the run of a stamp is
 * found by binary search; a run is forgotten when its last reference goes.
 */
export class InsertRuns {
  private readonly runs: InsertRun[] = [];

  /** Starts a run (its first insert has a stamp after every existing run's). */
  begin(run: Omit<InsertRun, 'count' | 'last'>): InsertRun {
    const r: InsertRun = { ...run, last: run.first, count: 0 };
    this.runs.push(r);
    return r;
  }

  /** The run whose stamps include `stamp`. */
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

  /** One reference of the run of `stamp` is gone. */
  release(stamp: string): void {
    const run = this.find(stamp);
    if (run === undefined || --run.count > 0) return;
    this.runs.splice(this.runs.indexOf(run), 1);
  }
}
