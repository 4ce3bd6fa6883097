import type { Stamp } from '../clock/stamp.js';
import { mergeLww, type LwwState } from '../crdt/lww.js';
import { EMPTY, UNSET, type DocState, type RegisterExtra } from './docState.js';
import { kindOfState, mergeField, type FieldState } from './fields.js';
import { lwwKind } from './kinds/lwwKind.js';

/**
 * Access to the column-stored top-level registers of a {@link DocState}. Reading builds an
 * `LwwState` on demand (cold paths: merge, JSON, conflicts); the bulk path writes the columns
 * directly without allocating a register object.
 */

/**
 * The record of register values. A class, not `{}`: V8's in-object slack tracking then sizes its
 * instances to the number of registers documents really have, so the values sit in the object
 * itself instead of in a separately allocated property array (about 40 bytes less per document).
 */
class Registers {
  [name: string]: unknown;
}

/** A copy of a register record (same class, so it keeps the compact layout); cleared entries dropped. */
export function copyRegisters(r: Record<string, unknown>): Record<string, unknown> {
  const out = new Registers();
  for (const name in r) if (r[name] !== undefined) out[name] = r[name];
  return out;
}

/** Stamp of register `name`, or undefined if the document has no such register. */
export function registerStamp(doc: DocState, name: string): Stamp | undefined {
  if (doc.r[name] === undefined) return undefined;
  return doc.t[name] ?? doc.s;
}

/** The register `name` as an `LwwState`, or undefined. */
export function readRegister(doc: DocState, name: string): LwwState | undefined {
  const raw = doc.r[name];
  if (raw === undefined) return undefined;
  const out: LwwState = { v: raw === UNSET ? undefined : raw, s: doc.t[name] ?? doc.s };
  const x = doc.x[name];
  if (x !== undefined) {
    if (x.p !== undefined) out.p = x.p;
    if (x.h !== undefined) out.h = x.h;
  }
  return out;
}

/** Writes a register's winner value and stamp (no history). The hot path of every write. */
export function writeRegisterValue(doc: DocState, name: string, value: unknown, stamp: Stamp): void {
  if (doc.r === EMPTY) doc.r = new Registers();
  doc.r[name] = value === undefined ? UNSET : value;
  if (doc.s === '') doc.s = stamp;
  if (stamp === doc.s) {
    if (doc.t !== EMPTY && doc.t[name] !== undefined) doc.t[name] = undefined as unknown as Stamp;
  } else {
    if (doc.t === EMPTY) doc.t = {};
    doc.t[name] = stamp;
  }
}

/** Writes a whole register state (winner, `p`, history). */
export function writeRegister(doc: DocState, name: string, state: LwwState): void {
  writeRegisterValue(doc, name, state.v, state.s);
  if (state.p !== undefined || state.h !== undefined) {
    if (doc.x === EMPTY) doc.x = {};
    doc.x[name] =
      state.h === undefined
        ? { p: state.p }
        : state.p === undefined
          ? { h: state.h }
          : { p: state.p, h: state.h };
  } else if (doc.x[name] !== undefined) {
    doc.x[name] = undefined as unknown as RegisterExtra;
  }
}

/** Joins `incoming` into register `name`, with a fast path when `incoming` simply wins. */
export function joinRegister(doc: DocState, name: string, incoming: LwwState): void {
  const raw = doc.r[name];
  if (raw === undefined) {
    if (incoming.p === undefined && incoming.h === undefined)
      writeRegisterValue(doc, name, incoming.v, incoming.s);
    else writeRegister(doc, name, incoming);
    return;
  }
  writeRegister(doc, name, mergeLww(readRegister(doc, name) as LwwState, incoming));
}

/** Names of the registers of a document. */
export function registerNames(doc: DocState): string[] {
  const out: string[] = [];
  for (const name in doc.r) if (doc.r[name] !== undefined) out.push(name);
  return out;
}

/** The state of top-level field `name` (a register is read into an `LwwState`). */
export function currentField(doc: DocState, name: string): FieldState {
  return doc.fields[name] ?? readRegister(doc, name);
}

/**
 * Removes field `name` from the document and returns its state (used by migrations). Hidden and
 * other non-register states live in `fields`; registers are read out of the columns.
 */
export function takeField(doc: DocState, name: string): FieldState {
  const f = doc.fields[name];
  if (f !== undefined) {
    const rest: Record<string, FieldState> = {};
    for (const key in doc.fields) if (key !== name) rest[key] = doc.fields[key];
    doc.fields = rest;
    return f;
  }
  const reg = readRegister(doc, name);
  if (reg === undefined) return undefined;
  doc.r[name] = undefined;
  if (doc.t[name] !== undefined) doc.t[name] = undefined as unknown as Stamp;
  if (doc.x[name] !== undefined) doc.x[name] = undefined as unknown as RegisterExtra;
  return reg;
}

/**
 * Joins `state` into field `name` (migrations moving data). Registers of ordinary fields go to
 * the columns; anything under a `$` key (hidden data) is kept in `fields`.
 */
export function putField(doc: DocState, name: string, state: FieldState): void {
  if (state === undefined) return;
  const existing = currentField(doc, name);
  const merged = existing === undefined ? state : mergeField(existing, state, name);
  if (kindOfState(merged) === lwwKind && name.charCodeAt(0) !== 36) {
    writeRegister(doc, name, merged as LwwState);
    return;
  }
  if (doc.fields === EMPTY) doc.fields = {};
  doc.fields[name] = merged;
}
