import type { Job, JobSpec, ReadResult, ResourceCounts, User } from '../../domain/types.js';
import { deepFreeze } from '../deep-freeze.js';
import { packResults, summariseResults } from '../packed-results.js';
import type { ChunkCommit } from '../storage.js';
import type { Params, Row } from './sql-dialect.js';

/** The columns of a job row that never change after it is created, parsed; frozen, since jobs.get shares it. */
export interface JobHead {
  id: string;
  orgId: string;
  apiVersion: string;
  spec: JobSpec;
  createdAt: number;
  createdBy: User;
  fileName: string;
}

export function toJobHead(r: Row): JobHead {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    apiVersion: String(r.api_version),
    spec: deepFreeze(JSON.parse(String(r.spec)) as JobSpec),
    createdAt: Number(r.created_at),
    createdBy: deepFreeze(JSON.parse(String(r.created_by)) as User),
    fileName: String(r.file_name),
  };
}

/** A job from its head and the changing columns of its row (status, counters, checkpoint, outcome). */
export function withState(head: JobHead, r: Row): Job {
  const added = Number(r.added);
  const updated = Number(r.updated);
  const skipped = Number(r.skipped);
  return {
    ...head.spec,
    id: head.id,
    orgId: head.orgId,
    apiVersion: head.apiVersion,
    status: r.status as Job['status'],
    createdAt: head.createdAt,
    createdBy: head.createdBy,
    counts: { added, updated, skipped, total: added + updated + skipped },
    resourceCounts: r.resource_counts ? (JSON.parse(String(r.resource_counts)) as ResourceCounts[]) : null,
    fileName: head.fileName,
    checkpointRow: Number(r.checkpoint_row),
    failure: r.failure_code ? { code: String(r.failure_code), message: String(r.failure_message ?? '') } : null,
    resultReady: Number(r.result_ready) === 1,
    startedAt: r.started_at === null || r.started_at === undefined ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    ...(typeof r.read_result === 'string' ? { readResult: JSON.parse(r.read_result) as ReadResult } : {}),
  };
}

export const toJob = (r: Row): Job => withState(toJobHead(r), r);

/** What a job was asked to do: the part of it stored as one JSON document. */
function specOf(job: Job): JobSpec {
  return {
    operation: job.operation,
    characterEncoding: job.characterEncoding,
    ignoreEmpty: job.ignoreEmpty,
    ignoreEmptyGiven: job.ignoreEmptyGiven,
    callback: job.callback,
    resources: job.resources,
    ...(job.read ? { read: job.read } : {}),
  };
}

/** jobs (id, org_id, api_version, spec, status, created_at, created_by, file_name) */
export const jobInsertParams = (job: Job): Params => [
  job.id,
  job.orgId,
  job.apiVersion,
  JSON.stringify(specOf(job)),
  job.status,
  job.createdAt,
  JSON.stringify(job.createdBy),
  job.fileName,
];

/**
 * A chunk's change to its job row: counters added (added, updated, skipped), then checkpoint, lease,
 * resource counts (or null to keep them), and the guard (job, worker, a checkpoint below the new one).
 */
export const jobAdvanceParams = (c: ChunkCommit): Params => [
  c.added,
  c.updated,
  c.skipped,
  c.checkpointRow,
  c.leaseUntil,
  c.resourceCounts ? JSON.stringify(c.resourceCounts) : null,
  c.jobId,
  c.workerId,
  c.checkpointRow,
];

/**
 * job_result_chunks (job_id, first_row, last_row, data) for a chunk that has results, then its
 * job_result_summaries row's own columns (skipped, codes).
 */
export function resultChunkParams(c: ChunkCommit): Params {
  const packed = packResults(c.jobId, c.results);
  const summary = summariseResults(c.results);
  return [c.jobId, packed.firstRow, packed.lastRow, packed.data, summary.skipped, JSON.stringify(summary.codes)];
}
