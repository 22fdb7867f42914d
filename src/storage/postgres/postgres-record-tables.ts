import type pg from 'pg';
import { INDEXED_EMAIL_FIELDS } from '../core/email-index.js';
import {
  keyColumn,
  missingKeyFields,
  recordTableName,
  toRecordTable,
  type RecordTable,
} from '../core/record-tables.js';
import type { RecordStatement, Row } from '../core/sql-dialect.js';
import { LeaseLostError, type ChunkCommit } from '../storage.js';

/**
 * A module's records table in PostgreSQL (core/record-tables.ts). `id` is text COLLATE "C" (19-digit
 * ids: byte order is numeric order), its primary key the listing order; key columns are COLLATE "C" too.
 */

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Advisory lock key taken by whoever changes the record tables (create, widen, drop): 'bwrtab' in ASCII. */
export const RECORD_TABLES_LOCK = '108256485089634';

const RECORD_COLUMNS = 'id, data, created_at, modified_at';

/** The Secondary_Email index's key and its WHERE (core/email-index.ts), word for word in index and query. */
const EMAIL_WHERE = "data ->> 'Secondary_Email' IS NOT NULL";
const EMAIL_KEY = `lower(replace(data ->> 'Secondary_Email', chr(8490), 'k') COLLATE "C")`;

export const POSTGRES_RECORD_SQL: Record<RecordStatement, (t: string) => string> = {
  list: (t) => `SELECT ${RECORD_COLUMNS} FROM ${t} ORDER BY id LIMIT $1 OFFSET $2`,
  listAfter: (t) => `SELECT ${RECORD_COLUMNS} FROM ${t} WHERE id > $1 ORDER BY id LIMIT $2 OFFSET $3`,
  countAfter: (t) => `SELECT count(*) AS n FROM ${t} WHERE id > $1`,
  marks: (t) => `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ${t} WHERE id > $1) s
                 WHERE n % $2 = 0 ORDER BY id`,
  bySecondaryEmail: (t) => `SELECT id FROM ${t} WHERE ${EMAIL_WHERE} AND ${EMAIL_KEY} = $1 ORDER BY id`,
};

const keyList = (n: number, each: (column: string) => string) =>
  Array.from({ length: n }, (_, i) => each(keyColumn(i))).join('');

/**
 * The lookups and the chunk's statements on one table. As before the layout change, the statements that
 * match a chunk's keys or ids against stored rows probe the index once per value (a LATERAL subquery
 * with LIMIT 1 cannot be turned into a join), whatever the statistics say, with values sorted so the
 * probes walk the index in order; matched rows are locked in id order, the same in every chunk.
 */
