import type { FastifyInstance } from 'fastify';
import { canWriteModule } from '../../auth/scopes.js';
import type { ApiVersion } from '../../domain/api-versions.js';
import { refusedCallbackUrl, requestedFileIds, validateJobRequest } from '../../domain/job-request.js';
import { resolveAll } from '../../egress/callback-post.js';
import { callbackUrlRefusal, EgressPolicy } from '../../egress/egress-policy.js';
import { catalogueFor } from '../../domain/org-schema.js';
import { tighter } from '../../domain/org-limits.js';
import type { Job, UploadedFile } from '../../domain/types.js';
import { ZohoError } from '../../errors/zoho-error.js';
import { presentationOf, type AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';
import { bindJobFaults } from '../job-faults.js';
import { toCreateSuccess, toJobDetails } from '../wire.js';

/**
 * The create-job body. v8 (Zoho's OpenAPI file) answers a body sent as another media type than JSON
 * with REQUEST_BODY_NOT_SUPPORTED and one that is not JSON with INVALID_REQUEST ("malformed"); earlier
 * versions say INVALID_DATA for a body that is not JSON, whatever its type.
 */
function parseBody(body: unknown, contentType: string | undefined, version: ApiVersion): unknown {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (version.openApiCodes && type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new ZohoError('REQUEST_BODY_NOT_SUPPORTED', {
      message: `the request body must be application/json, not ${type}`,
      details: { content_type: type, supported_content_types: ['application/json'] },
    });
  }
  if (typeof body !== 'string') return body;
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    const code = version.openApiCodes ? 'INVALID_REQUEST' : 'INVALID_DATA';
    throw new ZohoError(code, { message: 'the request body is not valid JSON', details: { json_path: '$' } });
  }
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
      if (!canWriteModule(auth.scopes, module.scopeName, spec.operation)) throw new ZohoError('OAUTH_SCOPE_MISMATCH');
    }
    // Refused now when the URL already names a target the egress policy refuses; checked again at send time.
    if (spec.callback) {
      const refusal = await callbackUrlRefusal(egress, spec.callback.url, resolveAll);
      if (refusal) throw refusedCallbackUrl(version, refusal);
    }

    const job: Job = {
      ...spec,
      id: (await deps.storage.reserveIds(1)).toString(),
      orgId: org.id,
      apiVersion: version.name,
      status: 'ADDED',
      createdAt: now(),
      createdBy: user,
      counts: { added: 0, updated: 0, skipped: 0, total: 0 },
      resourceCounts: null,
      fileName: spec.resources[0]!.csvName ?? files.get(spec.resources[0]!.fileId)!.csvName,
      checkpointRow: 0,
      failure: null,
      resultReady: false,
      finishedAt: null,
    };
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
      if (!job || !org) throw new ZohoError('RESOURCE_NOT_FOUND');
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
