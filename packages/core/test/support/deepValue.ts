/**
 * `[[[…1…]]]` nested `levels` deep (or `{ a: { a: … } }`), built by a loop: the shape hostile
 * input takes to overflow the stack of any code that walks it recursively.
 */
export function deepValue(levels: number, shape: 'array' | 'object' = 'array'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = shape === 'array' ? [v] : { a: v };
  return v;
}
