import type { FastifyInstance } from 'fastify';
import { createOrg, issueCredentials } from '../../auth/org-setup.js';
import { OrgSchemaError, parseOrgSchema } from '../../domain/org-schema.js';
import { isValidTimeZone } from '../../domain/time.js';
import { presentationOf, type AppDeps } from '../deps.js';
import {
  badField,
  jsonBody,
  optionalInt,
  optionalString,
  orgJson,
  orgOf,
  sendJson,
  type JsonObject,
} from './admin-wire.js';

/** The longest access token life a test may ask for: a year. */
const MAX_EXPIRES_IN = 365 * 24 * 3600;
const MAX_SCOPES = 50;
const SCOPE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** `scopes`: an array of scope names or one comma- or space-separated string; absent: every bulk write scope. */
function scopesOf(body: JsonObject): string[] | undefined {
  const v = body.scopes;
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SCOPES)
    throw badField('scopes', `scopes must be a non-empty array of at most ${MAX_SCOPES} scope names`);
  for (const s of list as unknown[]) {
    if (typeof s !== 'string' || !SCOPE_NAME.test(s) || s.length > 100)
      throw badField('scopes', `scopes holds ${JSON.stringify(s)}, which is not a scope name such as ZohoCRM.bulk.ALL`);
  }
  return list as string[];
}

/** A fresh refresh and access token (and grant code) for the org's Self Client, as `bulkwrite credentials --json`. */
export function credentialsFor(
  deps: AppDeps,
  org: Parameters<typeof issueCredentials>[1],
  scopes?: string[],
  expiresIn?: number,
) {
  const { apiDomain, accountsUrl } = presentationOf(deps);
  return issueCredentials(deps.storage, org, {
    scopes,
    now: (deps.now ?? Date.now)(),
    tokenTtlSeconds: expiresIn ?? deps.config.tokenTtlSeconds,
    apiDomain,
    accountsUrl,
  });
}

/**
 * Orgs and tokens for a test suite: `POST /orgs` makes an org with its Self Client and answers what
 * `bulkwrite credentials --json` prints; `GET /orgs` lists them; `POST /orgs/{org_id}/tokens` issues a
 * fresh refresh and access token with the scopes and life a test asks for.
 */
export function registerOrgRoutes(app: FastifyInstance, deps: AppDeps): void {
  const now = deps.now ?? Date.now;

  app.post('/orgs', async (req, reply) => {
    const body = jsonBody(req, ['name', 'time_zone', 'schema']);
    const name = optionalString(body, 'name', 200);
    const timeZone = optionalString(body, 'time_zone', 100);
    if (timeZone !== undefined && !isValidTimeZone(timeZone))
      throw badField('time_zone', `time_zone must be an IANA time zone such as Europe/Berlin, got "${timeZone}"`);
    const schema = body.schema;
    if (schema !== undefined && schema !== null) {
      // Checked before the org exists, so a refused schema leaves nothing behind.
      try {
        parseOrgSchema(schema, '0');
      } catch (e) {
        if (e instanceof OrgSchemaError) throw badField('schema', `schema: ${e.message}`);
        throw e;
      }
    }
    const { org } = await createOrg(deps.storage, { name, timeZone, now: now() });
    let schemaVersion: number | undefined;
    if (schema !== undefined && schema !== null) {
      const { normalised } = parseOrgSchema(schema, org.id);
      schemaVersion = (await deps.storage.schemas.put(org.id, normalised, now())).version;
    }
    const creds = await credentialsFor(deps, org);
    return sendJson(reply, 201, {
      ...creds,
      name: org.name,
      time_zone: org.timeZone,
      ...(schemaVersion !== undefined ? { schema_version: schemaVersion } : {}),
    });
  });

  app.get('/orgs', async (_req, reply) => {
    const orgs = await deps.storage.orgs.list();
    return sendJson(reply, 200, { orgs: orgs.map((o, i) => ({ ...orgJson(o), default: i === 0 })) });
  });

  app.post<{ Params: { orgId: string } }>('/orgs/:orgId/tokens', async (req, reply) => {
    const body = jsonBody(req, ['scopes', 'expires_in']);
    const scopes = scopesOf(body);
    const expiresIn = optionalInt(body, 'expires_in', 1, MAX_EXPIRES_IN);
    const org = await orgOf(deps.storage, req.params.orgId);
    return sendJson(reply, 201, await credentialsFor(deps, org, scopes, expiresIn));
  });
}
