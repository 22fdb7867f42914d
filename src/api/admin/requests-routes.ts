import type { FastifyInstance } from 'fastify';
import { FAULT_ROUTES } from '../../domain/faults.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { AppDeps } from '../deps.js';
import { REQUEST_JOURNAL_SIZE, requestJournal } from '../request-journal.js';
import { sendJson } from './admin-wire.js';

type Query = Record<string, string | string[] | undefined>;

const invalid = (param: string, message: string) =>
  new ZohoError('INVALID_DATA', { message, details: { param_name: param } });

function one(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 100)
    throw invalid(name, `${name} may be given once, of at most 100 characters`);
  return v;
}

/**
 * The request journal (api/request-journal.ts): `GET /requests?org_id=&route=&method=&limit=` → the last
 * `limit` (default 100, at most REQUEST_JOURNAL_SIZE) Zoho API calls this process answered that match,
 * oldest first; `DELETE /requests` empties it.
 */
export function registerRequestsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const journal = requestJournal(deps.storage);
  app.get('/requests', async (req, reply) => {
    const query = req.query as Query;
    const orgId = one(query, 'org_id');
    const route = one(query, 'route');
    if (route !== undefined && !(FAULT_ROUTES as readonly string[]).includes(route))
      throw invalid('route', `route must be one of ${FAULT_ROUTES.join(', ')}`);
    const method = one(query, 'method')?.toUpperCase();
    const rawLimit = one(query, 'limit') ?? '100';
    if (!/^\d{1,5}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > REQUEST_JOURNAL_SIZE)
      throw invalid('limit', `limit must be a whole number from 1 to ${REQUEST_JOURNAL_SIZE}`);
    const requests = journal.last(
      Number(rawLimit),
      (e) =>
        (orgId === undefined || e.org_id === orgId) &&
        (route === undefined || e.route === route) &&
        (method === undefined || e.method === method),
    );
    return sendJson(reply, 200, { requests });
  });
  app.delete('/requests', async (_req, reply) => {
    journal.clear();
    return sendJson(reply, 200, { cleared: true });
  });
}
