/** Reads one plain row as a document: `cells[base + cols[i]]` is the value of `keys[i]`. */
export type RowReader = (id: string, cells: readonly unknown[], base: number) => Record<string, unknown>;

/** How plain rows are read at the type's current version: per declared field, its column and default. */
export interface ReadPlan {
  version: number;
  /** Number of columns when the plan was made (a new column may hold a declared field). */
  columns: number;
  /** The declared fields, in the order `read` and `fill` write them. */
  keys: string[];
  read: RowReader;
  fill: RowFiller;
}

/** Overwrites `view`'s fields with one plain row's (a field with no value and no default: undefined). */
export type RowFiller = (view: Record<string, unknown>, cells: readonly unknown[], base: number) => void;

/**
 * A reader for one type's fields, as `materialize(state, type)` shows a plain row: the id, each
 * declared field's value in the type's order (`order[i]`, when given, puts an object value's
 * keys in its sub-fields' order), or a copy of its default (`defaults[i]`: the declared default or the
 * field's typed empty value), or nothing. Compiled to straight-line code
 * with constant property names when the page allows it: a store with a fixed name is
 * monomorphic, where one store in a loop sees every name and goes megamorphic, which made
 * building a document three to four times slower than finding its row. Under a Content Security
 * Policy without `unsafe-eval` the generic loop is used instead (same result).
 */
export function compileReader(
  keys: readonly string[],
  cols: readonly number[],
  defaults: readonly unknown[],
  order: readonly (((v: unknown) => unknown) | undefined)[] = [],
): RowReader {
  if (evalBlocked) return (id, cells, base) => readGeneric(keys, cols, defaults, order, id, cells, base);
  try {
    // Fast path: every field that may be absent is present, so the document is one object
    // literal (all properties in the object itself, one allocation). Otherwise added one by one.
    let load = '';
    const required: string[] = [];
    const literal: string[] = ['id'];
    let slow = 'const o = { id };\n';
    keys.forEach((key, i) => {
      const name = JSON.stringify(key);
      const col = cols[i] as number;
      const copy = fallbackCode(defaults[i], i);
      const hasDefault = defaults[i] !== undefined;
      if (col >= 0) {
        load +=
          order[i] === undefined
            ? `const v${i} = cells[base + ${col}];\n`
            : `const v${i} = order[${i}](cells[base + ${col}]);\n`;
        if (!hasDefault) required.push(`v${i} !== undefined`);
        literal.push(`${name}: ${hasDefault ? `v${i} !== undefined ? v${i} : ${copy}` : `v${i}`}`);
        slow += `if (v${i} !== undefined) o[${name}] = v${i};${hasDefault ? ` else o[${name}] = ${copy};` : ''}\n`;
      } else if (hasDefault) {
        literal.push(`${name}: ${copy}`);
        slow += `o[${name}] = ${copy};\n`;
      }
    });
    const fast = `return { ${literal.join(', ')} };`;
    const body = `${load}${required.length === 0 ? fast : `if (${required.join(' && ')}) ${fast}\n${slow}return o;`}`;
    // Property names are JSON-quoted string literals; no other input reaches the code.
    const make = new Function(
      'defaults',
      'order',
      `return function readRow(id, cells, base) {\n${body}\n};`,
    ) as (d: readonly unknown[], o: readonly (((v: unknown) => unknown) | undefined)[]) => RowReader;
    return make(defaults, order);
  } catch {
    evalBlocked = true;
    return (id, cells, base) => readGeneric(keys, cols, defaults, order, id, cells, base);
  }
}

/**
 * Code for a fresh copy of a default in a compiled reader: a literal for the common ones (the
 * typed empty values `[]`, `''`, `0` of collection, text and counter fields, and primitive
 * defaults), which costs next to nothing per read; `structuredClone` for the rest.
 */
function fallbackCode(d: unknown, i: number): string {
  if (typeof d === 'string' || typeof d === 'boolean' || d === null) return JSON.stringify(d);
  if (typeof d === 'number' && Number.isFinite(d) && !Object.is(d, -0)) return JSON.stringify(d);
  if (Array.isArray(d) && d.length === 0) return '[]';
  return `structuredClone(defaults[${i}])`;
}

/** Set once `new Function` was refused (CSP): not tried again, so the browser reports it once. */
let evalBlocked = false;

