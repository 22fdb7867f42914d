import type { FastifyInstance } from 'fastify';
import { canReadModule, canSeeReadJob } from '../../auth/scopes.js';
import { resultBlobKey } from '../../blobs/result-key.js';
import type { ApiVersion } from '../../domain/api-versions.js';
import { catalogueFor } from '../../domain/org-schema.js';
import { validateReadRequest } from '../../domain/read-request.js';
import type { Job } from '../../domain/types.js';
import { EgressPolicy } from '../../egress/egress-policy.js';
import { ZohoError } from '../../errors/zoho-error.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { parseJsonBody } from '../json-body.js';
import { queuedJob, refuseCallbackTarget } from '../queued-job.js';
import { readPageToken } from '../page-token.js';
import { readTokenModule, toReadCreateSuccess, toReadJobDetails } from '../read-wire.js';
import { resultExpiry, sendResultZip } from './download.js';

/**
 * Zoho's Bulk Read API (docs/bulk-read.md): create a read job, its details, its result zip. Read jobs
 * are jobs of the one queue (operation "read"); a worker writes the zip (jobs/process-bulk-read.ts).
 */

/** The body as JSON; one that is not JSON is not readable (the SDKs' bulk read enum). */
function parseBody(body: unknown, contentType: string | undefined, version: ApiVersion): unknown {
  return parseJsonBody(
    body,
    contentType,
    version,
    () => new ZohoError('REQUEST_BODY_NOT_READABLE', { details: { json_path: '$' } }),
  );
}

export function registerBulkReadRoutes(app: FastifyInstance, deps: AppDeps): void {
  const now = deps.now ?? Date.now;
  const { callback } = deps.config;
  const egress = new EgressPolicy({ bindHost: deps.config.host, allow: callback.allow, deny: callback.deny });
  const expired = resultExpiry(deps);

  /**
   * The org's read job by id; another org's, a write job's or a malformed id answer as unknown. The token
   * opens it with the bulk read scope or with read access to the job's module.
   */
  async function readJob(auth: { orgId: string; scopes: readonly string[] }, jobId: string): Promise<Job> {
    const job = /^\d{1,19}$/.test(jobId) ? await deps.storage.jobs.get(auth.orgId, jobId) : undefined;
    if (!job || job.operation !== 'read') {
      throw new ZohoError('RESOURCE_NOT_FOUND', { details: { resource: 'job_id' } });
    }
    if (!canSeeReadJob(auth.scopes, await moduleScopeName(job))) throw new ZohoError('OAUTH_SCOPE_MISMATCH');
    return job;
  }

  /** A v7+ `query.page_token`: a completed page's next_page_token for this org and module, not expired. */
  function pageToken(orgId: string, text: string, module: string): { afterId: string; page: number } {
    try {
      const { afterId, page } = readPageToken(text, orgId, readTokenModule(module), now());
      return { afterId, page };
    } catch (e) {
      if (!(e instanceof ZohoError)) throw e;
      const expired = e.code === 'EXPIRED_VALUE';
      throw new ZohoError('INVALID_REQUEST', {
        message: expired
          ? 'page_token has expired: a token is valid for 24 hours'
          : `page_token is not the next_page_token of a read job of module '${module}'`,
        details: { api_name: 'page_token', json_path: '$.query.page_token', ...(expired ? { expired: true } : {}) },
      });
    }
  }

  /** The scope name of the job's module; '' when the org's schema no longer has it (only bulk scopes open it). */
  async function moduleScopeName(job: Job): Promise<string> {
    const catalogue = catalogueFor(job.orgId, await deps.storage.schemas.get(job.orgId));
    return catalogue.find({ apiName: job.read!.module.apiName })?.scopeName ?? '';
  }

  app.post('/crm/bulk/:version/read', { config: { scope: 'bulk.read' } }, async (req, reply) => {
    const { apiVersion: version, auth } = req;
    const org = await deps.storage.orgs.get(auth.orgId);
    const user = org && (await deps.storage.orgs.getUser(org.id, { id: auth.userId }));
    if (!org || !user) throw new ZohoError('INVALID_TOKEN');

    const body = parseBody(req.body, req.headers['content-type'], version);
    const catalogue = catalogueFor(org.id, await deps.storage.schemas.get(org.id));
    const spec = validateReadRequest(body, {
      version,
      catalogue,
      perPage: deps.config.readPageSize,
      readPageToken: (text, module) => pageToken(org.id, text, module),
    });
    // Read access to the module is known only once the body names it.
    const module = catalogue.find({ apiName: spec.read.module.apiName })!;
    if (!canReadModule(auth.scopes, module.scopeName)) throw new ZohoError('OAUTH_SCOPE_MISMATCH');
    await refuseCallbackTarget(egress, spec.callback, version);

    const job = queuedJob(spec, {
      id: (await deps.storage.reserveIds(1)).toString(),
      orgId: org.id,
      version,
      createdAt: now(),
      createdBy: user,
      fileName: `${spec.read.module.apiName}.csv`,
    });
    await deps.storage.jobs.create(job);
    deps.onJobCreated?.(job.id);
    return reply
      .code(201)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(toReadCreateSuccess(job, org, version)));
  });

  app.get<{ Params: { jobId: string } }>(
    '/crm/bulk/:version/read/:jobId',
    { config: { scope: 'bulk.read.job' } },
    async (req, reply) => {
      const { apiVersion: version, auth } = req;
      const job = await readJob(auth, req.params.jobId);
      const org = await deps.storage.orgs.get(auth.orgId);
      if (!org) throw new ZohoError('RESOURCE_NOT_FOUND', { details: { resource: 'job_id' } });
      const body = { data: [toReadJobDetails(job, org, version)] };
      return reply.code(200).header('content-type', JSON_TYPE).send(JSON.stringify(body));
    },
  );

  app.get<{ Params: { jobId: string } }>(
    '/crm/bulk/:version/read/:jobId/result',
    { config: { scope: 'bulk.read.job' } },
    async (req, reply) => {
      const { auth } = req;
      const job = await readJob(auth, req.params.jobId);
      const key = resultBlobKey(job.orgId, job.id);
      const size = job.resultReady && !expired(job.finishedAt) ? await deps.blobs.size(key) : null;
      if (size === null) throw new ZohoError('RESOURCE_NOT_FOUND', { details: { resource: 'result' } });
      return sendResultZip(reply, deps.blobs, key, job.id, size);
    },
  );
}
