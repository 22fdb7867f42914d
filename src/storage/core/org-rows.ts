import type { Org, User } from '../../domain/types.js';
import type { Params, Row } from './sql-dialect.js';

export const toUser = (r: Row): User => ({ id: String(r.id), name: String(r.name), email: String(r.email) });

/** An org row joined with its first user's user_id, user_name and user_email. */
export function toOrg(r: Row): Org {
  return {
    id: String(r.id),
    name: String(r.name),
    timeZone: String(r.time_zone),
    createdAt: Number(r.created_at),
    user: { id: String(r.user_id), name: String(r.user_name), email: String(r.user_email) },
  };
}

/** orgs (id, name, time_zone, created_at) */
export const orgInsertParams = (org: Org): Params => [org.id, org.name, org.timeZone, org.createdAt];

/** users (org_id, id, name, email) */
export const userInsertParams = (orgId: string, user: User): Params => [orgId, user.id, user.name, user.email];
