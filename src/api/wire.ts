import { apiVersionOf, type ApiVersion } from '../domain/api-versions.js';
import { toZohoTime } from '../domain/time.js';
import type { FieldMapping, Job, JobResource, Org, UploadedFile, User } from '../domain/types.js';

/**
 * Domain values ⇄ Zoho's JSON. Key order follows Zoho's samples (the seed), since users diff bodies.
 * The few shapes that differ between API versions are decided here from the version's flags
 * (domain/api-versions.ts): a body is rendered in the version of the URL that asks for it.
 */

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

/** `created_by`: `{id, name}`, and from v8 on Zoho's MinifiedUser with `email`. */
export function toCreatedBy(user: User, version: ApiVersion) {
  return version.createdByEmail
    ? { id: user.id, name: user.name, email: user.email }
    : { id: user.id, name: user.name };
}

/** `module`: the plain API name in v2, `{id, api_name}` from v2.1 on. */
function toModule(resource: JobResource, version: ApiVersion) {
  return version.moduleAsString
    ? resource.module.apiName
    : { id: resource.module.id, api_name: resource.module.apiName };
}

/** Every key of a mapping, unset ones as null (as Zoho echoes them); v6+ adds `parent_column_index`. */
function toFieldMapping(m: FieldMapping, version: ApiVersion) {
  const echo = {
    api_name: m.apiName,
    index: m.index,
    format: m.format,
    find_by: m.findBy,
    module: m.module,
    default_value: m.defaultValue,
  };
  return version.parentChild ? { ...echo, parent_column_index: m.parentColumnIndex ?? null } : echo;
}

export function toCreateSuccess(job: Job, version: ApiVersion = apiVersionOf(job.apiVersion)) {
  return {
    status: 'success',
    code: 'SUCCESS',
    message: 'success',
    details: { id: job.id, created_by: toCreatedBy(job.createdBy, version) },
  };
}

type FileCounts = { added: number; updated: number; skipped: number; total: number };

interface ResourceState {
  status: string;
  name: string;
  counts: FileCounts;
}

function fileStatus({ status, name, counts }: ResourceState) {
  if (status === 'ADDED') return { status: 'ADDED', name };
  return {
    status,
    name,
    added_count: counts.added,
    skipped_count: counts.skipped,
    updated_count: counts.updated,
    total_count: counts.total,
  };
}

/**
 * Each resource's status, counts and file name. A one-resource job's resource is the job. In a
 * parent/child job the resources run in order: those before the one at work are COMPLETED, those after
 * it ADDED; when the job fails, the failing one is FAILED and the rest SKIPPED.
 */
function resourceStates(job: Job): ResourceState[] {
  if (job.resources.length === 1) return [{ status: job.status, name: job.fileName, counts: job.counts }];
  // The resource at work: the first whose rows are not all behind the checkpoint.
  let current = job.resources.length;
  let end = 0;
  for (let i = 0; i < job.resources.length; i++) {
    end += job.resources[i]!.csvRows ?? 0;
    if (job.checkpointRow < end) {
      current = i;
      break;
    }
  }
  if (job.status === 'FAILED') current = Math.min(current, job.resources.length - 1);
  return job.resources.map((r, i) => {
    const c = job.resourceCounts?.[i] ?? { added: 0, updated: 0, skipped: 0 };
    const counts = { ...c, total: c.added + c.updated + c.skipped };
    let status: string;
    if (job.status === 'ADDED' || job.status === 'COMPLETED') status = job.status;
    else if (i < current) status = 'COMPLETED';
    else if (job.status === 'FAILED') status = i === current ? 'FAILED' : 'SKIPPED';
    else status = i === current ? 'INPROGRESS' : 'ADDED';
    return { status, name: r.csvName ?? job.fileName, counts };
  });
}

/**
 * GET /crm/bulk/{version}/write/{id}: the job details, shaped as the seed's SUCCESS RESPONSE.
 * `downloadBase` is the origin of the result link (this server, or the data centre's download host).
 * `version` is the URL's; without one (the callback) the job is rendered in the version it was created with.
 */
export function toJobDetails(
  job: Job,
  org: Org,
  downloadBase: string,
  version: ApiVersion = apiVersionOf(job.apiVersion),
) {
  const states = resourceStates(job);
  // A FAILED resource carries the job's failure code and message; any other its status.
  const failed = (i: number) => states[i]!.status === 'FAILED';
  return {
    status: job.status,
    character_encoding: job.characterEncoding,
    resource: job.resources.map((r, i) => ({
      status: states[i]!.status,
      type: r.type,
      module: toModule(r, version),
      ...(version.parentChild && r.fileNames ? { file_names: r.fileNames } : {}),
      ...(r.findBy !== null ? { find_by: r.findBy } : {}),
      ...(r.ignoreEmpty !== null ? { ignore_empty: r.ignoreEmpty } : {}),
      field_mappings: r.fieldMappings.map((m) => toFieldMapping(m, version)),
      file: fileStatus(states[i]!),
      code: failed(i) ? (job.failure?.code ?? 'FAILED') : states[i]!.status,
      ...(failed(i) && job.failure ? { message: job.failure.message } : {}),
    })),
    id: job.id,
    ...(job.callback ? { callback: { url: job.callback.url, method: job.callback.method } } : {}),
    ...(job.resultReady ? { result: { download_url: downloadBase + downloadPath(job.orgId, job.id) } } : {}),
    created_by: toCreatedBy(job.createdBy, version),
    ignore_empty: job.ignoreEmpty,
    operation: job.operation,
    created_time: toZohoTime(job.createdAt, org.timeZone),
  };
}

export type JobDetailsBody = ReturnType<typeof toJobDetails>;
