import type { ApiVersion } from '../domain/api-versions.js';
import { refusedCallbackUrl } from '../domain/job-request.js';
import type { Job, JobSpec, User } from '../domain/types.js';
import { resolveAll } from '../egress/callback-post.js';
import { callbackUrlRefusal, type EgressPolicy } from '../egress/egress-policy.js';

/** Refuses a callback now when its URL already names a target the egress policy refuses; checked again at send time. */
export async function refuseCallbackTarget(
  egress: EgressPolicy,
  callback: JobSpec['callback'],
  version: ApiVersion,
): Promise<void> {
  if (!callback) return;
  const refusal = await callbackUrlRefusal(egress, callback.url, resolveAll);
  if (refusal) throw refusedCallbackUrl(version, refusal);
}

/** A job as a create route stores it: ADDED, nothing done yet (bulk write and bulk read alike). */
export function queuedJob(
  spec: JobSpec,
  at: { id: string; orgId: string; version: ApiVersion; createdAt: number; createdBy: User; fileName: string },
): Job {
  return {
    ...spec,
    id: at.id,
    orgId: at.orgId,
    apiVersion: at.version.name,
    status: 'ADDED',
    createdAt: at.createdAt,
    createdBy: at.createdBy,
    counts: { added: 0, updated: 0, skipped: 0, total: 0 },
    resourceCounts: null,
    fileName: at.fileName,
    checkpointRow: 0,
    failure: null,
    resultReady: false,
    startedAt: null,
    finishedAt: null,
  };
}
