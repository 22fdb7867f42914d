import type { OpsStatement } from '../core/sql-dialect.js';

/** The operator's statements in SQLite (core/ops-storage.ts); `?` in the order of the core's parameters. */
export const SQLITE_OPS_SQL: Record<OpsStatement, string> = {
  migrationsApplied: 'SELECT name FROM schema_migrations',
  jobCounts: 'SELECT status, count(*) AS n FROM jobs GROUP BY status',
  oldestQueued: "SELECT min(created_at) AS t FROM jobs WHERE status = 'ADDED'",
  leasesExpired: "SELECT count(*) AS n FROM jobs WHERE status = 'INPROGRESS' AND lease_expires_at < ?",
  filesCreatedBefore: 'SELECT org_id, id, blob_key FROM files WHERE created_at < ? ORDER BY created_at LIMIT ?',
  unfinishedSpecs: "SELECT org_id, spec FROM jobs WHERE status IN ('ADDED', 'INPROGRESS')",
  fileDelete: 'DELETE FROM files WHERE org_id = ? AND id = ?',
  resultsFinishedBefore: `SELECT org_id, id FROM jobs WHERE finished_at < ? AND results_purged_at IS NULL
                          ORDER BY finished_at LIMIT ?`,
  resultChunksDelete: 'DELETE FROM job_result_chunks WHERE job_id = ?',
  resultSummariesDelete: 'DELETE FROM job_result_summaries WHERE job_id = ?',
  resultsPurged: 'UPDATE jobs SET results_purged_at = ? WHERE id = ? AND finished_at IS NOT NULL',
  jobsFinishedBefore: 'SELECT org_id, id FROM jobs WHERE finished_at < ? ORDER BY finished_at LIMIT ?',
  jobDelete: 'DELETE FROM jobs WHERE id = ? AND finished_at IS NOT NULL',
  callbackAttemptsOfJobDelete:
    'DELETE FROM callback_attempts WHERE org_id = (SELECT org_id FROM jobs WHERE id = ?) AND job_id = ?',
  callbackOutboxSettledDelete: "DELETE FROM callback_outbox WHERE job_id = ? AND state <> 'pending'",
  jobsPage: `SELECT * FROM jobs WHERE (? IS NULL OR org_id = ?) AND (? IS NULL OR status = ?)
               AND (created_at < ? OR (created_at = ? AND id < ?))
             ORDER BY created_at DESC, id DESC LIMIT ?`,
};
