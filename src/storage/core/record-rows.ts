import type { StoredRecord } from '../../domain/types.js';
import type { Row } from './sql-dialect.js';

/** A row of a module's records table (core/record-tables.ts); the table is the module's. */
export function toRecord(r: Row, module: string): StoredRecord {
  return {
    id: String(r.id),
    module,
    data: JSON.parse(String(r.data)) as StoredRecord['data'],
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}
