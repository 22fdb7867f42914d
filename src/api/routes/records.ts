import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleDef } from '../../domain/modules.js';
import { catalogueFor, type Catalogue } from '../../domain/org-schema.js';
import {
  criteriaForParam,
  CriteriaError,
  indexedKeys,
  matchesCriteria,
  parseCriteria,
  type Criteria,
} from '../../domain/record-search.js';
import type { Org, StoredRecord, User } from '../../domain/types.js';
import { toZohoTime } from '../../domain/time.js';
import { INVENTORY_TOTALS_MODULES, inventoryTotals, lineItemTotals } from '../../domain/inventory-totals.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { Storage } from '../../storage/storage.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { PAGE_TOKEN_TTL_MS, readPageToken, writePageToken } from '../page-token.js';
import type { PathModule } from '../pipeline.js';
import { displayNameOf, toFieldMeta, toInfo, toModuleMeta, toRecord } from '../records-wire.js';

/** Zoho's records API pages hold at most 200 records. */
const MAX_PER_PAGE = 200;
/** From v4 on, `page` alone reaches only this many records; `page_token` reaches the rest. */
const DISCRETE_PAGINATION_LIMIT = 2000;
/**
 * Search on anything but unique fields reads the module's records; past this many it answers
 * LIMIT_EXCEEDED instead of a partial answer (docs/modules.md).
 */
export const SEARCH_SCAN_LIMIT = 50_000;
const SCAN_PAGE = 1000;

type Query = Record<string, string | undefined>;

const send = (reply: FastifyReply, body: unknown) =>
  reply.code(200).header('content-type', JSON_TYPE).send(JSON.stringify(body));

/** An empty list is HTTP 204 with no body, as Zoho answers. */
const noContent = (reply: FastifyReply) => reply.code(204).send();

function pageParam(query: Query, name: 'page' | 'per_page', fallback: number, max: number): number {
  const raw = query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new ZohoError('INVALID_DATA', {
      message: `invalid value for ${name}`,
      details: { param_name: name, expected_data_type: 'integer' },
    });
  }
  return Math.min(Number(raw), max);
}

/** `fields=A,B`: the fields to answer with (id always). From v3 on Zoho requires it on the list call. */
function fieldsParam(query: Query, module: ModuleDef, required: boolean): Set<string> | null {
  const raw = query.fields;
  if (raw === undefined || raw.trim() === '') {
    if (required) throw new ZohoError('REQUIRED_PARAM_MISSING', { details: { param_name: 'fields' } });
    return null;
  }
  const names = raw
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = names.find((n) => n !== 'id' && !module.fields.has(n));
  if (unknown !== undefined) {
    throw new ZohoError('INVALID_DATA', {
      message: `invalid field ${unknown} in fields`,
      details: { param_name: 'fields', api_name: unknown },
    });
  }
  return new Set(names);
}

/** The token's org, and the module of the URL that the pipeline found and checked the scope of. */
async function readContext(storage: Storage, req: FastifyRequest): Promise<PathModule & { org: Org }> {
  const org = await storage.orgs.get(req.auth.orgId);
  if (!org) throw new ZohoError('INVALID_TOKEN');
  return { ...req.pathModule, org };
}

const TOTAL_FIELDS = ['Sub_Total', 'Tax', 'Grand_Total'];

/** True when an answer names (or, without `fields`, holds) an inventory record's totals. */
function wantsTotals(only: Set<string> | null): boolean {
  return only === null || TOTAL_FIELDS.some((f) => only.has(f));
}

/** Inventory records with their Sub_Total, Tax and Grand_Total computed from their line items. */
function withInventoryTotals(records: StoredRecord[], lines: StoredRecord[]): StoredRecord[] {
  const byParent = new Map<string, StoredRecord['data'][]>();
  for (const l of lines) {
    const key = String(l.data.Parent_Id);
    const list = byParent.get(key);
    if (list) list.push(l.data);
    else byParent.set(key, [l.data]);
  }
  return records.map((r) => ({ ...r, data: { ...r.data, ...inventoryTotals(r.data, byParent.get(r.id) ?? []) } }));
}