export const postgresTableSql = {
  idsByKey: (t: string, column: string) =>
    `SELECT w.value, k.id AS record_id
     FROM (SELECT value FROM unnest($1::text[]) AS u (value) ORDER BY value COLLATE "C") w
     CROSS JOIN LATERAL (SELECT id FROM ${t} x WHERE x.${column} = w.value LIMIT 1) k`,
  byIds: (t: string) =>
    `SELECT r.* FROM (SELECT id FROM unnest($1::text[]) AS u (id) ORDER BY id COLLATE "C") w
     CROSS JOIN LATERAL (SELECT ${RECORD_COLUMNS} FROM ${t} x WHERE x.id = w.id LIMIT 1) r`,
  // The first record (lowest id) per lower-cased text of one field, or of two joined by a space.
  firstIdsByText1: (t: string) =>
    `SELECT k, min(id) AS id FROM (SELECT id, lower(data->>$2) AS k FROM ${t}) s
     WHERE k = ANY($1::text[]) GROUP BY k`,
  firstIdsByText2: (t: string) =>
    `SELECT k, min(id) AS id
     FROM (SELECT id, lower(btrim(coalesce(data->>$2, '') || ' ' || coalesce(data->>$3, ''))) AS k FROM ${t}) s
     WHERE k = ANY($1::text[]) GROUP BY k`,
  /** $1: json [{id, k0, …}]: each key column cleared where it holds the value given (null: untouched). */
  keysClear: (t: string, keys: number) =>
    `UPDATE ${t} r SET ${keyList(keys, (c) => `${c} = CASE WHEN r.${c} = u.${c} THEN NULL ELSE r.${c} END, `).slice(0, -2)}
     FROM (SELECT f.ctid, d.*
           FROM (SELECT * FROM json_to_recordset($1::json) AS j (id text${keyList(keys, (c) => `, ${c} text`)})
                 ORDER BY id COLLATE "C") d
           CROSS JOIN LATERAL (SELECT x.ctid FROM ${t} x WHERE x.id = d.id LIMIT 1 FOR UPDATE) f) u
     WHERE r.ctid = u.ctid`,
  /** $1: now, $2: json [{id, data, k0, …}]: the data replaced, each key column set where a value is given. */
  update: (t: string, keys: number) =>
    `UPDATE ${t} r SET data = u.data, modified_at = $1${keyList(keys, (c) => `, ${c} = COALESCE(u.${c}, r.${c})`)}
     FROM (SELECT f.ctid, d.*
           FROM (SELECT * FROM json_to_recordset($2::json) AS j (id text, data json${keyList(keys, (c) => `, ${c} text`)})
                 ORDER BY id COLLATE "C") d
           CROSS JOIN LATERAL (SELECT x.ctid FROM ${t} x WHERE x.id = d.id LIMIT 1 FOR UPDATE) f) u
     WHERE r.ctid = u.ctid`,
  /** COPY's target: the columns a chunk's new records fill. */
  copyTarget: (t: string, keys: number) => `${t} (id, data, created_at, modified_at${keyList(keys, (c) => `, ${c}`)})`,
};

const REGISTRY_GET = 'SELECT table_name, key_fields FROM record_tables WHERE org_id = $1 AND module = $2';

/** The records table of (org, module), or undefined when the module has none yet. */
export async function recordTableOf(db: Queryable, orgId: string, module: string): Promise<RecordTable | undefined> {
  const r = (await db.query<Row>({ name: 'bw_record_table', text: REGISTRY_GET, values: [orgId, module] })).rows[0];
  return r && toRecordTable(r);
}

/** Makes the records table of (org, module) with a key column per field of `keyFields`, on the caller's transaction. */
export async function createRecordTable(
  db: Queryable,
  orgId: string,
  module: string,
  keyFields: readonly string[],
): Promise<RecordTable> {
  const n = (
    await db.query<Row>("UPDATE id_sequence SET next = next + 1 WHERE name = 'record_tables' RETURNING next - 1 AS n")
  ).rows[0]!.n as string;
  const name = recordTableName(n);
  await db.query(`CREATE TABLE ${name} (id text COLLATE "C" PRIMARY KEY, data json NOT NULL, created_at bigint NOT NULL,
                                        modified_at bigint NOT NULL)`);
  // Only the records that have the field are in it (core/email-index.ts).
  if (INDEXED_EMAIL_FIELDS.get(module)?.includes('Secondary_Email'))
    await db.query(`CREATE INDEX ${name}_secondary_email ON ${name} (${EMAIL_KEY}) WHERE ${EMAIL_WHERE}`);
  await db.query('INSERT INTO record_tables (org_id, module, table_name, key_fields) VALUES ($1, $2, $3, $4)', [
    orgId,
    module,
    name,
    '[]',
  ]);
  return addKeyColumns(db, orgId, module, { name, keys: [] }, keyFields);
}

