import type pg from 'pg';

/**
 * `docBytes` in SQL, for JSON columns `state` and `view`: UTF-8 bytes of the text as stored
 * (`json` keeps the text as written). Reading it converts the values to text, so it is computed
 * only for rows whose `bytes` is unknown; rows written by this version carry it.
 */
export const sqlDocBytes = (state: string, view: string): string =>
  `(${sqlJsonBytes(state)} + ${sqlJsonBytes(view)})::bigint`;

/** UTF-8 bytes of one JSON column's text (`Buffer.byteLength` of what the server sends). */
export const sqlJsonBytes = (column: string): string => `octet_length(convert_to(${column}::text, 'UTF8'))`;

/**
 * Adds `docs.bytes` (each row's `docBytes`) to schema `s` in place, inside init's transaction:
 * nullable, so no row is rewritten at startup. NULL means "unknown": rows written before the
 * column existed, sized by the pulls that reach them (`pgPull.ts`), found through the partial
 * index `docs_bytes_unknown`, which is empty once they are.
 *
 * Why the triggers: a server of the previous version still writing the schema during an upgrade
 * writes no `bytes`; a new row would stay unknown (then sized on read), but an updated one would
 * keep its old, wrong size. So an insert without a size, and an update of `state` or `view` that
 * leaves the size as it was, get it computed here. This version's writes always set it, and a
 * changed size skips the trigger; an unchanged one is recomputed (the same value). The update
 * trigger names `state` and `view`: a later change of their type must drop and recreate it.
 */
export async function addDocBytes(c: pg.PoolClient, s: string): Promise<void> {
  await c.query(`ALTER TABLE ${s}.docs ADD COLUMN IF NOT EXISTS bytes bigint`);
  await c.query(
    `CREATE INDEX IF NOT EXISTS docs_bytes_unknown ON ${s}.docs (tenant, seq) WHERE bytes IS NULL`,
  );
  await c.query(`CREATE OR REPLACE FUNCTION ${s}.docs_set_bytes() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN NEW.bytes := ${sqlDocBytes('NEW.state', 'NEW.view')}; RETURN NEW; END $$`);
  await c.query(`CREATE TRIGGER docs_bytes_insert BEFORE INSERT ON ${s}.docs FOR EACH ROW
    WHEN (NEW.bytes IS NULL) EXECUTE FUNCTION ${s}.docs_set_bytes()`);
  await c.query(`CREATE TRIGGER docs_bytes_update BEFORE UPDATE OF state, view ON ${s}.docs FOR EACH ROW
    WHEN (NEW.bytes IS NOT DISTINCT FROM OLD.bytes) EXECUTE FUNCTION ${s}.docs_set_bytes()`);
}
