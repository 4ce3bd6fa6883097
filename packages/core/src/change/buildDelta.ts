import type { LwwState } from '../crdt/lww.js';
import type { ObjectState } from '../crdt/object.js';
import { setTags, type SetState } from '../crdt/orSet.js';
import { counterValue, type CounterState } from '../crdt/pnCounter.js';
import { ValidationError } from '../errors.js';
import { listKind, textKind } from '../document/kinds/sequenceKind.js';
import { joinPath, validateItem, validateValue } from '../schema/validateValue.js';
import { policyOf, type FieldDef } from '../schema/typeDef.js';
import { canonicalJson, isJson, isRecord } from '../util/json.js';

/** A delta under construction (see FieldKind). */
export type Delta = Record<string, unknown>;

function bad(path: string, rule: string, message: string): never {
  throw new ValidationError(path, rule, message);
}

/** `undefined` def = a key of a free-form object: a register holding any JSON. */
type Def = FieldDef | undefined;

function policy(def: Def): string {
  return def === undefined ? 'lww' : policyOf(def);
}

/**
 * Delta that replaces a field's value (intent `set`). `pending` is what earlier intents of the
 * same change already wrote to this field, so several intents on one field compose.
 */
export function buildSet(
  def: Def,
  current: unknown,
  pending: Delta | undefined,
  value: unknown,
  path: string,
  replica: string,
): Delta {
  if (value === undefined) return buildUnset(def, current, pending, path, replica);
  switch (policy(def)) {
    case 'lww': {
      if (def) validateValue(def, value, path);
      else if (!isJson(value)) bad(path, 'type', 'expected a JSON value');
      const seen = (current as LwwState | undefined)?.s;
      return seen === undefined ? { v: value } : { v: value, p: seen };
    }
    case 'object': {
      if (!isRecord(value)) bad(path, 'type', 'expected an object');
      const cur = current as ObjectState | undefined;
      const pf = (pending?.f ?? {}) as Record<string, Delta>;
      const f: Record<string, Delta> = { ...pf };
      for (const key in value) {
        const sub = def?.fields ? def.fields[key] : undefined;
        if (def?.fields && !sub) bad(joinPath(path, key), 'unknown-field', 'not a field of this object');
        f[key] = buildSet(sub, cur?.f[key], pf[key], value[key], joinPath(path, key), replica);
      }
      if (def?.fields) {
        for (const key in def.fields) {
          const sub = def.fields[key] as FieldDef;
          if (sub.required && value[key] === undefined && sub.default === undefined)
            bad(joinPath(path, key), 'required', 'missing required field');
        }
      }
      if (cur)
        for (const key in cur.f)
          if (!(key in value))
            f[key] = buildUnset(def?.fields?.[key], cur.f[key], pf[key], joinPath(path, key), replica);
      return { k: 'o', f };
    }
    case 'set': {
      validateValue(def as FieldDef, value, path);
      const removeAll = buildUnset(def, current, pending, path, replica);
      return { k: 's', a: unique(value as unknown[]), r: removeAll.r };
    }
    case 'counter': {
      validateValue(def as FieldDef, value, path);
      return buildInc(
        current,
        pending,
        (value as number) - counterNow(current, pending, replica),
        path,
        replica,
      );
    }
    case 'sequence': {
      validateValue(def as FieldDef, value, path);
      return (def?.type === 'text' ? textKind : listKind).replaceDelta(
        current,
        pending,
        value,
        replica,
        path,
      );
    }
    default:
      bad(path, 'append-only', 'a log cannot be replaced; append to it');
  }
}

