import {
  ValidationError,
  isDeleted,
  kindOfDef,
  kindOfState,
  materialize,
  validateDocument,
  type DocState,
  type TypeDef,
} from '@fieldsync/core';

const LWW = kindOfDef({ type: 'string' });

/**
 * Checks a whole document state against its type (the `/v1/merge` counterpart of the per-change
 * validation of a push): every declared field has the merge policy its definition selects, and
 * the plain values — what a device would see — are valid, required fields included. Fields the
 * type does not declare (written at a version this server does not know) are kept, unchecked,
 * as a push keeps them. Returns the first problem, or undefined.
 */
export interface SchemaProblem {
  /** Path inside the document JSON (`fields.title`). */
  path: string;
  rule: string;
  message: string;
}

export function docSchemaProblem(doc: DocState, def: TypeDef): SchemaProblem | undefined {
  for (const key in def.fields) {
    const fd = def.fields[key]!;
    const want = kindOfDef(fd);
    const state = doc.fields[key];
    if (state !== undefined && kindOfState(state) !== want)
      return {
        path: `fields.${key}`,
        rule: 'merge-policy',
        message: `field "${key}" does not hold a ${fd.type} state`,
      };
    if (key in doc.r && want !== LWW)
      return {
        path: `fields.${key}`,
        rule: 'merge-policy',
        message: `field "${key}" holds a register, not a ${fd.type} state`,
      };
  }
  const values: Record<string, unknown> = { ...materialize(doc, def) };
  for (const key in def.fields) {
    // A log materializes as entries { id, stamp, value }; its definition describes the values.
    if (def.fields[key]!.type === 'log' && Array.isArray(values[key]))
      values[key] = (values[key] as Array<{ value: unknown }>).map((e) => e.value);
  }
  try {
    validateDocument(values, def);
  } catch (e) {
    if (e instanceof ValidationError) {
      // A deleted document keeps whatever fields it had; only its shape must be right.
      if (isDeleted(doc) && e.rule === 'required') return undefined;
      return { path: `fields.${e.path}`, rule: e.rule, message: e.message };
    }
    throw e;
  }
  return undefined;
}