/** Loads the users and lookup targets the records point at: one storage call per user and per target module. */
async function renderRecords(
  storage: Storage,
  catalogue: Catalogue,
  org: Org,
  module: ModuleDef,
  shown: StoredRecord[],
  only: Set<string> | null,
) {
  let records = shown;
  const userIds = new Set<string>([org.user.id]);
  const targets = new Map<ModuleDef, Set<string>>();
  for (const field of module.fields.values()) {
    if (field.readOnly || (only !== null && !only.has(field.apiName))) continue;
    for (const r of records) {
      const v = r.data[field.apiName];
      if (v === undefined || v === null) continue;
      if (field.type === 'ownerlookup') userIds.add(String(v));
      else if (field.type === 'lookup') {
        const se = r.data.$se_module;
        const target = field.lookupModules
          ? catalogue.find({ apiName: typeof se === 'string' ? se : null })
          : catalogue.find({ apiName: field.lookupModule ?? null });
        if (!target) continue;
        let set = targets.get(target);
        if (!set) targets.set(target, (set = new Set()));
        set.add(String(v));
      }
    }
  }
  const users = new Map<string, User>();
  for (const id of userIds) {
    const user = id === org.user.id ? org.user : await storage.orgs.getUser(org.id, { id });
    if (user) users.set(id, user);
  }
  const names = new Map<string, string>();
  for (const [target, ids] of targets) {
    const found = await storage.records.byIds(org.id, target.apiName, [...ids]);
    for (const [id, rec] of found) names.set(id, displayNameOf(target, rec.data));
  }
  const subforms = new Map<string, Map<string, unknown[]>>();
  const totals = INVENTORY_TOTALS_MODULES.has(module.apiName) && wantsTotals(only);
  for (const field of module.fields.values()) {
    const lineItems = totals && field.apiName === 'Product_Details';
    // A subform's rows name their record in Parent_Id; a multi-user lookup's pairs (its linking module's
    // rows) in the lookup named after the module.
    const childModule = field.subformModule ?? (field.type === 'multiuserlookup' ? field.linkingModule : undefined);
    if (!childModule || (only !== null && !only.has(field.apiName) && !lineItems)) continue;
    const sub = catalogue.find({ apiName: childModule });
    if (!sub) continue;
    const link = field.subformModule ? 'Parent_Id' : module.apiName;
    const parents = new Set(records.map((r) => r.id));
    const rows = (await scanRecords(storage, org.id, sub)).filter((r) => parents.has(String(r.data[link])));
    if (lineItems) records = withInventoryTotals(records, rows);
    if (only !== null && !only.has(field.apiName)) continue;
    const rendered = await renderRecords(storage, catalogue, org, sub, rows, null);
    const byParent = new Map<string, unknown[]>();
    rows.forEach((r, i) => {
      const parentId = String(r.data[link]);
      const list = byParent.get(parentId);
      if (list) list.push(rendered[i]);
      else byParent.set(parentId, [rendered[i]]);
    });
    subforms.set(field.apiName, byParent);
  }
  // A line item's Total and Net_Total, computed from its own cells.
  if (module.subformOf !== undefined && INVENTORY_TOTALS_MODULES.has(module.subformOf)) {
    records = records.map((r) => ({ ...r, data: { ...r.data, ...lineItemTotals(r.data) } }));
  }
  const refs = { users, names, org, subforms };
  return records.map((r) => toRecord(module, r, refs, only));
}

