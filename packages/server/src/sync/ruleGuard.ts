import type { DocView, Predicate } from '../auth/rules.js';
import type { User } from '../auth/User.js';

/** A permission rule threw instead of answering. */
export class RuleError extends Error {
  constructor(
    readonly kind: 'read' | 'write',
    readonly type: string,
    override readonly cause: unknown,
  ) {
    super(
      `the ${kind} rule of type "${type}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'RuleError';
  }
}

/** Log lines already written, by rule and message: a rule failing on every document logs once per tenant and minute. */
const logged = new Map<string, number>();
const LOG_EVERY_MS = 60_000;

function logOnce(e: RuleError, docId: string, user: User): void {
  const key = `${user.tenant}\u0000${e.kind}\u0000${e.type}\u0000${e.message}`;
  const now = Date.now();
  const last = logged.get(key);
  if (last !== undefined && now - last < LOG_EVERY_MS) return;
  if (logged.size >= 1000) logged.clear();
  logged.set(key, now);
  console.error(
    `[fieldsync] ${e.message} (document "${docId}", user "${user.id}"; ${e.kind === 'read' ? 'the document is hidden from this reader' : 'the change is rejected'})`,
  );
}

/**
 * Runs a permission rule with its failure contained to the one document it was asked about.
 *
 * Why: rules are application code (`d.owner.toLowerCase()` on a document without an owner). An
 * exception escaping into a pull page or a realtime fan-out would fail every reader of the
 * tenant on every page holding that document; contained, a throwing read rule means "not
 * visible" (fail closed) and a throwing write rule rejects that change alone, both logged.
 * Returns the rule's answer, or a {@link RuleError} when it threw.
 */
export function runRule(
  kind: 'read' | 'write',
  type: string,
  rule: Predicate,
  user: User,
  doc: DocView,
): boolean | RuleError {
  try {
    return Boolean(rule(user, doc));
  } catch (cause) {
    const e = new RuleError(kind, type, cause);
    const id = typeof doc['id'] === 'string' ? doc['id'] : '?';
    logOnce(e, id, user);
    return e;
  }
}
