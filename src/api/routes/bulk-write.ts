import type { FastifyInstance } from 'fastify';
import { canWriteModule } from '../../auth/scopes.js';
import type { ApiVersion } from '../../domain/api-versions.js';
import { requestedFileIds, validateJobRequest } from '../../domain/job-request.js';
import { EgressPolicy } from '../../egress/egress-policy.js';
import { catalogueFor } from '../../domain/org-schema.js';
import { tighter } from '../../domain/org-limits.js';
import { writeOperationOf, type Job, type UploadedFile } from '../../domain/types.js';
import { ZohoError } from '../../errors/zoho-error.js';
import { presentationOf, type AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { parseJsonBody } from '../json-body.js';
import { bindJobFaults } from '../job-faults.js';
import { queuedJob, refuseCallbackTarget } from '../queued-job.js';
import { toCreateSuccess, toJobDetails } from '../wire.js';

/**
 * The create-job body. v8 (Zoho's OpenAPI file) answers one that is not JSON with INVALID_REQUEST
 * ("malformed"); earlier versions say INVALID_DATA, whatever its type.
 */
function parseBody(body: unknown, contentType: string | undefined, version: ApiVersion): unknown {
  return parseJsonBody(body, contentType, version, () =>
    version.openApiCodes
      ? new ZohoError('INVALID_REQUEST', { message: 'the request body is not valid JSON', details: { json_path: '$' } })
      : new ZohoError('INVALID_DATA', { message: 'the request body is not valid JSON', details: { json_path: '$' } }),
  );
}

/** A rendered job-details body and what it was rendered for, besides the job. */
interface RenderedDetails {
  version: ApiVersion;
  timeZone: string;
  downloadBase: string;
  body: string;
}

export function registerBulkWriteRoutes(app: FastifyInstance, deps: AppDeps): void {
  const now = deps.now ?? Date.now;
  // A frozen job cannot change (the store hands out one frozen object per finished job, read-cache.ts),
  // so its answer is rendered once per version, time zone and download origin, not on every poll.
  const rendered = new WeakMap<Job, RenderedDetails>();
  const { callback } = deps.config;
  const egress = new EgressPolicy({ bindHost: deps.config.host, allow: callback.allow, deny: callback.deny });

  app.post('/crm/bulk/:version/write', { config: { scope: 'bulk' } }, async (req, reply) => {
    const { apiVersion: version, auth } = req;
    const org = await deps.storage.orgs.get(auth.orgId);
    const user = org && (await deps.storage.orgs.getUser(org.id, { id: auth.userId }));
    if (!org || !user) throw new ZohoError('INVALID_TOKEN');

    const body = parseBody(req.body, req.headers['content-type'], version);
    const files = new Map<string, UploadedFile>();
    for (const id of requestedFileIds(body)) {
      const file = /^\d{1,19}$/.test(id) ? await deps.storage.files.get(org.id, id) : undefined;
      if (file) files.set(id, file);
    }
    const catalogue = catalogueFor(org.id, await deps.storage.schemas.get(org.id));
    const spec = validateJobRequest(body, {
      files,
      limits: {
        maxRows: tighter(deps.config.limits.maxRows, req.orgLimits?.maxRows),
        maxColumns: tighter(deps.config.limits.maxColumns, req.orgLimits?.maxColumns),
      },
      version,
      catalogue,
    });
    // Write access to a module is known only once the body names it.
    for (const r of spec.resources) {
      const module = catalogue.find({ apiName: r.module.apiName })!;
      if (!canWriteModule(auth.scopes, module.scopeName, writeOperationOf(spec)))
        throw new ZohoError('OAUTH_SCOPE_MISMATCH');
    }
    await refuseCallbackTarget(egress, spec.callback, version);

    const job = queuedJob(spec, {
      id: (await deps.storage.reserveIds(1)).toString(),
      orgId: org.id,
      version,
      createdAt: now(),
      createdBy: user,
      fileName: spec.resources[0]!.csvName ?? files.get(spec.resources[0]!.fileId)!.csvName,
    });
    await bindJobFaults(deps.storage, org.id, job.id);
    await deps.storage.jobs.create(job);
    deps.onJobCreated?.(job.id);
    return reply
      .code(201)
      .header('content-type', JSON_TYPE)
      .send(JSON.stringify(toCreateSuccess(job, version)));
  });

  app.get<{ Params: { jobId: string } }>(
    '/crm/bulk/:version/write/:jobId',
    { config: { scope: 'bulk' } },
    async (req, reply) => {
      const { apiVersion: version, auth } = req;
      const jobId = req.params.jobId;
      const job = /^\d{1,19}$/.test(jobId) ? await deps.storage.jobs.get(auth.orgId, jobId) : undefined;
      const org = job && (await deps.storage.orgs.get(auth.orgId));
      // A bulk read job's id is unknown here, as another org's is (its details: routes/bulk-read.ts).
      if (!job || !org || job.operation === 'read') throw new ZohoError('RESOURCE_NOT_FOUND');
      const { downloadBase } = presentationOf(deps);
      let details = rendered.get(job);
      if (
        details === undefined ||
        details.version !== version ||
        details.timeZone !== org.timeZone ||
        details.downloadBase !== downloadBase
      ) {
        const body = JSON.stringify(toJobDetails(job, org, downloadBase, version));
        details = { version, timeZone: org.timeZone, downloadBase, body };
        if (Object.isFrozen(job)) rendered.set(job, details);
      }
      return reply.code(200).header('content-type', JSON_TYPE).send(details.body);
    },
  );
}
