import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { resultBlobKey } from '../../blobs/result-key.js';
import type { Job, JobStatus } from '../../domain/types.js';
import { ZohoError } from '../../errors/zoho-error.js';
import { sameKey } from '../admin/admin-access.js';
import { badField, jsonBody, orgJson, orgOf, sendJson } from '../admin/admin-wire.js';
import { presentationOf, type AppDeps } from '../deps.js';
import { sendResultZip } from '../routes/download.js';
import { toJobDetails } from '../wire.js';
import { CSRF_COOKIE, SESSION_COOKIE, SESSION_PATH, newCsrfCookie, type ConsoleSessions } from './console-session.js';
import { countErrorCodes, keepAtMost, scanRows } from './result-rows.js';
import { CONSOLE_SCOPES, consoleTokens } from './console-tokens.js';

/**
 * The web console (docs/console.md): its built page and assets at /console/ (dist/console, from
 * console/), a browser's `/` sent there, and its JSON under /_bulkwrite/console/. Every route is marked
 * `config.admin`, so the admin rule (admin-access.ts) guards it; what changes state goes through the
 * admin API and the Zoho API as every client does. Each answer is one page of a bounded size.
 */

/** Where `npm run build` puts the console (dist/console), seen from dist/src/api/console/. */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../../../console/', import.meta.url));

const STATUSES: readonly JobStatus[] = ['ADDED', 'INPROGRESS', 'COMPLETED', 'FAILED'];
const MAX_PAGE = 200;
/** Jobs read per list call at most while filtering by module or operation (filters the store cannot index). */
const MAX_JOBS_SCANNED = 2_000;
const MAX_ROW_PAGE = 500;
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

type Query = Record<string, string | undefined>;

