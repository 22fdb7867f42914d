import type Database from 'better-sqlite3';
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

/** A module's records table in SQLite (core/record-tables.ts): `id` is the rowid, so id order is table order. */

const RECORD_COLUMNS = (t: string) => `CAST(${t}.id AS TEXT) AS id, data, created_at, modified_at`;

/** The Secondary_Email index's key and its WHERE (core/email-index.ts), word for word in index and query. */
const EMAIL_WHERE = "json_extract(data, '$.Secondary_Email') IS NOT NULL";
const EMAIL_KEY = "lower(replace(json_extract(data, '$.Secondary_Email'), char(8490), 'k'))";

/**
 * The statements on one table. `t.id`, never `id`: in SQLite an ORDER BY names the result column
 * `id` (the text of RECORD_COLUMNS, which no index keeps in order) before the table's.
 */
export const SQLITE_RECORD_SQL: Record<RecordStatement, (t: string) => string> = {
  list: (t) => `SELECT ${RECORD_COLUMNS(t)} FROM ${t} ORDER BY ${t}.id LIMIT ? OFFSET ?`,
  // Ids come in as decimal text: CAST makes them integers, as the rowid they are compared with.
  listAfter: (t) =>
    `SELECT ${RECORD_COLUMNS(t)} FROM ${t} WHERE ${t}.id > CAST(? AS INTEGER) ORDER BY ${t}.id LIMIT ? OFFSET ?`,
  countAfter: (t) => `SELECT count(*) AS n FROM ${t} WHERE ${t}.id > CAST(? AS INTEGER)`,
  marks: (t) => `SELECT CAST(id AS TEXT) AS id
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ${t} WHERE id > CAST(? AS INTEGER))
                 WHERE n % ? = 0 ORDER BY n`,
  // INDEXED BY: a plan that would read the module is an error instead.
  bySecondaryEmail: (t) => `SELECT CAST(${t}.id AS TEXT) AS id FROM ${t} INDEXED BY ${t}_secondary_email
                            WHERE ${EMAIL_WHERE} AND ${EMAIL_KEY} = ? ORDER BY ${t}.id`,
};

/** By primary key: n ids. */
export const recordsByIdSql = (t: string, n: number) =>
  `SELECT ${RECORD_COLUMNS(t)} FROM ${t} WHERE ${t}.id IN (${'?,'.repeat(n - 1)}?)`;

/** By key column: n keys. */
export const recordKeysInSql = (t: string, column: string, n: number) =>
  `SELECT ${column} AS value, CAST(id AS TEXT) AS record_id FROM ${t} WHERE ${column} IN (${'?,'.repeat(n - 1)}?)`;

/**
 * The first record id per text of one or more fields (firstIdsByText): `nFields` JSON paths, then `n`
 * values. lower() folds A–Z only in SQLite; the caller folds its values the same way.
 */
export const recordTextsInSql = (t: string, nFields: number, n: number) => {
  const parts = Array.from({ length: nFields }, () => "coalesce(json_extract(data, ?), '')");
  const text = nFields === 1 ? 'json_extract(data, ?)' : `trim(${parts.join(" || ' ' || ")})`;
  return `SELECT k, CAST(min(id) AS TEXT) AS id FROM (SELECT id, lower(${text}) AS k FROM ${t})
          WHERE k IN (${'?,'.repeat(n - 1)}?) GROUP BY k`;
};

/** The chunk's statements on one table with `keys` key columns. */
export const recordWriteSql = {
  insert: (t: string, keys: number) =>
    `INSERT INTO ${t} (id, data, created_at, modified_at${keyList(keys)}) VALUES (?, ?, ?, ?${', ?'.repeat(keys)})`,
  update: (t: string) => `UPDATE ${t} SET data = ?, modified_at = ? WHERE id = ?`,
  keySet: (t: string, column: string) => `UPDATE ${t} SET ${column} = ? WHERE id = ?`,
  keyClear: (t: string, column: string) => `UPDATE ${t} SET ${column} = NULL WHERE id = ? AND ${column} = ?`,
};

const keyList = (n: number) => Array.from({ length: n }, (_, i) => `, ${keyColumn(i)}`).join('');

/** The chunk's job is still leased to its worker. */
export const JOB_LEASED = "SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'";

const REGISTRY_GET = 'SELECT table_name, key_fields FROM record_tables WHERE org_id = ? AND module = ?';

/** The records table of (org, module), or undefined when the module has none yet. */
export function recordTableOf(db: Database.Database, orgId: string, module: string): RecordTable | undefined {
  const r = db.prepare(REGISTRY_GET).get(orgId, module) as Row | undefined;
  return r && toRecordTable(r);
}

