import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Blobs } from '../../blobs/blobs.js';
import { resultBlobKey } from '../../blobs/result-key.js';
import type { AppDeps } from '../deps.js';
import { JSON_TYPE } from '../error-handler.js';

/** The download server's answer for a link that is not (or no longer) valid. */
const LINK_NOT_VALID = JSON.stringify({ info: 'Forbidden', 'x-info': 'Link not valid', http_status: '403' });

const HOUR_MS = 3_600_000;

/**
 * A finished job's result is served for BULKWRITE_RESULT_RETENTION_HOURS (Zoho's v8 OpenAPI file: seven
 * days), then answers as any link that is not valid; the janitor removes the zip afterwards.
 */
export function resultExpiry(deps: AppDeps): (finishedAt: number | null) => boolean {
  const now = deps.now ?? Date.now;
  return (finishedAt) =>
    deps.config.resultRetentionHours > 0 &&
    finishedAt !== null &&
    now() >= finishedAt + deps.config.resultRetentionHours * HOUR_MS;
}

export function registerDownloadRoutes(app: FastifyInstance, deps: AppDeps): void {
  const expired = resultExpiry(deps);
  app.get<{ Params: { dl: string; orgId: string; jobId: string; fileName: string } }>(
    '/:dl/crm/:orgId/bulk-write/:jobId/:fileName',
    { config: { scope: 'bulk' } },
    async (req, reply) => {
      const { auth } = req;
      const { jobId, fileName } = req.params;
      // Zoho's v7 docs show the org as `org{zgid}`; its other samples as the bare zgid.
      const orgId = req.params.orgId.replace(/^org(?=\d)/, '');
      const job =
        orgId === auth.orgId && /^\d{1,19}$/.test(jobId) ? await deps.storage.jobs.get(orgId, jobId) : undefined;
      // A bulk read job's zip is downloaded at its own path (routes/bulk-read.ts).
      if (job?.operation === 'read') return reply.code(403).header('content-type', JSON_TYPE).send(LINK_NOT_VALID);
      const key = resultBlobKey(orgId, jobId);
      const size =
        job?.resultReady && fileName === `${jobId}.zip` && !expired(job.finishedAt) ? await deps.blobs.size(key) : null;
      if (!job || size === null) return reply.code(403).header('content-type', JSON_TYPE).send(LINK_NOT_VALID);
      return sendResultZip(reply, deps.blobs, key, jobId, size);
    },
  );
}

/** A job's result zip as the download server sends it (also the console's download). */
export function sendResultZip(
  reply: FastifyReply,
  blobs: Blobs,
  key: string,
  jobId: string,
  size: number,
): FastifyReply {
  return reply
    .code(200)
    .header('content-type', 'application/zip')
    .header('content-disposition', `attachment; filename="${jobId}.zip"`)
    .header('content-length', String(size))
    .send(blobs.read(key));
}