function intParam(q: Query, name: string, dflt: number, min: number, max: number): number {
  const raw = q[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw badField(name, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function idParam(q: Query, name: string): string | undefined {
  const raw = q[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,19}$/.test(raw)) throw badField(name, `${name} must be an id of digits`);
  return raw;
}

/** `after`: `<created_at>_<job id>` of the last job of the previous page. */
function cursorParam(q: Query): { createdAt: number; id: string } | undefined {
  const raw = q.after;
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d{1,16})_(\d{1,19})$/.exec(raw);
  if (!m) throw badField('after', 'after must be the next cursor of the previous page');
  return { createdAt: Number(m[1]), id: m[2]! };
}

function modulesOf(job: Job): string[] {
  return job.resources.map((r) => r.module.apiName);
}

export function consoleRoutes(deps: AppDeps, sessions: ConsoleSessions): FastifyPluginAsync {
  const adminKey = deps.config.adminKey;
  const now = deps.now ?? Date.now;
  const tokens = consoleTokens(deps.storage, deps.config.tokenTtlSeconds, now);
  /** Rows in each unfinished job's file(s), read once per file. */
  const fileRows = new Map<string, number>();
  const rowsOf = async (job: Job): Promise<number | null> => {
    if (job.status === 'COMPLETED') return job.counts.total;
    let total = 0;
    for (const r of job.resources) {
      if (r.csvRows !== undefined) {
        total += r.csvRows;
        continue;
      }
      const key = `${job.orgId}/${r.fileId}`;
      let n = fileRows.get(key);
      if (n === undefined) {
        const file = await deps.storage.files.get(job.orgId, r.fileId);
        if (!file) return null;
        n = file.rowCount;
        keepAtMost(fileRows, 10_000, key, n);
      }
      total += n;
    }
    return total;
  };
  const summary = async (job: Job) => ({
    id: job.id,
    org_id: job.orgId,
    status: job.status,
    operation: job.operation,
    modules: modulesOf(job),
    file_name: job.fileName,
    api_version: job.apiVersion,
    created_time: job.createdAt,
    started_time: job.startedAt,
    finished_time: job.finishedAt,
    counts: {
      added: job.counts.added,
      updated: job.counts.updated,
      skipped: job.counts.skipped,
      processed: job.counts.total,
    },
    rows: await rowsOf(job),
    failure: job.failure,
    result_ready: job.resultReady,
  });
  const jobOf = async (orgId: string, jobId: string): Promise<Job> => {
    const job = /^\d{1,19}$/.test(jobId) ? await deps.storage.jobs.get(orgId, jobId) : undefined;
    if (!job) throw new ZohoError('RESOURCE_NOT_FOUND', { details: { job_id: jobId }, httpStatus: 404 });
    return job;
  };

  return async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), admin: true };
    });

    if (existsSync(CONSOLE_ASSETS)) {
      await app.register(fastifyStatic, {
        root: CONSOLE_ASSETS,
        prefix: '/console/',
        index: false,
        cacheControl: false,
        setHeaders: (res) => {
          res.setHeader('cache-control', 'no-cache');
          res.setHeader('content-security-policy', CSP);
          res.setHeader('x-content-type-options', 'nosniff');
          res.setHeader('referrer-policy', 'no-referrer');
        },
      });
      // The page itself; `/console` (the router ignores a trailing slash) is sent to `/console/`, so that
      // the page's relative links resolve under it.
      app.get('/console/', async (req, reply) =>
        req.url.split('?', 1)[0]!.endsWith('/') ? reply.sendFile('index.html') : reply.redirect('/console/', 301),
      );
    }

    // Signing in (docs/console.md, "Access"). GET says whether this browser is in and hands it the CSRF
    // token; without an admin key it sets the random CSRF cookie on first sight.
    app.get(SESSION_PATH, async (req, reply) => {
      let csrf = sessions.csrfToken(req);
      if (adminKey === '' && csrf === null) {
        csrf = newCsrfCookie();
        sessions.setCookie(reply, req, CSRF_COOKIE, csrf);
      }
      return sendJson(reply, 200, {
        key_required: adminKey !== '',
        signed_in: csrf !== null,
        csrf_token: csrf,
        now: now(),
      });
    });
    app.post(SESSION_PATH, async (req, reply) => {
      if (adminKey === '') return sendJson(reply, 200, { key_required: false, signed_in: true });
      const body = jsonBody(req, ['key']);
      const key = typeof body.key === 'string' ? body.key : '';
      if (key === '') throw new ZohoError('ADMIN_KEY_REQUIRED');
      if (!sameKey(key, adminKey)) throw new ZohoError('ADMIN_KEY_INVALID');
      const session = sessions.issue();
      sessions.setCookie(reply, req, SESSION_COOKIE, session);
      const withCookie = { ...req, headers: { cookie: `${SESSION_COOKIE}=${session}` } } as unknown as FastifyRequest;
      return sendJson(reply, 200, { key_required: true, signed_in: true, csrf_token: sessions.csrfToken(withCookie) });
    });
    app.delete(SESSION_PATH, async (req, reply) => {
      await tokens.forget(sessions.csrfToken(req));
      sessions.setCookie(reply, req, SESSION_COOKIE, '', true);
      return sendJson(reply, 200, { signed_in: false });
    });

    // The console's token for an org's Zoho API: one per session and org, shared by its tabs
    // (console-tokens.ts). The session is named by its CSRF token, which only its requests carry.
    app.post(
      '/_bulkwrite/console/orgs/:orgId/token',
      async (req: FastifyRequest<{ Params: { orgId: string } }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const t = await tokens.tokenFor(sessions.csrfToken(req), org);
        return sendJson(reply, 200, {
          access_token: t.token,
          expires_in: Math.max(0, Math.floor((t.expiresAt - now()) / 1000)),
          scopes: CONSOLE_SCOPES,
        });
      },
    );

    app.get('/_bulkwrite/console/jobs', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
      const q = req.query;
      const orgId = idParam(q, 'org_id');
      const status = q.status === undefined || q.status === '' ? undefined : q.status;
      if (status !== undefined && !STATUSES.includes(status as JobStatus))
        throw badField('status', `status must be one of ${STATUSES.join(', ')}`);
      const module = q.module === undefined || q.module === '' ? undefined : q.module;
      const operation = q.operation === undefined || q.operation === '' ? undefined : q.operation;
      const limit = intParam(q, 'limit', 50, 1, MAX_PAGE);
      let after = cursorParam(q);
      const filtering = module !== undefined || operation !== undefined;
      const keep = (j: Job) =>
        (module === undefined || modulesOf(j).some((m) => m.toLowerCase() === module.toLowerCase())) &&
        (operation === undefined || j.operation === operation);
      const found: Job[] = [];
      let scanned = 0;
      let more = true;
      // Unfiltered: one store read (one job more than the page says whether more follow). Filtering by
      // module or operation (not indexed): a walk of at most MAX_JOBS_SCANNED jobs that says where it stopped.
      while (more && scanned < MAX_JOBS_SCANNED) {
        const want = filtering ? 200 : limit + 1;
        const batch = await deps.storage.ops.jobsPage({ orgId, status, after }, want);
        let full = false;
        for (const j of batch) {
          if (found.length === limit) {
            full = true;
            break;
          }
          scanned++;
          after = { createdAt: j.createdAt, id: j.id };
          if (keep(j)) found.push(j);
        }
        if (full) break;
        if (batch.length < want) more = false;
      }
      const jobs = await Promise.all(found.map(summary));
      const next = more && after ? `${after.createdAt}_${after.id}` : null;
      return sendJson(reply, 200, { jobs, next, scanned });
    });

    app.get(
      '/_bulkwrite/console/orgs/:orgId/jobs/:jobId',
      async (req: FastifyRequest<{ Params: { orgId: string; jobId: string } }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const job = await jobOf(org.id, req.params.jobId);
        const callback = await deps.storage.callbacks.get(org.id, job.id);
        return sendJson(reply, 200, {
          job: await summary(job),
          org: orgJson(org),
          details: toJobDetails(job, org, presentationOf(deps).downloadBase),
          callback: callback ? { state: callback.state } : null,
          now: now(),
        });
      },
    );

    app.get(
      '/_bulkwrite/console/orgs/:orgId/jobs/:jobId/rows',
      async (req: FastifyRequest<{ Params: { orgId: string; jobId: string }; Querystring: Query }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const job = await jobOf(org.id, req.params.jobId);
        const from = intParam(req.query, 'from', 1, 1, Number.MAX_SAFE_INTEGER);
        const limit = intParam(req.query, 'limit', 100, 1, MAX_ROW_PAGE);
        const skippedOnly = req.query.skipped === '1' || req.query.skipped === 'true';
        const code = req.query.code === undefined || req.query.code === '' ? undefined : req.query.code;
        const page = await scanRows(deps.storage, job, { from, limit, skippedOnly, code });
        return sendJson(reply, 200, page);
      },
    );

    app.get(
      '/_bulkwrite/console/orgs/:orgId/jobs/:jobId/codes',
      async (req: FastifyRequest<{ Params: { orgId: string; jobId: string } }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const job = await jobOf(org.id, req.params.jobId);
        return sendJson(reply, 200, await countErrorCodes(deps.storage, job));
      },
    );

    app.get(
      '/_bulkwrite/console/orgs/:orgId/jobs/:jobId/result',
      async (req: FastifyRequest<{ Params: { orgId: string; jobId: string } }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const job = await jobOf(org.id, req.params.jobId);
        const key = resultBlobKey(org.id, job.id);
        const size = job.resultReady ? await deps.blobs.size(key) : null;
        if (size === null) throw new ZohoError('RESOURCE_NOT_FOUND', { details: { job_id: job.id }, httpStatus: 404 });
        return sendResultZip(reply, deps.blobs, key, job.id, size);
      },
    );

    app.get(
      '/_bulkwrite/console/orgs/:orgId/schema',
      async (req: FastifyRequest<{ Params: { orgId: string } }>, reply) => {
        const org = await orgOf(deps.storage, req.params.orgId);
        const schema = await deps.storage.schemas.get(org.id);
        return sendJson(reply, 200, {
          org_id: org.id,
          schema: schema ? (JSON.parse(schema.document) as unknown) : null,
          version: schema?.version ?? null,
          updated_time: schema?.updatedAt ?? null,
        });
      },
    );
  };
}