/** Delta that clears a field (intent `unset`). */
export function buildUnset(
  def: Def,
  current: unknown,
  pending: Delta | undefined,
  path: string,
  replica: string,
): Delta {
  switch (policy(def)) {
    case 'lww': {
      if (def?.required) bad(path, 'required', 'a required field cannot be unset');
      const seen = (current as LwwState | undefined)?.s;
      return seen === undefined ? {} : { p: seen };
    }
    case 'object': {
      const cur = current as ObjectState | undefined;
      const pf = (pending?.f ?? {}) as Record<string, Delta>;
      const f: Record<string, Delta> = {};
      if (cur)
        for (const key in cur.f)
          f[key] = buildUnset(def?.fields?.[key], cur.f[key], pf[key], joinPath(path, key), replica);
      return { k: 'o', f };
    }
    case 'set': {
      const r = current ? [...setTags(current as SetState).values()].flatMap((e) => e.tags) : [];
      return { k: 's', a: [], r: r.sort() };
    }
    case 'counter':
      return buildInc(current, pending, -counterNow(current, pending, replica), path, replica);
    case 'sequence':
      return (def?.type === 'text' ? textKind : listKind).replaceDelta(
        current,
        pending,
        def?.type === 'text' ? '' : [],
        replica,
        path,
      );
    default:
      bad(path, 'append-only', 'a log cannot be cleared');
  }
}

function counterNow(current: unknown, pending: Delta | undefined, replica: string): number {
  let v = current ? counterValue(current as CounterState) : 0;
  if (pending) {
    const c = current as CounterState | undefined;
    if (pending.p !== undefined) v += (pending.p as number) - (c?.p[replica] ?? 0);
    if (pending.n !== undefined) v -= (pending.n as number) - (c?.n[replica] ?? 0);
  }
  return v;
}

/** Delta for `inc by` (counter): the writer's new totals, on top of anything pending. */
export function buildInc(
  current: unknown,
  pending: Delta | undefined,
  by: number,
  path: string,
  replica: string,
): Delta {
  if (typeof by !== 'number' || !Number.isFinite(by)) bad(path, 'type', '`by` must be a finite number');
  const c = current as CounterState | undefined;
  const out: Delta = { k: 'c' };
  if (pending?.p !== undefined) out.p = pending.p;
  if (pending?.n !== undefined) out.n = pending.n;
  if (by >= 0) out.p = ((pending?.p as number | undefined) ?? c?.p[replica] ?? 0) + by;
  else out.n = ((pending?.n as number | undefined) ?? c?.n[replica] ?? 0) - by;
  return out;
}

/** Delta for `add` (set): new tags are derived from the change's stamp when applied. */
export function buildAdd(def: FieldDef, pending: Delta | undefined, values: unknown[], path: string): Delta {
  if (!Array.isArray(values)) bad(path, 'type', '`values` must be an array');
  values.forEach((v, i) => validateItem(def, v, joinPath(path, i)));
  const a = [...((pending?.a as unknown[] | undefined) ?? []), ...values];
  return { k: 's', a: unique(a), r: (pending?.r as string[] | undefined) ?? [] };
}

/** Delta for `remove` (set): removes the tags of `values` this replica has observed, and pending adds. */
export function buildRemove(
  def: FieldDef,
  current: unknown,
  pending: Delta | undefined,
  values: unknown[],
  path: string,
): Delta {
  if (!Array.isArray(values)) bad(path, 'type', '`values` must be an array');
  values.forEach((v, i) => validateItem(def, v, joinPath(path, i)));
  const drop = new Set(values.map(canonicalJson));
  const tags = current ? setTags(current as SetState) : new Map<string, { tags: string[] }>();
  const r = new Set((pending?.r as string[] | undefined) ?? []);
  for (const key of drop) for (const t of tags.get(key)?.tags ?? []) r.add(t);
  const a = ((pending?.a as unknown[] | undefined) ?? []).filter((v) => !drop.has(canonicalJson(v)));
  return { k: 's', a, r: [...r].sort() };
}

/** Delta for `append` (log). */
export function buildAppend(
  def: FieldDef,
  pending: Delta | undefined,
  values: unknown[],
  path: string,
): Delta {
  if (!Array.isArray(values) || values.length === 0) bad(path, 'type', '`values` must be a non-empty array');
  values.forEach((v, i) => validateItem(def, v, joinPath(path, i)));
  return { k: 'l', v: [...((pending?.v as unknown[] | undefined) ?? []), ...values] };
}

function unique(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = canonicalJson(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}