/** Adds a key column with its UNIQUE index per field of `fields`, on the caller's transaction. */
export async function addKeyColumns(
  db: Queryable,
  orgId: string,
  module: string,
  table: RecordTable,
  fields: readonly string[],
): Promise<RecordTable> {
  if (fields.length === 0) return table;
  const keys = [...table.keys];
  for (const field of fields) {
    const column = keyColumn(keys.length);
    await db.query(`ALTER TABLE ${table.name} ADD COLUMN ${column} text COLLATE "C"`);
    await db.query(`CREATE UNIQUE INDEX ${table.name}_${column} ON ${table.name} (${column})`);
    keys.push(field);
  }
  await db.query('UPDATE record_tables SET key_fields = $1 WHERE org_id = $2 AND module = $3', [
    JSON.stringify(keys),
    orgId,
    module,
  ]);
  return { name: table.name, keys };
}

/**
 * The records table of (org, module) with a key column for each of `fields`, made or widened in a
 * transaction of its own when it lacks them. That transaction first takes RECORD_TABLES_LOCK and then
 * looks again, so two workers (of any process) that need the same table at once make it once: the
 * second waits, then finds it. DDL is transactional in PostgreSQL: a crash leaves no half-made table.
 * The chunk's job must still be the worker's (else LeaseLostError, and nothing is made).
 */
export async function ensureRecordTable(
  pool: pg.Pool,
  transaction: <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  c: ChunkCommit,
  fields: readonly string[],
): Promise<RecordTable> {
  const { orgId, module } = c;
  const known = await recordTableOf(pool, orgId, module);
  if (known !== undefined && missingKeyFields(known, fields).length === 0) return known;
  return transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [RECORD_TABLES_LOCK]);
    // A job that is no longer this worker's (an admin reset removed it) makes no table.
    const leased = await client.query(
      "SELECT 1 FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = 'INPROGRESS'",
      [c.jobId, c.workerId],
    );
    if (leased.rowCount === 0) throw new LeaseLostError(c.jobId);
    const table = await recordTableOf(client, orgId, module);
    return table === undefined
      ? createRecordTable(client, orgId, module, fields)
      : addKeyColumns(client, orgId, module, table, missingKeyFields(table, fields));
  });
}

/**
 * Migration 130's step: moves the rows of `records` and `record_keys` (the layout before it) into a
 * table per (org, module), then drops both. It runs in the migrations' transaction, so a crash leaves
 * the old layout whole and the next open does it again; on a database without `records` it does nothing.
 */
export async function convertRecords(db: Queryable): Promise<void> {
  const old = await db.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'records'");
  if (old.rowCount === 0) return;
  const modules = (await db.query<Row>('SELECT DISTINCT org_id, module FROM records ORDER BY org_id, module')).rows;
  for (const m of modules) {
    const orgId = String(m.org_id);
    const module = String(m.module);
    const fields = (
      await db.query<Row>('SELECT DISTINCT field FROM record_keys WHERE org_id = $1 AND module = $2 ORDER BY field', [
        orgId,
        module,
      ])
    ).rows.map((r) => String(r.field));
    const t = await createRecordTable(db, orgId, module, fields);
    // Every key column in the one INSERT (a join per field), so each row is written once; one key per
    // record and field (the layout allowed two, which no chunk ever wrote).
    const joins = t.keys
      .map(
        (_, i) =>
          ` LEFT JOIN (SELECT DISTINCT ON (record_id) record_id, value FROM record_keys` +
          ` WHERE org_id = $1 AND module = $2 AND field = $${i + 3} ORDER BY record_id, value) k${i}` +
          ` ON k${i}.record_id = r.id`,
      )
      .join('');
    await db.query(
      `INSERT INTO ${t.name} (id, data, created_at, modified_at${keyList(t.keys.length, (c) => `, ${c}`)})
       SELECT r.id, r.data, r.created_at, r.modified_at${t.keys.map((_, i) => `, k${i}.value`).join('')}
       FROM records r${joins} WHERE r.org_id = $1 AND r.module = $2`,
      [orgId, module, ...t.keys],
    );
  }
  await db.query('DROP TABLE record_keys, records');
}
