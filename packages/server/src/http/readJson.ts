import type { Context } from 'hono';
import { HttpError } from './HttpError.js';

/** Reads the body as JSON, turning a parse failure into a 400 that says where it broke. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text === '') throw new HttpError(400, 'bad_json', 'request body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(
      400,
      'bad_json',
      `request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
