import fc from 'fast-check';
import { applyChange } from '../../src/change/applyChange.js';
import type { Change } from '../../src/change/change.js';
import { createChange } from '../../src/change/createChange.js';
import { HybridLogicalClock } from '../../src/clock/hybridLogicalClock.js';
import type { DocState } from '../../src/document/docState.js';
import { intentArb, realizeAll, WorkOrder, type IntentTemplate } from './workOrder.js';

/** One step of a simulated network of replicas. */
export type Step =
  | { kind: 'write'; replica: number; intents: IntentTemplate[] }
  | { kind: 'deliver'; pick: number; keep: boolean }
  | { kind: 'partition'; replica: number; offline: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'skew'; replica: number; ms: number };

/** Random scripts: writes, deliveries (with duplication), partitions, time and clock skew. */
export function scriptArb(
  replicas: number,
  maxSteps = 40,
): fc.Arbitrary<{ steps: Step[]; finalOrder: number[] }> {
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('write' as const),
        replica: fc.nat(replicas - 1),
        intents: fc.array(intentArb, { minLength: 1, maxLength: 3 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), keep: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('partition' as const),
        replica: fc.nat(replicas - 1),
        offline: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('skew' as const),
        replica: fc.nat(replicas - 1),
        ms: fc.integer({ min: -5000, max: 5000 }),
      }),
    },
  );
  return fc.record({
    steps: fc.array(step, { minLength: 1, maxLength: maxSteps }),
    finalOrder: fc.array(fc.nat(), { maxLength: 400 }),
  });
}

interface Replica {
  name: string;
  clock: HybridLogicalClock;
  skew: number;
  doc: DocState | undefined;
  offline: boolean;
}

/** Result of a run: every replica's final state and every change made. */
export interface SimulationResult {
  docs: DocState[];
  changes: Change[];
}

/**
 * Runs a script: replicas write (applying locally first), messages are delivered in random
 * order, some twice, some late, none to or from an offline replica; at the end everyone comes
 * online and every pending message is delivered (in an order drawn from `finalOrder`).
 */
export function runSimulation(
  replicaCount: number,
  script: { steps: Step[]; finalOrder: number[] },
  docId = 'wo42',
): SimulationResult {
  let now = 1_764_000_000_000;
  const replicas: Replica[] = [];
  for (let i = 0; i < replicaCount; i++) {
    const r: Replica = {
      name: `r${i}`,
      clock: undefined as unknown as HybridLogicalClock,
      skew: 0,
      doc: undefined,
      offline: false,
    };
    r.clock = new HybridLogicalClock({ replica: r.name, now: () => now + r.skew });
    replicas.push(r);
  }
  const queue: { to: number; from: number; change: Change }[] = [];
  const changes: Change[] = [];
  const deliver = (i: number, keep: boolean): void => {
    const m = queue[i];
    if (m === undefined) return;
    if (!keep) queue.splice(i, 1);
    const r = replicas[m.to] as Replica;
    r.clock.receive(m.change.stamp);
    r.doc = applyChange(r.doc, m.change, WorkOrder);
  };
  for (const step of script.steps) {
    switch (step.kind) {
      case 'write': {
        const r = replicas[step.replica] as Replica;
        const intents = realizeAll(step.intents, r.doc, r.name);
        const change = createChange({ clock: r.clock, type: WorkOrder, doc: r.doc, docId, intents });
        r.doc = applyChange(r.doc, change, WorkOrder);
        changes.push(change);
        for (let to = 0; to < replicaCount; to++)
          if (to !== step.replica) queue.push({ to, from: step.replica, change });
        break;
      }
      case 'deliver': {
        const ready = queue
          .map((m, i) => ({ m, i }))
          .filter(({ m }) => !replicas[m.to]?.offline && !replicas[m.from]?.offline);
        const pick = ready.length ? ready[step.pick % ready.length] : undefined;
        if (pick) deliver(pick.i, step.keep);
        break;
      }
      case 'partition':
        (replicas[step.replica] as Replica).offline = step.offline;
        break;
      case 'tick':
        now += step.ms;
        break;
      case 'skew':
        (replicas[step.replica] as Replica).skew = step.ms;
        break;
    }
  }
  let k = 0;
  while (queue.length > 0) deliver((script.finalOrder[k++] ?? 0) % queue.length, false);
  return { docs: replicas.map((r) => r.doc).filter((d): d is DocState => d !== undefined), changes };
}
