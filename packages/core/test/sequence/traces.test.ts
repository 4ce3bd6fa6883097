import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Text } from '../../src/sequence/index.js';
import { TRACES, loadTrace, type ConcurrentTrace, type SequentialTrace } from './traces.js';

const sequential = readdirSync(join(TRACES, 'sequential_traces')).filter((f) => f.endsWith('.json.gz'));

describe('sequential editing traces', () => {
  it('finds the traces', () => {
    expect(sequential.length).toBeGreaterThanOrEqual(2);
  });

  for (const file of sequential) {
    it(`${file}: replay reproduces endContent, and the encoding round-trips`, () => {
      const trace = loadTrace<SequentialTrace>(join('sequential_traces', file));
      const doc = new Text('a');
      doc.insert(0, trace.startContent);
      for (const txn of trace.txns) {
        for (const [pos, del, ins] of txn.patches) {
          if (del > 0) doc.delete(pos, del);
          if (ins.length > 0) doc.insert(pos, ins);
        }
      }
      expect(doc.length).toBe(trace.endContent.length);
      expect(doc.toString()).toBe(trace.endContent);
      const copy = Text.decode(doc.encode(), 'b');
      expect(copy.toString()).toBe(trace.endContent);
      expect(copy.version).toEqual(doc.version);
      expect(copy.encode()).toEqual(doc.encode());
    });
  }
});

describe('concurrent editing trace', () => {
  it('friendsforever: one replica per agent, merging at the recorded points, converges', () => {
    const trace = loadTrace<ConcurrentTrace>('concurrent_traces/friendsforever.json.gz');
    const replicas = Array.from({ length: trace.numAgents }, (_, i) => new Text(`agent${i}`));
    // Each transaction's own update, and which transactions each replica has applied: a replica
    // applies exactly the history of a transaction's parents before making its edits.
    const updates: Uint8Array[] = [];
    const applied = replicas.map(() => new Uint8Array(trace.txns.length));
    trace.txns.forEach((txn, i) => {
      const me = replicas[txn.agent]!;
      const seen = applied[txn.agent]!;
      const stack = [...txn.parents];
      const order: number[] = [];
      while (stack.length > 0) {
        const p = stack[stack.length - 1]!;
        if (seen[p] === 1) {
          stack.pop();
          continue;
        }
        const missing = trace.txns[p]!.parents.filter((q) => seen[q] !== 1);
        if (missing.length > 0 && seen[p] !== 2) {
          seen[p] = 2;
          stack.push(...missing);
          continue;
        }
        stack.pop();
        seen[p] = 1;
        order.push(p);
      }
      for (const p of order) me.applyUpdate(updates[p]!);
      const before = me.version;
      for (const [pos, del, ins] of txn.patches) {
        if (del > 0) me.delete(pos, del);
        if (ins.length > 0) me.insert(pos, ins);
      }
      updates[i] = me.encodeSince(before);
      seen[i] = 1;
    });
    for (const r of replicas) for (const o of replicas) if (r !== o) r.merge(o);
    const texts = replicas.map((r) => r.toString());
    for (const t of texts) expect(t).toBe(texts[0]);
    expect(texts[0]).toBe(trace.endContent);
  });
});