async function searchRecords(storage: Storage, orgId: string, module: ModuleDef, criteria: Criteria) {
  const found = await indexedSearch(storage, orgId, module, criteria);
  if (found) return [...found.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return (await scanRecords(storage, orgId, module)).filter((r) => matchesCriteria(criteria, r.data));
}

/**
 * Criteria that indexes answer without reading the module: `equals`/`in` on unique fields (their keys)
 * or on an indexed e-mail field (records.idsByEmail, whose candidates are checked here), joined by
 * `or`. Null when any part needs a scan.
 */
async function indexedSearch(
  storage: Storage,
  orgId: string,
  module: ModuleDef,
  criteria: Criteria,
): Promise<Map<string, StoredRecord> | null> {
  const out = new Map<string, StoredRecord>();
  for (const part of criteria.kind === 'or' ? criteria.parts : [criteria]) {
    const indexed = indexedKeys(part);
    if (indexed) {
      const ids = new Set<string>();
      for (const { field, keys } of indexed) {
        for (const id of (await storage.records.idsByKey(orgId, module.apiName, field, keys)).values()) ids.add(id);
      }
      for (const [id, r] of await storage.records.byIds(orgId, module.apiName, [...ids])) out.set(id, r);
      continue;
    }
    if (part.kind !== 'cond' || part.field.type !== 'email' || (part.op !== 'equals' && part.op !== 'in')) return null;
    const candidates: string[] = [];
    for (const value of part.values) {
      const ids = await storage.records.idsByEmail(orgId, module.apiName, part.field.apiName, value);
      if (ids === null) return null;
      candidates.push(...ids);
    }
    for (const [id, r] of await storage.records.byIds(orgId, module.apiName, candidates))
      if (matchesCriteria(part, r.data)) out.set(id, r);
  }
  return out;
}

/** Every record of a module, for search on fields that are not unique and for subform and linking rows: bounded. */
async function scanRecords(storage: Storage, orgId: string, module: ModuleDef): Promise<StoredRecord[]> {
  const total = await storage.records.count(orgId, module.apiName);
  if (total > SEARCH_SCAN_LIMIT) {
    throw new ZohoError('LIMIT_EXCEEDED', {
      message: `bulkwrite reads at most ${SEARCH_SCAN_LIMIT} records of a module to search it or to list subform rows; ${module.apiName} has ${total}`,
      details: { limit: SEARCH_SCAN_LIMIT },
    });
  }
  const out: StoredRecord[] = [];
  for (let offset = 0; offset < total; offset += SCAN_PAGE) {
    out.push(...(await storage.records.list(orgId, module.apiName, offset, SCAN_PAGE)));
  }
  return out;
}

function searchCriteria(module: ModuleDef, query: Query): Criteria {
  if (query.criteria !== undefined && query.criteria.trim() !== '') {
    try {
      return parseCriteria(module, query.criteria);
    } catch (e) {
      if (e instanceof CriteriaError) {
        throw new ZohoError('INVALID_QUERY', { details: { param_name: 'criteria', reason: e.message } });
      }
      throw e;
    }
  }
  for (const param of ['email', 'phone', 'word'] as const) {
    const value = query[param];
    if (value === undefined || value.trim() === '') continue;
    const c = criteriaForParam(module, param, value.trim());
    if (!c) throw new ZohoError('INVALID_QUERY', { details: { param_name: param, reason: `no ${param} field` } });
    return c;
  }
  throw new ZohoError('REQUIRED_PARAM_MISSING', {
    details: { param_name: 'criteria', param_names: ['criteria', 'email', 'phone', 'word'] },
  });
}

/** The records and metadata APIs, read-only, so an import can be checked the way Zoho's own data is read. */
export function registerRecordRoutes(app: FastifyInstance, deps: AppDeps): void {
  type Req = FastifyRequest<{ Querystring: Query }>;
  const moduleRead = { config: { scope: 'module.read' as const } };

  app.get('/crm/:version/settings/modules', { config: { scope: 'settings.modules' } }, async (req, reply) => {
    const { apiVersion: version, auth } = req;
    const catalogue = catalogueFor(auth.orgId, await deps.storage.schemas.get(auth.orgId));
    return send(reply, { modules: catalogue.modules.map((m, i) => toModuleMeta(m, i, version)) });
  });

  app.get(
    '/crm/:version/settings/fields',
    { config: { scope: 'settings.fields' } },
    async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
      const { apiVersion: version, auth } = req;
      const name = req.query.module;
      if (name === undefined || name.trim() === '') {
        throw new ZohoError('REQUIRED_PARAM_MISSING', { details: { param_name: 'module' } });
      }
      const catalogue = catalogueFor(auth.orgId, await deps.storage.schemas.get(auth.orgId));
      const module = catalogue.find({ apiName: name.trim() });
      if (!module) throw new ZohoError('INVALID_MODULE', { details: { param_name: 'module' } });
      const byName = (apiName: string) => catalogue.find({ apiName });
      const fields = [...module.fields.values()]
        .filter((f) => f.type !== 'id' && f.type !== 'layout' && !f.apiName.startsWith('$'))
        .map((f) => toFieldMeta(module, f, version, byName));
      return send(reply, { fields });
    },
  );

  app.get('/crm/:version/:module', moduleRead, async (req: Req, reply) => {
    const { org, module, catalogue } = await readContext(deps.storage, req);
    const version = req.apiVersion;
    const only = fieldsParam(req.query, module, version.name !== 'v2' && version.name !== 'v2.1');
    const perPage = pageParam(req.query, 'per_page', MAX_PER_PAGE, MAX_PER_PAGE);
    const token = version.pageTokens ? req.query.page_token : undefined;
    const now = deps.now?.() ?? Date.now();
    let page: number;
    let found: StoredRecord[];
    // One record more than the page shows whether more follow, without counting the module.
    if (token !== undefined && token !== '') {
      if (req.query.page !== undefined && req.query.page !== '') {
        throw new ZohoError('AMBIGUITY_DURING_PROCESSING', { details: { param_names: ['page', 'page_token'] } });
      }
      const at = readPageToken(token, org.id, module.apiName, now);
      page = at.page;
      found = await deps.storage.records.listAfter(org.id, module.apiName, at.afterId, perPage + 1);
    } else {
      page = pageParam(req.query, 'page', 1, 1_000_000);
      if (version.pageTokens && page * perPage > DISCRETE_PAGINATION_LIMIT) {
        throw new ZohoError('DISCRETE_PAGINATION_LIMIT_EXCEEDED', { details: { limit: DISCRETE_PAGINATION_LIMIT } });
      }
      found = await deps.storage.records.list(org.id, module.apiName, (page - 1) * perPage, perPage + 1);
    }
    const more = found.length > perPage;
    const records = more ? found.slice(0, perPage) : found;
    if (records.length === 0) return noContent(reply);
    const data = await renderRecords(deps.storage, catalogue, org, module, records, only);
    const info: Record<string, unknown> = toInfo(perPage, data.length, page, more);
    if (version.pageTokens) {
      const expiresAt = now + PAGE_TOKEN_TTL_MS;
      const afterId = records.at(-1)!.id;
      info.next_page_token = more
        ? writePageToken({ orgId: org.id, module: module.apiName, afterId, page: page + 1, expiresAt })
        : null;
      info.page_token_expiry = more ? toZohoTime(expiresAt, org.timeZone) : null;
    }
    return send(reply, { data, info });
  });

  app.get('/crm/:version/:module/search', moduleRead, async (req: Req, reply) => {
    const { org, module, catalogue } = await readContext(deps.storage, req);
    const criteria = searchCriteria(module, req.query);
    const page = pageParam(req.query, 'page', 1, 1_000_000);
    const perPage = pageParam(req.query, 'per_page', MAX_PER_PAGE, MAX_PER_PAGE);
    const matches = await searchRecords(deps.storage, org.id, module, criteria);
    const offset = (page - 1) * perPage;
    const slice = matches.slice(offset, offset + perPage);
    if (slice.length === 0) return noContent(reply);
    const data = await renderRecords(deps.storage, catalogue, org, module, slice, null);
    return send(reply, { data, info: toInfo(perPage, data.length, page, offset + data.length < matches.length) });
  });

  app.get(
    '/crm/:version/:module/:id',
    moduleRead,
    async (req: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply) => {
      const { org, module, catalogue } = await readContext(deps.storage, req);
      const id = req.params.id;
      const record = /^\d{1,19}$/.test(id) ? await deps.storage.records.get(org.id, module.apiName, id) : undefined;
      if (!record) {
        throw new ZohoError('INVALID_DATA', { message: 'the related id given seems to be invalid', details: { id } });
      }
      const only = fieldsParam(req.query, module, false);
      return send(reply, { data: await renderRecords(deps.storage, catalogue, org, module, [record], only) });
    },
  );
}
