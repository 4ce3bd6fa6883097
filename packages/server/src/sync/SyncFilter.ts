import { DomainError } from './DomainError.js';
import { valueProblem } from '../validation/storableValues.js';
import { rulesFor, type DocView, type Permissions } from '../auth/rules.js';
import type { User } from '../auth/User.js';
import { runRule } from './ruleGuard.js';
import { isRecord } from '@fieldsync/core';
import { compileWhere, type WhereTest } from './whereCondition.js';

/**
 * Partial sync: what a client asked to replicate. The server's read rules are applied on top,
 * so a filter can only narrow what the user may see, never widen it.
 */
export interface SyncFilter {
  /** Only these types (undefined = all). */
  types?: readonly string[];
  /**
   * Field conditions on top-level fields, all must hold: `{ site: 's1' }`,
   * `{ site: { $in: ['s1', 's2'] } }`, `{ status: { $ne: 'closed' }, updatedAt: { $gte: t } }`
   * (operators `$eq $ne $in $nin $gt $gte $lt $lte $exists`; see `compileWhere`).
   */
  where?: Readonly<Record<string, unknown>>;
}

const TYPE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** `{ field: { $in: [values] } }` is 3 levels; values are scalars. */
const MAX_WHERE_DEPTH = 8;

/** Parses `?types=a,b&where={json}` into a filter; throws `DomainError` `bad_filter` naming the problem. */
export function parseFilter(types: string | undefined, where: string | undefined): SyncFilter {
  const filter: SyncFilter = {};
  if (types !== undefined && types !== '') {
    filter.types = types.split(',').filter((t) => t !== '');
    // Type names are identifiers (core's rule, `_types` included); anything else matches no type
    // and, as text with NUL, would fail a PostgreSQL query instead of answering 400.
    const bad = filter.types.find((t) => !TYPE_NAME.test(t));
    if (bad !== undefined)
      throw new DomainError(
        'bad_filter',
        `"types" holds ${JSON.stringify(bad)}, which is not a type name`,
        'types',
        'type-name',
      );
  }
  if (where !== undefined && where !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(where);
    } catch {
      throw new DomainError('bad_filter', '"where" is not valid JSON', 'where', 'json');
    }
    const hostile = valueProblem(parsed, 'where', MAX_WHERE_DEPTH);
    if (hostile)
      throw new DomainError(
        'bad_filter',
        `${hostile.message} (rule ${hostile.rule})`,
        hostile.path,
        hostile.rule,
      );
    if (!isRecord(parsed))
      throw new DomainError(
        'bad_filter',
        '"where" must be a JSON object of field conditions',
        'where',
        'object',
      );
    compileWhere(parsed); // validates: a bad condition is a 400 naming it
    filter.where = parsed;
  }
  return filter;
}

/** Decides, per stored document, what one reader gets: the document, a `gone` record, or nothing. */
export class Visibility {
  readonly #user: User;
  readonly #filter: SyncFilter;
  readonly #perms: Permissions | undefined;
  readonly #types: ReadonlySet<string> | undefined;
  readonly #where: WhereTest | undefined;
  /**
   * Two readers of one tenant with equal keys see exactly the same rows: the same filter and,
   * when any read rule exists, the same user (its whole JSON: id, tenant, every claim — rules are
   * pure functions of user and document, see `Predicate`). Realtime fan-out renders an event once
   * per key, so each rule still runs for every group of identical readers.
   */
  readonly key: string;

  constructor(user: User, filter: SyncFilter, perms: Permissions | undefined) {
    this.#user = user;
    this.#filter = filter;
    this.#perms = perms;
    this.#types = filter.types ? new Set(filter.types) : undefined;
    this.#where = filter.where === undefined ? undefined : compileWhere(filter.where);
    const hasReadRules = Object.values(perms?.types ?? {}).some((r) => r.read !== undefined);
    this.key = JSON.stringify([filter.types ?? null, filter.where ?? null, hasReadRules ? user : null]);
  }

  /** Whether the doc's type is replicated at all by this reader (outside: neither doc nor gone). */
  wantsType(type: string): boolean {
    return this.#types === undefined || this.#types.has(type);
  }

  /** Whether evaluating a doc needs its materialized view (skips JSON parsing when not). */
  needsView(type: string): boolean {
    return this.#filter.where !== undefined || rulesFor(this.#perms, type).read !== undefined;
  }

  /** The reader may see this doc and asked for it. `view` is parsed lazily by the caller. */
  visible(type: string, view: () => DocView): boolean {
    if (!this.wantsType(type)) return false;
    if (!this.needsView(type)) return true;
    const v = view();
    const read = rulesFor(this.#perms, type).read;
    // A read rule that throws hides the document from this reader (fail closed); see ruleGuard.
    if (read && runRule('read', type, read, this.#user, v) !== true) return false;
    return this.#where === undefined || this.#where(v);
  }
}
