import type { LwwState } from '../crdt/lww.js';
import { EMPTY, emptyDoc, type DocState } from '../document/docState.js';
import { cloneField, kindOfDef, kindOfState, validateFieldDelta } from '../document/fields.js';
import { readRegister, registerNames, takeField, putField, writeRegister } from '../document/registers.js';
import type { Change } from '../change/change.js';
import { DELETED_KEY } from '../change/change.js';
import { convertValue, hiddenKey, isHiddenKey } from './migrationSteps.js';
import type { FieldDef, MigrationStep, TypeDef } from './typeDef.js';

/**
 * Executes migration steps on the two things that carry field data: document states and change
 * ops. Both go through the same moves (rename, hide, convert values), which is what makes
 * "upgrade the document, then apply the upgraded change" equal to "apply, then upgrade" — so
 * replicas that upgrade at different times still converge. Nothing is ever deleted: removed,
 * retyped and re-policied fields keep their data under a hidden key (`$h:<version>:<field>`).
 */
interface Fields {
  take(name: string): unknown;
  put(name: string, x: unknown): void;
  names(): string[];
}

function docFields(doc: DocState): Fields {
  return {
    take: (name) => takeField(doc, name),
    put: (name, x) => putField(doc, name, x),
    names: () => [...registerNames(doc), ...Object.keys(doc.fields)],
  };
}

function opsFields(ops: Record<string, unknown>): Fields {
  return {
    take(name) {
      const x = ops[name];
      delete ops[name];
      return x;
    },
    put(name, x) {
      if (x !== undefined) ops[name] = x;
    },
    names: () => Object.keys(ops).filter((k) => k !== DELETED_KEY),
  };
}

/** Converts every value of a register state or register delta; anything else is returned as is. */
function convertRegister(x: unknown, step: MigrationStep & { op: 'changeType' }): unknown {
  if (typeof x !== 'object' || x === null || (x as { k?: unknown }).k !== undefined) return x;
  const r = x as LwwState & { h?: { v: unknown; s: string }[] };
  const out: Record<string, unknown> = { ...r };
  if ('v' in r && r.v !== undefined) out.v = convertValue(step.map, r.v);
  if (r.h) out.h = r.h.map((e) => ({ v: convertValue(step.map, e.v), s: e.s }));
  if (out.v === undefined) delete out.v;
  return out;
}

/** Applies the steps of version `version` (forward). */
function forward(f: Fields, steps: readonly MigrationStep[], version: number): void {
  for (const step of steps) {
    switch (step.op) {
      case 'addField':
        break;
      case 'renameField':
        f.put(step.to, f.take(step.from));
        break;
      case 'removeField':
      case 'changeMerge':
        f.put(hiddenKey(version, step.field), f.take(step.field));
        break;
      case 'changeType': {
        const x = f.take(step.field);
        if (x === undefined) break;
        f.put(hiddenKey(version, step.field), x);
        f.put(step.field, convertRegister(x, step));
        break;
      }
    }
  }
}

/** Undoes the steps of version `version` as far as data allows (renames back, hidden data back). */
function inverse(f: Fields, steps: readonly MigrationStep[], version: number): void {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as MigrationStep;
    if (step.op === 'renameField') f.put(step.from, f.take(step.to));
    else if (step.op === 'removeField') f.put(step.field, f.take(hiddenKey(version, step.field)));
    // addField, changeType, changeMerge: the data stays where it is; `hideMisfits` decides.
  }
}

/** Moves what the definition cannot hold (unknown fields, other policies, invalid values) under a hidden key. */
function hideMisfits(f: Fields, def: TypeDef, isDelta: boolean, current: (name: string) => unknown): void {
  for (const name of f.names()) {
    if (isHiddenKey(name)) continue;
    const fd: FieldDef | undefined = def.fields[name];
    const x = f.take(name);
    let fits = fd !== undefined;
    if (fits && isDelta) {
      try {
        validateFieldDelta(x, fd, name, current(name));
      } catch {
        fits = false;
      }
    } else if (fits) fits = kindOfState(x) === kindOfDef(fd as FieldDef);
    f.put(fits ? name : hiddenKey(def.version, name), x);
  }
}

/** A copy of a document that shares no mutable state with it. */
export function copyDoc(doc: DocState): DocState {
  const out = emptyDoc(doc.id, doc.type, doc.v);
  for (const name of registerNames(doc)) writeRegister(out, name, readRegister(doc, name) as LwwState);
  if (doc.fields !== EMPTY) {
    out.fields = {};
    for (const key in doc.fields) out.fields[key] = cloneField(doc.fields[key]);
  }
  out.deleted = doc.deleted;
  return out;
}

/**
 * Upgrades a document along `path` (the definitions of versions doc.v+1 .. target, in order).
 * Pure: returns a new state. Fields the new version does not declare are kept as they are.
 */
export function upgradeDocState(doc: DocState, path: readonly TypeDef[]): DocState {
  const out = copyDoc(doc);
  const f = docFields(out);
  for (const def of path) {
    if (def.version <= out.v) continue;
    forward(f, (def.migrations ?? []) as MigrationStep[], def.version);
    out.v = def.version;
  }
  return out;
}

/** Upgrades a change along `path`; id and stamp are unchanged, so it stays idempotent. */
export function upgradeChangeOps(change: Change, path: readonly TypeDef[]): Change {
  const ops: Record<string, unknown> = { ...change.ops };
  const f = opsFields(ops);
  let v = change.v;
  for (const def of path) {
    if (def.version <= v) continue;
    forward(f, (def.migrations ?? []) as MigrationStep[], def.version);
    v = def.version;
  }
  return { id: change.id, doc: change.doc, type: change.type, v, stamp: change.stamp, ops };
}

/**
 * Re-expresses a change written under `from` (a losing definition of some version) in terms of
 * `to` (the chosen definition of the same version): undo `from`'s steps, redo `to`'s, hide
 * anything `to` cannot hold.
 */
export function translateChangeOps(change: Change, from: TypeDef, to: TypeDef): Change {
  const ops: Record<string, unknown> = { ...change.ops };
  const f = opsFields(ops);
  inverse(f, (from.migrations ?? []) as MigrationStep[], from.version);
  forward(f, (to.migrations ?? []) as MigrationStep[], to.version);
  hideMisfits(f, to, true, () => undefined);
  return { id: change.id, doc: change.doc, type: change.type, v: change.v, stamp: change.stamp, ops };
}

/** The document counterpart of {@link translateChangeOps}. Pure. */
export function translateDocState(doc: DocState, from: TypeDef, to: TypeDef): DocState {
  const out = copyDoc(doc);
  const f = docFields(out);
  inverse(f, (from.migrations ?? []) as MigrationStep[], from.version);
  forward(f, (to.migrations ?? []) as MigrationStep[], to.version);
  hideMisfits(f, to, false, () => undefined);
  return out;
}
