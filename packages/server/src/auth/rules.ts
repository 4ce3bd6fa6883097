import type { User } from './User.js';

/** A materialized document as rules see it: `{ id, ...plain field values }`. */
export type DocView = Readonly<Record<string, unknown>>;

/**
 * A per-type predicate on the user and the document. Must be pure and fast (runs per doc per
 * event) and depend only on the user's JSON-serializable data (id, tenant, claims): realtime
 * fan-out evaluates it once per group of streams whose users serialize identically.
 */
export type Predicate = (user: User, doc: DocView) => boolean;

/**
 * Read and write rules for one type, evaluated *within* the caller's tenant (tenant isolation
 * is already enforced by storage).
 *
 * - `read` filters pull pages and SSE events; a document that stops matching is sent to the
 *   client as `gone` so it is evicted from the device.
 * - `write` must hold for the document before the change (if it exists) and after it, so a user
 *   can neither edit a document outside their scope nor move one out of / into it.
 */
export interface TypeRules {
  read?: Predicate;
  write?: Predicate;
}

export interface Permissions {
  /** Rules by type name; `'*'` applies to types without their own entry. Missing = allowed. */
  types?: Record<string, TypeRules>;
  /** Who may define or change types (the `_types` system collection). Default: everyone. */
  defineTypes?: (user: User) => boolean;
}

/** Resolves the rules of a type (own entry, else `'*'`). */
export function rulesFor(perms: Permissions | undefined, type: string): TypeRules {
  return perms?.types?.[type] ?? perms?.types?.['*'] ?? {};
}
