import { apiVersionOf, type ApiVersion } from '../domain/api-versions.js';
import { pageSizeOf } from '../domain/read-request.js';
import { toZohoTime } from '../domain/time.js';
import type { Job, JobStatus, Org, ReadCriteria, ReadQuery } from '../domain/types.js';
import { PAGE_TOKEN_TTL_MS, writePageToken } from './page-token.js';
import { toCreatedBy, toJobDetails } from './wire.js';

/**
 * Bulk read jobs ⇄ Zoho's JSON (docs/bulk-read.md): the create answer, the job details (GET and the
 * callback) and the result link. Key order follows Zoho's samples.
 */

/** Zoho spells a job's states so in bulk read answers (its docs and the SDKs' `state` enum). */
const STATE: Record<JobStatus, string> = {
  ADDED: 'ADDED',
  INPROGRESS: 'IN PROGRESS',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILURE',
};

/** Where a read job's zip is downloaded: relative, as Zoho gives it, under the version asked in. */
export function readResultPath(jobId: string, version: ApiVersion): string {
  return `/crm/bulk/${version.name}/read/${jobId}/result`;
}

function toCriteria(c: ReadCriteria): unknown {
  if ('group' in c) return { group_operator: c.groupOperator, group: c.group.map(toCriteria) };
  return c.byField
    ? { field: { api_name: c.apiName }, comparator: c.comparator, value: c.value }
    : { api_name: c.apiName, comparator: c.comparator, value: c.value };
}

/** The `query` echoed: module (a string in v2), the fields and criteria when asked, the page (and v7+ its token). */
function toQuery(q: ReadQuery, version: ApiVersion) {
  return {
    module: version.moduleAsString ? q.module.apiName : { id: q.module.id, api_name: q.module.apiName },
    ...(q.fields ? { fields: q.fields } : {}),
    ...(q.criteria ? { criteria: toCriteria(q.criteria) } : {}),
    page: q.page,
    ...(version.readPageTokens && q.pageToken ? { page_token: q.pageToken } : {}),
  };
}

/**
 * Bulk read page tokens are records-list page tokens (api/page-token.ts: a position, org, module, page
 * and expiry) made for `read/{module}`, so that one kind is never taken for the other.
 */
export const readTokenModule = (module: string) => `read/${module}`;

/** v7+: the token of the page after a completed one, while more records follow; valid 24 hours from its end. */
function nextPageToken(job: Job): string | null {
  const r = job.readResult!;
  if (!r.moreRecords || !r.lastId) return null;
  return writePageToken({
    orgId: job.orgId,
    module: readTokenModule(job.read!.module.apiName),
    afterId: r.lastId,
    page: job.read!.page + 1,
    expiresAt: (job.finishedAt ?? job.createdAt) + PAGE_TOKEN_TTL_MS,
  });
}

export function toReadCreateSuccess(job: Job, org: Org, version: ApiVersion) {
  return {
    data: [
      {
        status: 'success',
        code: 'ADDED_SUCCESSFULLY',
        message: 'Added successfully.',
        details: {
          id: job.id,
          operation: 'read',
          state: STATE[job.status],
          created_by: toCreatedBy(job.createdBy, version),
          created_time: toZohoTime(job.createdAt, org.timeZone),
        },
      },
    ],
    info: {},
  };
}

/** One read job as GET /crm/bulk/{version}/read/{id} lists it in `data` (and as its callback posts it). */
export function toReadJobDetails(job: Job, org: Org, version: ApiVersion = apiVersionOf(job.apiVersion)) {
  const query = job.read!;
  const done = job.status === 'COMPLETED' && job.readResult;
  return {
    id: job.id,
    operation: 'read',
    state: STATE[job.status],
    query: toQuery(query, version),
    created_by: toCreatedBy(job.createdBy, version),
    created_time: toZohoTime(job.createdAt, org.timeZone),
    ...(done
      ? {
          result: {
            page: query.page,
            count: job.readResult!.count,
            download_url: readResultPath(job.id, version),
            per_page: pageSizeOf(query),
            more_records: job.readResult!.moreRecords,
            ...(version.readPageTokens ? { next_page_token: nextPageToken(job) } : {}),
          },
        }
      : {}),
    file_type: query.fileType,
  };
}

/** A finished job's details as its callback posts them: a read job's as GET lists it, a write job's as GET answers it. */
export function renderJobDetails(job: Job, org: Org, downloadBase: string): unknown {
  return job.operation === 'read' ? toReadJobDetails(job, org) : toJobDetails(job, org, downloadBase);
}
