import { HybridLogicalClock, createChange, type Change, type Intent, type TypeDef } from '@fieldsync/core';
import type { User } from '../auth/User.js';
import type { ServerContext } from '../http/context.js';
import { applyPush } from '../sync/applyPush.js';
import { DEMO_SITES, DEMO_TENANT, DEMO_TYPES, DEMO_USERS, demoWorkOrders } from './demoData.js';

/**
 * The seed's changes are stamped by a clock frozen at this instant under their own replica id,
 * so every run produces byte-identical changes (same ids). The server stores a change id once:
 * seeding a second time is answered `duplicate` for every change and writes nothing. Being in
 * the past, every edit a user makes wins over the seeded value.
 */
const SEED_TIME = Date.UTC(2026, 10, 1, 8, 0, 0);
const SEED_REPLICA = 'demo-seed';

const seeder: User = { id: 'demo-seed', tenant: DEMO_TENANT, claims: { role: 'admin' } };

/** One insert change with intents for every field (logs are appended, the rest set). */
function insert(
  clock: HybridLogicalClock,
  type: TypeDef,
  id: string,
  values: Record<string, unknown>,
): Change {
  const intents: Intent[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (name === 'id') continue;
    const kind = type.fields[name]?.type;
    if (kind === 'log') intents.push({ op: 'append', path: [name], values: value as unknown[] });
    else if (kind === 'set') intents.push({ op: 'add', path: [name], values: value as unknown[] });
    else if (kind === 'counter') intents.push({ op: 'inc', path: [name], by: value as number });
    else intents.push({ op: 'set', path: [name], value });
  }
  return createChange({ clock, type, doc: undefined, docId: id, intents });
}

/** Every change of the demo tenant's data, deterministic (see SEED_TIME). */
export function demoChanges(): Change[] {
  const clock = new HybridLogicalClock({ replica: SEED_REPLICA, now: () => SEED_TIME });
  const type = (name: string): TypeDef => DEMO_TYPES.find((t) => t.name === name) as TypeDef;
  const changes: Change[] = [];
  for (const s of DEMO_SITES)
    changes.push(insert(clock, type('site'), s.id, { name: s.name, address: s.address }));
  for (const u of DEMO_USERS)
    changes.push(
      insert(clock, type('person'), `person-${u.id}`, { name: u.name, role: u.role, userId: u.id }),
    );
  for (const w of demoWorkOrders()) {
    const { partsUsed, tags, ...rest } = w;
    // Empty sets and a zero counter are the fields' empty values: no op needed.
    changes.push(
      insert(clock, type('workOrder'), w.id, {
        ...rest,
        ...(tags.length ? { tags } : {}),
        ...(partsUsed ? { partsUsed } : {}),
      }),
    );
  }
  return changes;
}

/**
 * Seeds tenant `demo`: the demo types, then sites, people and ~50 work orders, through the same
 * validation and storage path as a client's push. Idempotent: a type already known is a no-op,
 * and the changes are identical on every run, so the second run stores nothing (see SEED_TIME).
 * Returns how many changes were newly stored.
 */
export async function seedDemo(ctx: ServerContext): Promise<number> {
  for (const def of DEMO_TYPES) await ctx.types.define(DEMO_TENANT, def, true);
  const changes = demoChanges();
  let stored = 0;
  for (let i = 0; i < changes.length; i += ctx.limits.maxBatch) {
    const { results } = await applyPush(ctx, seeder, changes.slice(i, i + ctx.limits.maxBatch));
    for (const r of results) {
      if (r.status === 'rejected') throw new Error(`demo seed: change ${r.id} rejected: ${r.error?.message}`);
      if (r.status === 'ok') stored++;
    }
  }
  return stored;
}
