import type { Database, Doc } from '@fieldsync/client';

/** Collection (= type) names of the demo tenant (APP-12.md, "Demo types"). */
export const WORK_ORDER = 'workOrder';
export const SITE = 'site';
export const PERSON = 'person';

export const STATUSES = ['open', 'scheduled', 'in_progress', 'on_hold', 'done', 'cancelled'] as const;
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;

/** "in_progress" → "In progress": enum values as people read them. */
export function humanize(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  const s = String(value).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface WorkOrder extends Doc {
  number?: number;
  title?: string;
  status?: string;
  priority?: string;
  site?: string;
  assignee?: string;
  address?: { street?: string; city?: string; zip?: string };
  notes?: string;
  checklist?: Array<{ label?: string; done?: boolean }>;
  history?: Array<{ id: string; stamp: string; value: HistoryEntry }>;
  partsUsed?: number;
  tags?: string[];
  due?: string;
}

export interface HistoryEntry {
  at?: string;
  by?: string;
  text?: string;
}

/** Escapes user text for a `$regex` search (the search is literal, case-insensitive). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A name for a referenced document (person / site), or its id when it is not known here. */
export function nameOf(docs: readonly Doc[], id: unknown): string {
  if (typeof id !== 'string' || id === '') return '—';
  const d = docs.find((x) => x.id === id) as { name?: string } | undefined;
  return d?.name ?? id;
}

/**
 * The display name of a user id as history entries store it (`by: "anna"`, like the seed): the
 * person record whose `userId` it is, else the id itself (older entries may hold a name).
 */
export function userName(people: readonly Doc[], by: unknown): string {
  if (typeof by !== 'string' || by === '') return 'unknown';
  const p = people.find((x) => (x as { userId?: unknown }).userId === by) as { name?: string } | undefined;
  return p?.name ?? by;
}

/**
 * Indexes for the list screen, made once per open: `number` ordered (the default sort comes out
 * of the index instead of sorting every work order), and hash indexes for the three filters (a
 * filtered list reads only its bucket). With 10,000 work orders this is what keeps the first list
 * screen and each filter change cheap.
 */
export function indexWorkOrders(db: Database): void {
  const c = db.collection(WORK_ORDER);
  c.createIndex('number', { kind: 'ordered' });
  for (const f of ['status', 'site', 'assignee']) c.createIndex(f);
}
