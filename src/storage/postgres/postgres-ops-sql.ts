import type { OpsStatement } from '../core/sql-dialect.js';

/** The operator's statements in PostgreSQL (core/ops-storage.ts); `$n` is the core's n-th parameter. */
export const POSTGRES_OPS_SQL: Record<OpsStatement, string> = {
  migrationsApplied: 'SELECT name FROM schema_migrations',
  jobCounts: 'SELECT status, count(*) AS n FROM jobs GROUP BY status',
  oldestQueued: "SELECT min(created_at) AS t FROM jobs WHERE status = 'ADDED'",
  leasesExpired: "SELECT count(*) AS n FROM jobs WHERE status = 'INPROGRESS' AND lease_expires_at < $1",
  filesCreatedBefore: 'SELECT org_id, id, blob_key FROM files WHERE created_at < $1 ORDER BY created_at LIMIT $2',
  unfinishedSpecs: "SELECT org_id, spec FROM jobs WHERE status IN ('ADDED', 'INPROGRESS')",
  fileDelete: 'DELETE FROM files WHERE org_id = $1 AND id = $2',
  resultsFinishedBefore: `SELECT org_id, id FROM jobs WHERE finished_at < $1 AND results_purged_at IS NULL
                          ORDER BY finished_at LIMIT $2`,
  resultChunksDelete: 'DELETE FROM job_result_chunks WHERE job_id = $1',
  resultSummariesDelete: 'DELETE FROM job_result_summaries WHERE job_id = $1',
  resultsPurged: 'UPDATE jobs SET results_purged_at = $1 WHERE id = $2 AND finished_at IS NOT NULL',
  jobsFinishedBefore: 'SELECT org_id, id FROM jobs WHERE finished_at < $1 ORDER BY finished_at LIMIT $2',
  jobDelete: 'DELETE FROM jobs WHERE id = $1 AND finished_at IS NOT NULL',
  callbackAttemptsOfJobDelete:
    'DELETE FROM callback_attempts WHERE org_id = (SELECT org_id FROM jobs WHERE id = $1) AND job_id = $2',
  callbackOutboxSettledDelete: "DELETE FROM callback_outbox WHERE job_id = $1 AND state <> 'pending'",
  jobsPage: `SELECT * FROM jobs WHERE ($1::text IS NULL OR org_id = $2) AND ($3::text IS NULL OR status = $4)
               AND (created_at < $5 OR (created_at = $6 AND id < $7))
             ORDER BY created_at DESC, id DESC LIMIT $8`,
};
