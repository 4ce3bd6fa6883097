/**
 * A deliberately naive, one-item-per-character FugueMax (Gentle's reference-crdts "yjsMod"),
 * used as an oracle: the run-length, blocked implementation must order items exactly like it.
 */
interface Item {
  agent: string;
  seq: number;
  oL: Id | null;
  oR: Id | null;
  deleted: boolean;
  ch: string;
}
type Id = [string, number];

export class RefDoc {
  items: Item[] = [];
  /** Items and deletions in the order this replica learned them (causal). */
  history: Array<{ item: Item } | { del: Id }> = [];
  next = new Map<string, number>();

  constructor(readonly agent: string) {}

  private idx(id: Id | null, ifNull: number): number {
    if (id === null) return ifNull;
    const i = this.items.findIndex((it) => it.agent === id[0] && it.seq === id[1]);
    if (i < 0) throw new Error(`missing ${id.join(':')}`);
    return i;
  }

  private take(n: number): number {
    const s = this.next.get(this.agent) ?? 0;
    this.next.set(this.agent, s + n);
    return s;
  }

  toString(): string {
    return this.items
      .filter((i) => !i.deleted)
      .map((i) => i.ch)
      .join('');
  }

  /** Raw index just after the visible item `pos - 1` (0 at the very start). */
  private rawAfter(pos: number): number {
    if (pos === 0) return 0;
    let seen = 0;
    for (let i = 0; i < this.items.length; i++) {
      if (!this.items[i]!.deleted && ++seen === pos) return i + 1;
    }
    throw new Error('past end');
  }

  insert(pos: number, text: string): void {
    let seq = this.take(text.length);
    for (const ch of text.split('')) {
      const raw = this.rawAfter(pos);
      const l = this.items[raw - 1];
      const r = this.items[raw];
      const item: Item = {
        agent: this.agent,
        seq: seq++,
        oL: l ? [l.agent, l.seq] : null,
        oR: r ? [r.agent, r.seq] : null,
        deleted: false,
        ch,
      };
      this.items.splice(raw, 0, item);
      this.history.push({ item });
      pos++;
    }
  }

  delete(pos: number, len: number): void {
    this.take(len);
    for (let k = 0; k < len; k++) {
      const raw = this.rawAfter(pos + 1) - 1;
      const it = this.items[raw]!;
      it.deleted = true;
      this.history.push({ del: [it.agent, it.seq] });
    }
  }

  /** Brings `src`'s items and deletions into this replica (FugueMax integration). */
  mergeFrom(src: RefDoc): void {
    for (const h of src.history) {
      if ('item' in h) {
        const { agent, seq } = h.item;
        if (this.items.some((it) => it.agent === agent && it.seq === seq)) continue;
        const item = { ...h.item, deleted: false };
        this.integrate(item);
        this.history.push({ item });
      } else {
        const it = this.items[this.idx(h.del, -1)]!;
        if (!it.deleted) {
          it.deleted = true;
          this.history.push({ del: h.del });
        }
      }
    }
    for (const [a, n] of src.next) if ((this.next.get(a) ?? 0) < n) this.next.set(a, n);
  }

  private integrate(item: Item): void {
    const left = this.idx(item.oL, -1);
    const right = this.idx(item.oR, this.items.length);
    let dest = left + 1;
    let scanning = false;
    for (let i = dest; ; i++) {
      if (!scanning) dest = i;
      if (i === this.items.length || i === right) break;
      const other = this.items[i]!;
      const oleft = this.idx(other.oL, -1);
      const oright = this.idx(other.oR, this.items.length);
      if (oleft < left || (oleft === left && oright === right && item.agent < other.agent)) break;
      if (oleft === left) scanning = oright < right;
    }
    this.items.splice(dest, 0, item);
  }
}
