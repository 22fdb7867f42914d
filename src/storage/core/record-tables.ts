import type { ChunkCommit } from '../storage.js';
import type { Row } from './sql-dialect.js';

/**
 * Records live in a table per (org, module), made on demand (docs/architecture.md, *Storage*). The
 * registry `record_tables` (migration 130) maps (org_id, module) to the table's name and says which
 * unique field each key column holds:
 *
 * - `id` is the table's key, so its order is the listing order (SQLite: the rowid; no separate index);
 * - `data` is the record's JSON text, `created_at` and `modified_at` its times;
 * - key column `k{i}` holds the normalised key of field `keys[i]` (as `record_keys` held it before),
 *   under a UNIQUE index: a key is looked up, and its uniqueness enforced, in the record's own table.
 *
 * Key columns are added when a chunk first carries a key of a field (ALTER TABLE … ADD COLUMN, cheap
 * in both stores): a field an org schema makes unique later gets its column with the first chunk that
 * writes it; records stored before hold no key for it (as they held no `record_keys` row before).
 * Table names come from `id_sequence` ('record_tables') and are never reused, so a statement prepared for
 * a table that was dropped (admin reset) can never reach another one.
 */
export interface RecordTable {
  name: string;
  /** keys[i] is the field whose key column `k{i}` holds. */
  keys: readonly string[];
}

/** The name of the i-th key column. */
export const keyColumn = (i: number): string => `k${i}`;

/** A table's name from its number. */
export const recordTableName = (n: number | bigint | string): string => `records_${String(n)}`;

/** A registry row (table_name, key_fields) as a RecordTable. */
export function toRecordTable(r: Row): RecordTable {
  return { name: String(r.table_name), keys: JSON.parse(String(r.key_fields)) as string[] };
}

/** The unique fields whose keys a chunk writes (key removals need no column: an absent one holds none). */
export function chunkKeyFields(c: ChunkCommit): string[] {
  const fields = new Set<string>();
  for (const rec of c.inserts) for (const [field] of rec.keys) fields.add(field);
  for (const rec of c.updates) for (const [field] of rec.addKeys) fields.add(field);
  return [...fields];
}

/** The fields among `fields` that have no key column in `table` yet (all of them when there is no table). */
export function missingKeyFields(table: RecordTable | undefined, fields: readonly string[]): string[] {
  return table === undefined ? [...fields] : fields.filter((f) => !table.keys.includes(f));
}

/** The key columns a record sets: one value (or null) per key column of the table, in column order. */
export function keyValues(table: RecordTable, keys: ReadonlyArray<readonly [string, string]>): Array<string | null> {
  const out: Array<string | null> = table.keys.map(() => null);
  for (const [field, value] of keys) {
    const i = table.keys.indexOf(field);
    if (i < 0) throw new Error(`table ${table.name} has no key column for ${field}`);
    out[i] = value;
  }
  return out;
}