/** Like {@link compileReader}, writing into a reused object (index builds scan every row). */
export function compileFiller(
  keys: readonly string[],
  cols: readonly number[],
  defaults: readonly unknown[],
): RowFiller {
  try {
    if (evalBlocked) throw new EvalError('blocked');
    let body = 'let v;\n';
    keys.forEach((key, i) => {
      const name = JSON.stringify(key);
      const col = cols[i] as number;
      const fallback = defaults[i] === undefined ? 'undefined' : fallbackCode(defaults[i], i);
      body +=
        col < 0
          ? `o[${name}] = ${fallback};\n`
          : `v = cells[base + ${col}]; o[${name}] = v !== undefined ? v : ${fallback};\n`;
    });
    // Property names are JSON-quoted string literals; no other input reaches the code.
    const make = new Function('defaults', `return function fillRow(o, cells, base) {\n${body}\n};`) as (
      d: readonly unknown[],
    ) => RowFiller;
    return make(defaults);
  } catch {
    evalBlocked = true;
    return (view, cells, base) => {
      for (let i = 0; i < keys.length; i++) {
        const col = cols[i] as number;
        const v = col < 0 ? undefined : cells[base + col];
        view[keys[i] as string] =
          v !== undefined || defaults[i] === undefined ? v : structuredClone(defaults[i]);
      }
    };
  }
}

function readGeneric(
  keys: readonly string[],
  cols: readonly number[],
  defaults: readonly unknown[],
  order: readonly (((v: unknown) => unknown) | undefined)[],
  id: string,
  cells: readonly unknown[],
  base: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id };
  for (let i = 0; i < keys.length; i++) {
    const col = cols[i] as number;
    const raw = col < 0 ? undefined : cells[base + col];
    const fix = order[i];
    const v = fix === undefined || raw === undefined ? raw : fix(raw);
    if (v !== undefined) out[keys[i] as string] = v;
    else if (defaults[i] !== undefined) out[keys[i] as string] = structuredClone(defaults[i]);
  }
  return out;
}

/** A plain row's register record (only the registers that have a value), or undefined if none. */
export type RegisterReader = (cells: readonly unknown[], base: number) => Record<string, unknown> | undefined;

/**
 * Writes a plain state's register values into a row's cells (`undefined` where it has none) and
 * returns how many of them had a value: fewer than the state's defined registers means some
 * register has no column yet.
 */
export type RowWriter = (r: Readonly<Record<string, unknown>>, cells: unknown[], base: number) => number;

/** How the write path moves a plain row between its cells and a `DocState` (per set of columns). */
export interface RowCodec {
  /** Number of columns it was made for (columns are only ever appended). */
  columns: number;
  registers: RegisterReader;
  write: RowWriter;
}

/**
 * The register reader and row writer for columns `names` (column j holds `names[j]`), compiled
 * with constant property names like {@link compileReader}: a write reads a row into a state and
 * stores it back, and a keyed load or store per column in a loop sees every name and goes
 * megamorphic. Generic loops where `new Function` is refused.
 */
export function compileRowCodec(names: readonly string[]): RowCodec {
  const columns = names.length;
  try {
    if (evalBlocked) throw new EvalError('blocked');
    let read = 'let r;\nlet v;\n';
    let write = 'let n = 0;\nlet v;\n';
    names.forEach((key, j) => {
      const name = JSON.stringify(key);
      read += `v = cells[base + ${j}]; if (v !== undefined) { if (r === undefined) r = {}; r[${name}] = v; }\n`;
      write += `v = r[${name}]; cells[base + ${j}] = v; if (v !== undefined) n++;\n`;
    });
    // Property names are JSON-quoted string literals; no other input reaches the code.
    const registers = new Function('cells', 'base', `${read}return r;`) as RegisterReader;
    const rowWrite = new Function('r', 'cells', 'base', `${write}return n;`) as RowWriter;
    return { columns, registers, write: rowWrite };
  } catch {
    evalBlocked = true;
    return {
      columns,
      registers: (cells, base) => {
        let r: Record<string, unknown> | undefined;
        for (let j = 0; j < names.length; j++) {
          const v = cells[base + j];
          if (v !== undefined) (r ??= {})[names[j] as string] = v;
        }
        return r;
      },
      write: (r, cells, base) => {
        let n = 0;
        for (let j = 0; j < names.length; j++) {
          const v = r[names[j] as string];
          cells[base + j] = v;
          if (v !== undefined) n++;
        }
        return n;
      },
    };
  }
}
