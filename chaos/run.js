#!/usr/bin/env node
/**
 * `npm run chaos -- [SEED] [--short]`: the chaos suite (issue 13). See chaos/README.md.
 *
 * Prints the seed first and, as its very last line,
 * `chaos: seed=… clients=… writes=… acked=… server_kills=… partitions=… lost=… diverged=…`;
 * exits non-zero when anything was lost or diverged, or the replicas did not converge in time.
 */
import { rmSync } from 'node:fs';
import { runEngine } from './engineRun.js';
import { parseOptions } from './options.js';
import { Random } from './random.js';

const o = parseOptions(process.argv.slice(2));
const started = Date.now();
const deadline = started + o.budgetMs;
const replay = `npm run chaos -- ${o.seed}${o.short ? ' --short' : ''}`;
console.log(`chaos: seed=${o.seed} (replay: ${replay}) engines=${o.engines.join('+')} clients=${o.clients}`);
if (o.without.length > 0)
  console.log(`chaos: INCOMPLETE RUN for diagnosis — faults left out: ${o.without.join(', ')}`);

/** @type {Array<() => Promise<void>>} */
const cleanups = [];
const say = (/** @type {string} */ line) => console.log(line);

/** @param {{ seed: number; clients: number; writes: number; acked: number; serverKills: number; partitions: number; lost: number; diverged: number }} t */
const finalLine = (t) =>
  `chaos: seed=${t.seed} clients=${t.clients} writes=${t.writes} acked=${t.acked} server_kills=${t.serverKills} partitions=${t.partitions} lost=${t.lost} diverged=${t.diverged}`;

const total = {
  seed: o.seed,
  clients: o.clients,
  writes: 0,
  acked: 0,
  serverKills: 0,
  partitions: 0,
  lost: 0,
  diverged: 0,
};
let failed = false;

// The hard budget: whatever is running, report and fail (a hang is a failure, never a pass).
const watchdog = setTimeout(() => {
  console.log(`FAIL: the run exceeded its budget of ${o.budgetMs / 1000} s`);
  void Promise.race([Promise.all(cleanups.map((c) => c().catch(() => undefined))), sleep(10_000)]).then(
    () => {
      console.log(finalLine({ ...total, diverged: Math.max(total.diverged, 1) }));
      process.exit(1);
    },
  );
}, o.budgetMs + 1000);

/** @param {number} ms */
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

const rng = new Random(o.seed);
for (const [k, engine] of o.engines.entries()) {
  let r;
  try {
    r = await runEngine(engine, o, rng.fork(k), {
      deadline: k === o.engines.length - 1 ? deadline : started + ((k + 1) * o.budgetMs) / o.engines.length,
      say,
      registerCleanup: (fn) => cleanups.push(fn),
    });
  } catch (e) {
    console.log(
      `FAIL (${engine}): the run itself failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    failed = true;
    continue;
  }
  total.writes += r.writes;
  total.acked += r.acked;
  total.serverKills += r.serverKills;
  total.partitions += r.partitions;
  total.lost += r.lost.length;
  total.diverged += r.divergedDocs;
  const f = r.faults;
  console.log(
    `${engine}: writes=${r.writes} (announced ${r.intents}, durable ${r.durable}) acked=${r.acked} ` +
      `required=${r.requiredWrites} server_kills=${r.serverKills} client_kills=${r.clientKills} ` +
      `cuts=${f['cut']} blackholes=${f['blackhole']} delays=${f['delay']} resets=${f['drop']} ` +
      `rejected=${r.rejected} unmapped_acks=${r.unmappedAcks} converged=${r.converged} in ${(r.convergeMs / 1000).toFixed(1)} s`,
  );
  console.log(`${engine}: restore from backup mid-run: ${r.restore}`);
  const lostAcked = r.lost.filter((l) => l.acked).length;
  if (r.lost.length > 0)
    console.log(
      `${engine}: lost ${r.lost.length} write(s): ${lostAcked} acknowledged by the server, ` +
        `${r.lost.length - lostAcked} durable on their device but never acknowledged`,
    );
  for (const l of [...r.lost].sort((a, b) => Number(b.acked) - Number(a.acked)).slice(0, 20))
    console.log(`${engine}: LOST${l.acked ? ' (acknowledged)' : ''} ${l.text}`);
  for (const d of r.diverged.slice(0, 20)) console.log(`${engine}: DIVERGED ${d}`);
  for (const e of r.errors.slice(0, 10)) console.log(`${engine}: ERROR ${e}`);
  const bad =
    r.lost.length > 0 ||
    r.divergedDocs > 0 ||
    !r.converged ||
    r.errors.length > 0 ||
    r.restore.startsWith('FAILED');
  if (bad) {
    failed = true;
    console.log(`${engine}: FAIL — run directory kept: ${r.dir}`);
  } else if (!o.keep) rmSync(r.dir, { recursive: true, force: true });
  else console.log(`${engine}: run directory kept: ${r.dir}`);
}

clearTimeout(watchdog);
if (failed && total.lost === 0 && total.diverged === 0)
  console.log('chaos: FAILED (see above) although nothing was lost or diverged');
console.log(finalLine(total));
process.exit(failed ? 1 : 0);
