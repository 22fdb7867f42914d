import type { StoredOrgSchema } from '../storage.js';
import type { Row } from './sql-dialect.js';

export const toSchema = (r: Row): StoredOrgSchema => ({
  orgId: String(r.org_id),
  document: String(r.document),
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});
