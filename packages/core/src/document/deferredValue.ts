import { kindOfState, type FieldState } from './fields.js';

/** The kind's `deferredValue` of a field state: a function building its value later, if any. */
export function deferredField(state: FieldState): (() => unknown) | undefined {
  return kindOfState(state).deferredValue?.(state);
}

/**
 * Gives `out` an enumerable property `key` whose value `build` makes on first read, once. To
 * readers it is an ordinary value — `JSON.stringify`, spreads, `structuredClone`, `Object.keys`
 * and equality helpers see it — but a document whose text nobody reads never builds the text.
 * Assigning to it (before `out` is frozen) replaces it by a plain data property.
 */
export function defineDeferred(out: object, key: string, build: () => unknown): void {
  let built = false;
  let value: unknown;
  Object.defineProperty(out, key, {
    enumerable: true,
    configurable: true,
    get() {
      if (!built) {
        value = build();
        built = true;
      }
      return value;
    },
    set(this: object, v: unknown) {
      Object.defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
}