/** Makes the records table of (org, module), with a key column per field of `keyFields`. On the caller's transaction. */
export function createRecordTable(
  db: Database.Database,
  orgId: string,
  module: string,
  keyFields: readonly string[],
): RecordTable {
  const n = (
    db
      .prepare("UPDATE id_sequence SET next = next + 1 WHERE name = 'record_tables' RETURNING next - 1 AS n")
      .get() as Row
  ).n as number;
  const name = recordTableName(n);
  db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at INTEGER NOT NULL,
                                 modified_at INTEGER NOT NULL)`);
  // Only the records that have the field are in it (core/email-index.ts).
  if (INDEXED_EMAIL_FIELDS.get(module)?.includes('Secondary_Email'))
    db.exec(`CREATE INDEX ${name}_secondary_email ON ${name} (${EMAIL_KEY}) WHERE ${EMAIL_WHERE}`);
  db.prepare('INSERT INTO record_tables (org_id, module, table_name, key_fields) VALUES (?, ?, ?, ?)').run(
    orgId,
    module,
    name,
    '[]',
  );
  return addKeyColumns(db, orgId, module, { name, keys: [] }, keyFields);
}

/** Adds a key column with its UNIQUE index per field of `fields`. On the caller's transaction. */
export function addKeyColumns(
  db: Database.Database,
  orgId: string,
  module: string,
  table: RecordTable,
  fields: readonly string[],
): RecordTable {
  if (fields.length === 0) return table;
  const keys = [...table.keys];
  for (const field of fields) {
    const column = keyColumn(keys.length);
    db.exec(`ALTER TABLE ${table.name} ADD COLUMN ${column} TEXT`);
    db.exec(`CREATE UNIQUE INDEX ${table.name}_${column} ON ${table.name} (${column})`);
    keys.push(field);
  }
  db.prepare('UPDATE record_tables SET key_fields = ? WHERE org_id = ? AND module = ?').run(
    JSON.stringify(keys),
    orgId,
    module,
  );
  return { name: table.name, keys };
}

/**
 * The records table of (org, module) with a key column for each of `fields`, made or widened when it
 * lacks them. The check is repeated inside an immediate transaction, so two writers cannot both make it;
 * the chunk's job must still be the worker's (else LeaseLostError, and nothing is made).
 */
export function ensureRecordTable(
  db: Database.Database,
  lookup: (orgId: string, module: string) => RecordTable | undefined,
  c: ChunkCommit,
  fields: readonly string[],
): RecordTable {
  const { orgId, module } = c;
  const known = lookup(orgId, module);
  if (known !== undefined && missingKeyFields(known, fields).length === 0) return known;
  return db
    .transaction(() => {
      // A job that is no longer this worker's (an admin reset removed it) makes no table.
      if (!db.prepare(JOB_LEASED).get(c.jobId, c.workerId)) throw new LeaseLostError(c.jobId);
      const table = lookup(orgId, module);
      if (table === undefined) return createRecordTable(db, orgId, module, fields);
      return addKeyColumns(db, orgId, module, table, missingKeyFields(table, fields));
    })
    .immediate();
}

/**
 * Migration 130's step: moves the rows of `records` and `record_keys` (the layout before it) into a
 * table per (org, module), then drops both. It runs in the migration's transaction, so a crash leaves
 * the old layout whole and the next open does it again; on a database without `records` it does nothing.
 */
export function convertRecords(db: Database.Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").get()) return;
  const modules = db.prepare('SELECT DISTINCT org_id, module FROM records ORDER BY org_id, module').all() as Row[];
  const fieldsOf = db.prepare('SELECT DISTINCT field FROM record_keys WHERE org_id = ? AND module = ? ORDER BY field');
  for (const m of modules) {
    const orgId = String(m.org_id);
    const module = String(m.module);
    const fields = (fieldsOf.all(orgId, module) as Row[]).map((r) => String(r.field));
    const t = createRecordTable(db, orgId, module, fields);
    db.prepare(
      `INSERT INTO ${t.name} (id, data, created_at, modified_at)
       SELECT id, data, created_at, modified_at FROM records WHERE org_id = ? AND module = ? ORDER BY id`,
    ).run(orgId, module);
    t.keys.forEach((field, i) => {
      const column = keyColumn(i);
      db.prepare(
        `UPDATE ${t.name} SET ${column} = k.value
         FROM (SELECT value, record_id FROM record_keys WHERE org_id = ? AND module = ? AND field = ?) AS k
         WHERE ${t.name}.id = k.record_id`,
      ).run(orgId, module, field);
    });
  }
  db.exec('DROP TABLE record_keys; DROP TABLE records;');
}
