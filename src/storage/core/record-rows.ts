import type { StoredRecord } from '../../domain/types.js';
import type { Row } from './sql-dialect.js';

export function toRecord(r: Row): StoredRecord {
  return {
    id: String(r.id),
    module: String(r.module),
    data: JSON.parse(String(r.data)) as StoredRecord['data'],
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}
