/**
 * What the sequence engine needs to know about the content of a run: text keeps a string per
 * run, a list keeps an array of values. Keeping this behind a tiny interface lets one engine
 * serve both without boxing every character.
 */
export interface ContentOps<C> {
  length(c: C): number;
  slice(c: C, start: number, end: number): C;
  /** `a` followed by `b`; may reuse `a` (runs own their content). */
  append(a: C, b: C): C;
  /** Compacts content that has been appended to many times (it stays equal). */
  settle(c: C): void;
}

/** Written by {@link textOps.settle}; exported so that the conversion can never be optimised away as unused. */
export let flattenSink = 0;

/**
 * V8 builds `a + b` as a concatenation node (32 bytes each), so a run typed character by
 * character holds one node per keystroke until something flattens it; converting the string to a
 * number flattens it in place (the nodes become garbage). 50 typed characters: ~1.6 kB -> ~70 B.
 */
function flatten(s: string): void {
  flattenSink = Number(s);
}

export const textOps: ContentOps<string> = {
  length: (c) => c.length,
  slice: (c, s, e) => c.slice(s, e),
  append: (a, b) => a + b,
  settle: flatten,
};

export const listOps: ContentOps<unknown[]> = {
  length: (c) => c.length,
  slice: (c, s, e) => c.slice(s, e),
  append: (a, b) => {
    for (let i = 0; i < b.length; i++) a.push(b[i]);
    return a;
  },
  settle: () => {},
};
