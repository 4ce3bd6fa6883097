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
}

export const textOps: ContentOps<string> = {
  length: (c) => c.length,
  slice: (c, s, e) => c.slice(s, e),
  append: (a, b) => a + b,
};

export const listOps: ContentOps<unknown[]> = {
  length: (c) => c.length,
  slice: (c, s, e) => c.slice(s, e),
  append: (a, b) => {
    for (let i = 0; i < b.length; i++) a.push(b[i]);
    return a;
  },
};
