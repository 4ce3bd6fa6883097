import type { TypeDef } from '@fieldsync/core';

/** The tenant every demo user belongs to. */
export const DEMO_TENANT = 'demo';

export type DemoRole = 'technician' | 'dispatcher' | 'admin';

export interface DemoUser {
  id: string;
  name: string;
  role: DemoRole;
}

/** Who can sign in on a demo server (apps/workorders shows this list on its sign-in screen). */
export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'anna', name: 'Anna Berg', role: 'technician' },
  { id: 'ben', name: 'Ben Okafor', role: 'technician' },
  { id: 'carla', name: 'Carla Reyes', role: 'technician' },
  { id: 'dora', name: 'Dora Lind', role: 'dispatcher' },
  { id: 'adam', name: 'Adam Novak', role: 'admin' },
];

const address: TypeDef['fields'] = {
  street: { type: 'string' },
  city: { type: 'string' },
  zip: { type: 'string' },
};

/** The demo types, as agreed in /work/wt/APP-12.md ("Demo types"). */
export const DEMO_TYPES: readonly TypeDef[] = [
  {
    name: 'site',
    version: 1,
    fields: {
      name: { type: 'string', required: true },
      address: { type: 'object', fields: address },
      notes: { type: 'text' },
    },
  },
  {
    name: 'person',
    version: 1,
    fields: {
      name: { type: 'string', required: true },
      role: { type: 'enum', values: ['technician', 'dispatcher', 'admin'] },
      userId: { type: 'string' },
    },
  },
  {
    name: 'workOrder',
    version: 1,
    fields: {
      number: { type: 'number', required: true },
      title: { type: 'string', required: true },
      status: {
        type: 'enum',
        values: ['open', 'scheduled', 'in_progress', 'on_hold', 'done', 'cancelled'],
        default: 'open',
      },
      priority: { type: 'enum', values: ['low', 'normal', 'high', 'urgent'], default: 'normal' },
      site: { type: 'reference', to: 'site' },
      assignee: { type: 'reference', to: 'person' },
      address: { type: 'object', fields: address },
      notes: { type: 'text' },
      checklist: {
        type: 'list',
        of: { type: 'object', fields: { label: { type: 'string' }, done: { type: 'boolean' } } },
      },
      history: {
        type: 'log',
        of: {
          type: 'object',
          fields: { at: { type: 'date' }, by: { type: 'string' }, text: { type: 'string' } },
        },
      },
      partsUsed: { type: 'counter' },
      tags: { type: 'set', of: { type: 'string' } },
      due: { type: 'date' },
    },
  },
];

export interface DemoSite {
  id: string;
  name: string;
  address: { street: string; city: string; zip: string };
}

export const DEMO_SITES: readonly DemoSite[] = [
  {
    id: 'site-1',
    name: 'Harbour Pumping Station',
    address: { street: 'Kajgatan 4', city: 'Malmö', zip: '211 20' },
  },
  { id: 'site-2', name: 'North Depot', address: { street: 'Industrivägen 12', city: 'Lund', zip: '224 78' } },
  {
    id: 'site-3',
    name: 'City Hospital, Block C',
    address: { street: 'Sjukhusgatan 1', city: 'Malmö', zip: '214 28' },
  },
  {
    id: 'site-4',
    name: 'Westfield Mall',
    address: { street: 'Storgatan 88', city: 'Helsingborg', zip: '252 21' },
  },
  { id: 'site-5', name: 'Riverside School', address: { street: 'Åvägen 3', city: 'Lund', zip: '223 50' } },
  {
    id: 'site-6',
    name: 'Airport Hangar 2',
    address: { street: 'Flygplatsvägen 9', city: 'Sturup', zip: '230 32' },
  },
];

const TITLES = [
  'Replace pump seal',
  'Inspect fire doors',
  'Service air handling unit',
  'Fix leaking valve',
  'Calibrate pressure sensor',
  'Replace emergency lighting',
  'Clean drainage pit',
  'Repair loading dock door',
  'Annual boiler inspection',
  'Check backup generator',
];
const STATUSES = ['open', 'scheduled', 'in_progress', 'on_hold', 'done', 'open', 'scheduled'] as const;
const PRIORITIES = ['normal', 'low', 'high', 'normal', 'urgent'] as const;
const ASSIGNEES = ['anna', 'ben', 'carla'] as const;

export interface DemoWorkOrder {
  id: string;
  number: number;
  title: string;
  status: string;
  priority: string;
  site: string;
  assignee: string;
  address: DemoSite['address'];
  notes: string;
  checklist: Array<{ label: string; done: boolean }>;
  history: Array<{ at: string; by: string; text: string }>;
  partsUsed: number;
  tags: string[];
  due: string;
}

/** Work-order numbers of the demo tenant: 1..50, so #42 exists. */
export const DEMO_WORK_ORDER_COUNT = 50;

/**
 * The ~50 demo work orders, generated deterministically (same input, same documents), so that
 * seeding twice writes the same changes and the second time is a no-op. #42 is the one the
 * issue's scenario is about: "Replace pump seal" at site 1, assigned to Anna.
 */
export function demoWorkOrders(): DemoWorkOrder[] {
  const out: DemoWorkOrder[] = [];
  for (let n = 1; n <= DEMO_WORK_ORDER_COUNT; n++) {
    const site = n === 42 ? DEMO_SITES[0]! : DEMO_SITES[n % DEMO_SITES.length]!;
    const title = n === 42 ? 'Replace pump seal' : TITLES[n % TITLES.length]!;
    const day = String(1 + (n % 28)).padStart(2, '0');
    out.push({
      id: `wo-${String(n).padStart(3, '0')}`,
      number: n,
      title,
      status: n === 42 ? 'open' : STATUSES[n % STATUSES.length]!,
      priority: n === 42 ? 'high' : PRIORITIES[n % PRIORITIES.length]!,
      site: site.id,
      assignee: `person-${n === 42 ? 'anna' : ASSIGNEES[n % ASSIGNEES.length]!}`,
      address: site.address,
      notes: n === 42 ? 'Seal on pump 2 weeps under load. Bring the 45 mm kit.' : '',
      checklist: [
        { label: 'Isolate and lock out', done: false },
        { label: 'Do the work', done: false },
        { label: 'Test and sign off', done: false },
      ],
      history: [{ at: `2026-11-${day}T08:00:00.000Z`, by: 'dora', text: 'Created by dispatch' }],
      partsUsed: 0,
      tags: n % 4 === 0 ? ['safety'] : [],
      due: `2026-12-${day}`,
    });
  }
  return out;
}
