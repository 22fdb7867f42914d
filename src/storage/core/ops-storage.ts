import type { JobSpec } from '../../domain/types.js';
import { toJob } from './job-rows.js';
import type { OpsStorage } from '../storage.js';
import type { OpsDialect } from './sql-dialect.js';

/**
 * Storage.ops on a dialect. Not org-scoped by design: the operator sees the whole store, and nothing
 * here answers a client. Deletions run statement by statement in an order that leaves nothing
 * half-done if the process stops between two (see each method), so no transaction is needed.
 */
export function createOpsStorage(d: OpsDialect): OpsStorage {
  return {
    async pendingMigrations() {
      const applied = new Set((await d.rows('migrationsApplied', [])).map((r) => String(r.name)));
      return d.migrationNames.filter((name) => !applied.has(name));
    },
    async jobStats(now) {
      const byStatus: Record<string, number> = {};
      for (const r of await d.rows('jobCounts', [])) byStatus[String(r.status)] = Number(r.n);
      const oldest = (await d.rows('oldestQueued', []))[0]?.t;
      const expired = (await d.rows('leasesExpired', [now]))[0]?.n;
      return {
        byStatus,
        oldestQueuedAt: oldest === null || oldest === undefined ? null : Number(oldest),
        leasesExpired: Number(expired ?? 0),
      };
    },
    poolStats: () => d.poolStats(),
    async expiredFiles(before, limit) {
      const rows = await d.rows('filesCreatedBefore', [before, limit]);
      if (rows.length === 0) return [];
      // A file an unfinished job still reads is kept, however old: the job would fail without it.
      // Unfinished jobs are few (the queue), so their specs are read whole.
      const inUse = new Set<string>();
      for (const r of await d.rows('unfinishedSpecs', [])) {
        const spec = JSON.parse(String(r.spec)) as JobSpec;
        for (const res of spec.resources) inUse.add(`${String(r.org_id)}/${res.fileId}`);
      }
      return rows
        .map((r) => ({ orgId: String(r.org_id), fileId: String(r.id), blobKey: String(r.blob_key) }))
        .filter((f) => !inUse.has(`${f.orgId}/${f.fileId}`));
    },
    async deleteFile(orgId, fileId) {
      await d.changes('fileDelete', [orgId, fileId]);
    },
    async expiredResults(before, limit) {
      return (await d.rows('resultsFinishedBefore', [before, limit])).map((r) => ({
        orgId: String(r.org_id),
        jobId: String(r.id),
      }));
    },
    async purgeResults(jobId, now) {
      // Outcomes first, then the mark: stopped between the two, the next sweep finds the job again.
      await d.changes('resultChunksDelete', [jobId]);
      await d.changes('resultSummariesDelete', [jobId]);
      await d.changes('resultsPurged', [now, jobId]);
    },
    async expiredJobs(before, limit) {
      return (await d.rows('jobsFinishedBefore', [before, limit])).map((r) => ({
        orgId: String(r.org_id),
        jobId: String(r.id),
      }));
    },
    async deleteJob(jobId) {
      // The callback journal and a settled outbox row go with their job (a pending one is left for
      // delivery); both first, while the job row still names the org their index starts with.
      await d.changes('callbackAttemptsOfJobDelete', [jobId, jobId]);
      await d.changes('callbackOutboxSettledDelete', [jobId]);
      await d.changes('resultChunksDelete', [jobId]);
      await d.changes('resultSummariesDelete', [jobId]);
      await d.changes('jobDelete', [jobId]);
    },
    async jobsPage({ orgId, status, after }, limit) {
      const org = orgId ?? null;
      const st = status ?? null;
      // Before every stored job: later than any time, and above every 19-digit id.
      const at = after ?? { createdAt: Number.MAX_SAFE_INTEGER, id: '9'.repeat(20) };
      const rows = await d.rows('jobsPage', [org, org, st, st, at.createdAt, at.createdAt, at.id, limit]);
      return rows.map(toJob);
    },
  };
}
