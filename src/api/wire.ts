import { toZohoTime } from '../domain/time.js';
import type { Job, Org, UploadedFile } from '../domain/types.js';

/** Domain values ⇄ Zoho's JSON. Key order follows Zoho's samples (the seed), since users diff bodies. */

export function downloadPath(orgId: string, jobId: string): string {
  return `/v2/crm/${orgId}/bulk-write/${jobId}/${jobId}.zip`;
}

export function toUploadSuccess(file: UploadedFile, org: Org) {
  return {
    status: 'success',
    code: 'FILE_UPLOAD_SUCCESS',
    message: 'file uploaded.',
    details: { file_id: file.id, created_time: toZohoTime(file.createdAt, org.timeZone) },
  };
}

export function toCreateSuccess(job: Job) {
  return {
    status: 'success',
    code: 'SUCCESS',
    message: 'success',
    details: { id: job.id, created_by: { id: job.createdBy.id, name: job.createdBy.name } },
  };
}

function fileStatus(job: Job) {
  const counts = {
    added_count: job.counts.added,
    skipped_count: job.counts.skipped,
    updated_count: job.counts.updated,
    total_count: job.counts.total,
  };
  if (job.status === 'ADDED') return { status: 'ADDED', name: job.fileName };
  return { status: job.status, name: job.fileName, ...counts };
}

/** GET /crm/bulk/{version}/write/{id}: the job details, shaped as the seed's SUCCESS RESPONSE. */
export function toJobDetails(job: Job, org: Org, baseUrl: string) {
  const resourceCode = job.status === 'FAILED' ? (job.failure?.code ?? 'FAILED') : job.status;
  return {
    status: job.status,
    character_encoding: job.characterEncoding,
    resource: job.resources.map((r) => ({
      status: job.status,
      type: r.type,
      module: { id: r.module.id, api_name: r.module.apiName },
      ...(r.findBy !== null ? { find_by: r.findBy } : {}),
      ...(r.ignoreEmpty !== null ? { ignore_empty: r.ignoreEmpty } : {}),
      field_mappings: r.fieldMappings.map((m) => ({
        api_name: m.apiName,
        index: m.index,
        format: m.format,
        find_by: m.findBy,
        module: m.module,
        default_value: m.defaultValue,
      })),
      file: fileStatus(job),
      code: resourceCode,
      ...(job.status === 'FAILED' && job.failure ? { message: job.failure.message } : {}),
    })),
    id: job.id,
    ...(job.callback ? { callback: { url: job.callback.url, method: job.callback.method } } : {}),
    ...(job.status === 'COMPLETED' && job.resultReady
      ? { result: { download_url: baseUrl + downloadPath(job.orgId, job.id) } }
      : {}),
    created_by: { id: job.createdBy.id, name: job.createdBy.name },
    ignore_empty: job.ignoreEmpty,
    operation: job.operation,
    created_time: toZohoTime(job.createdAt, org.timeZone),
  };
}

export type JobDetailsBody = ReturnType<typeof toJobDetails>;
