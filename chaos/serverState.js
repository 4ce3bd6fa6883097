import pg from 'pg';
import { COLLECTION } from './docType.js';

/**
 * Every document of the tenant as the server holds it, pulled page by page from `since=0`
 * straight from a server process (not through a proxy).
 * @param {string} url
 * @param {string} token
 * @returns {Promise<import('./verify.js').DocJSON[]>}
 */
export async function pullAll(url, token) {
  /** @type {Map<string, import('./verify.js').DocJSON>} */
  const docs = new Map();
  let since = 0;
  for (let page = 0; page < 10_000; page++) {
    const res = await fetch(`${url}/v1/pull?since=${since}&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200) throw new Error(`pull from ${url}: ${res.status} ${await res.text()}`);
    const body = /** @type {{ cursor: number; docs: import('./verify.js').DocJSON[]; more?: boolean }} */ (
      await res.json()
    );
    for (const d of body.docs) if (d.type === COLLECTION) docs.set(d.id, d);
    since = body.cursor;
    if (!body.more) break;
  }
  return [...docs.values()];
}

/** @param {string} url */
export async function pgReachable(url) {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {string} url
 * @param {string} schema
 */
export async function dropSchema(url, schema) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
