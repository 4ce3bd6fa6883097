/** A materialized document as the application sees it: plain JSON values plus its `id`. */
export interface Doc {
  readonly id: string;
  readonly [field: string]: unknown;
}

/** Mongo-like selector: field paths map to values or operator objects; `$and/$or/$nor` combine. */
export type Selector = Record<string, unknown>;

/** `{ priority: -1, updatedAt: 1 }` or `[['priority', 'desc'], ['updatedAt', 'asc']]`. */
export type SortSpec = Record<string, 1 | -1 | 'asc' | 'desc'> | Array<[string, 1 | -1 | 'asc' | 'desc']>;

/** `{ title: 1, status: 1 }` (include) or `{ notes: 0 }` (exclude); `id` is kept unless `id: 0`. */
export type Projection = Record<string, 0 | 1 | boolean>;

export interface FindOptions {
  sort?: SortSpec;
  skip?: number;
  limit?: number;
  fields?: Projection;
}
