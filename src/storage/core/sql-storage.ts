import type { RowResult } from '../../domain/types.js';
import { setBounded } from '../bounded-map.js';
import { unpackResults } from '../packed-results.js';
import { INTERRUPTED_ATTEMPT, LeaseLostError, type Storage } from '../storage.js';
import { attemptInsertParams, toCallbackAttempt, toOutboxEntry } from './callback-rows.js';
import { faultBindParams, faultInsertParams, toFaultRule, toJobEffect } from './fault-rows.js';
import { fileInsertParams, toFile } from './file-rows.js';
import { jobInsertParams, toJob, toJobHead, withState, type JobHead } from './job-rows.js';
import {
  accessInsertParams,
  clientInsertParams,
  grantInsertParams,
  refreshInsertParams,
  toAccessToken,
  toClient,
  toGrantCode,
  toRefreshToken,
} from './oauth-rows.js';
import { orgInsertParams, toOrg, toUser, userInsertParams } from './org-rows.js';
import { emailIndexKey, INDEXED_EMAIL_FIELDS } from './email-index.js';
import { recordPages } from './record-pages.js';
import { toRecord } from './record-rows.js';
import { createOpsStorage } from './ops-storage.js';
import { toSchema } from './schema-rows.js';
import type { SqlDialect } from './sql-dialect.js';

/** How many parsed job heads one store keeps (a few hundred bytes to a few KB each). */
const MAX_JOB_HEADS = 1000;

/** Storage on a SQL dialect: everything both stores do alike, written once. */
export function createSqlStorage(d: SqlDialect): Storage {
  // Job details are polled, and parsing the spec (field mappings …) was 12 % of such a request. A job's
  // head never changes after it is created, and job ids are never reused, so it is parsed once per job;
  // the changing columns are read from the row every time, so status and counts are never stale. The
  // row is still read with the org in the WHERE clause: a head is only ever paired with its own row.
  const jobHeads = new Map<string, JobHead>();

  const count = async (orgId: string, module: string) => Number((await d.row('recordCount', [orgId, module]))?.n ?? 0);
  const pages = recordPages({
    count,
    async countAfter(orgId, module, after) {
      return Number((await d.recordRows(orgId, module, 'countAfter', [after]))[0]?.n ?? 0);
    },
    async marksAfter(orgId, module, after, span) {
      return (await d.recordRows(orgId, module, 'marks', [after, span])).map((r) => String(r.id));
    },
    async listAfter(orgId, module, after, limit, offset) {
      const rows =
        after === null
          ? await d.recordRows(orgId, module, 'list', [limit, offset])
          : await d.recordRows(orgId, module, 'listAfter', [after, limit, offset]);
      return rows.map((r) => toRecord(r, module));
    },
  });

  return {
    async reserveIds(count) {
      const n = BigInt(count);
      return BigInt(String((await d.row('reserve', [n, n]))!.first));
    },

    orgs: {
      async create(org) {
        await d.inTransaction([
          ['orgInsert', orgInsertParams(org)],
          ['userInsert', userInsertParams(org.id, org.user)],
        ]);
      },
      async get(orgId) {
        const r = await d.row('orgGet', [orgId]);
        return r && toOrg(r);
      },
      async getDefault() {
        const r = await d.row('orgDefault', []);
        return r && toOrg(r);
      },
      async list() {
        return (await d.rows('orgList', [])).map(toOrg);
      },
      async getUser(orgId, ref) {
        const r = ref.id
          ? await d.row('userById', [orgId, ref.id])
          : await d.row('userByEmail', [orgId, ref.email ?? '']);
        return r && toUser(r);
      },
    },

    oauth: {
      async createClient(c, secretHash) {
        await d.inTransaction([
          ['clientInsert', clientInsertParams(c)],
          ['clientSecretInsert', [secretHash, c.clientId, c.createdAt]],
        ]);
      },
      async addClientSecret(clientId, secretHash, now) {
        await d.changes('clientSecretInsert', [secretHash, clientId, now]);
      },
      async clientSecretHashes(clientId) {
        return (await d.rows('clientSecretsOf', [clientId])).map((r) => String(r.secret_hash));
      },
      async getClient(clientId) {
        const r = await d.row('clientGet', [clientId]);
        return r && toClient(r);
      },
      async clientsOf(orgId) {
        return (await d.rows('clientsOf', [orgId])).map(toClient);
      },
      async saveGrantCode(g) {
        await d.changes('grantInsert', grantInsertParams(g));
      },
      async consumeGrantCode(codeHash, now) {
        const r = await d.row('grantUse', [now, codeHash, now]);
        return r && toGrantCode(r);
      },
      async saveRefreshToken(t) {
        await d.changes('refreshInsert', refreshInsertParams(t));
      },
      async getRefreshToken(tokenHash) {
        const r = await d.row('refreshGet', [tokenHash]);
        return r && toRefreshToken(r);
      },
      async saveAccessToken(t) {
        await d.changes('accessInsert', accessInsertParams(t));
      },
      async getAccessToken(tokenHash, now) {
        const r = await d.row('accessGet', [tokenHash, now]);
        return r && toAccessToken(r);
      },
      revokeRefreshToken: d.revokeRefreshToken,
      async revokeAccessToken(tokenHash, now) {
        return (await d.changes('accessRevoke', [now, tokenHash])) === 1;
      },
      async countAccessTokensIssued(refreshTokenHash, since) {
        return Number((await d.row('accessCountSince', [refreshTokenHash, since]))!.n);
      },
      async pruneAccessTokens(refreshTokenHash, keep, now) {
        return d.changes('accessPrune', [now, refreshTokenHash, now, keep]);
      },
      pruneRefreshTokens: d.pruneRefreshTokens,
    },

    files: {
      async create(f) {
        await d.changes('fileInsert', fileInsertParams(f));
      },
      async get(orgId, fileId) {
        const r = await d.row('fileGet', [orgId, fileId]);
        return r && toFile(r);
      },
    },

    jobs: {
      async create(job) {
        await d.changes('jobInsert', jobInsertParams(job));
      },
      async get(orgId, jobId) {
        const head = jobHeads.get(jobId);
        if (head !== undefined && head.orgId === orgId) {
          const state = await d.row('jobStateGet', [orgId, jobId]);
          return state && withState(head, state);
        }
        const r = await d.row('jobGet', [orgId, jobId]);
        if (!r) return undefined;
        const fresh = toJobHead(r);
        setBounded(jobHeads, MAX_JOB_HEADS, fresh.id, fresh);
        return withState(fresh, r);
      },
      async list(orgId, limit) {
        return (await d.rows('jobList', [orgId, limit])).map(toJob);
      },
      async claimNext(workerId, leaseMs, now, startedAt = now) {
        const r = await d.row('jobClaim', [workerId, now + leaseMs, startedAt, now]);
        return r && toJob(r);
      },
      async renewLease(jobId, workerId, leaseMs, now) {
        return (await d.changes('jobRenew', [now + leaseMs, jobId, workerId])) === 1;
      },
      async releaseLease(jobId, workerId) {
        await d.changes('jobRelease', [jobId, workerId]);
      },
      commitChunk: d.commitChunk,
      // The outbox row goes in the same transaction. When the lease was lost nothing of this worker's is
      // written: the job is unfinished (no row), or another worker finished it and added the row already.
      async complete(jobId, workerId, now) {
        const [finished] = await d.inTransaction([
          ['jobComplete', [now, jobId, workerId]],
          ['outboxFromJob', [now, now, jobId]],
        ]);
        if (finished !== 1) throw new LeaseLostError(jobId);
      },
      async completeRead(jobId, workerId, result, now) {
        const [finished] = await d.inTransaction([
          ['jobCompleteRead', [JSON.stringify(result), now, jobId, workerId]],
          ['outboxFromJob', [now, now, jobId]],
        ]);
        if (finished !== 1) throw new LeaseLostError(jobId);
      },
      async fail(jobId, workerId, failure, now) {
        const [finished] = await d.inTransaction([
          ['jobFail', [failure.code, failure.message, failure.resultReady === true ? 1 : 0, now, jobId, workerId]],
          ['outboxFromJob', [now, now, jobId]],
        ]);
        if (finished !== 1) throw new LeaseLostError(jobId);
      },
      async results(jobId, fromRow, limit) {
        const out: RowResult[] = [];
        if (limit <= 0) return out;
        // Only the chunks that hold rows fromRow … fromRow + limit - 1 (a chunk's rows are consecutive);
        // every chunk holds at least one row, so `limit` chunks always cover them.
        for (const r of await d.rows('results', [jobId, fromRow, jobId, fromRow, fromRow + limit, limit])) {
          unpackResults(Number(r.first_row), String(r.data), fromRow, limit, out);
          if (out.length >= limit) break;
        }
        return out;
      },
      async resultSummaries(jobId, fromRow, limit) {
        if (limit <= 0) return [];
        return (await d.rows('resultSummaries', [jobId, fromRow, jobId, fromRow, limit])).map((r) => ({
          firstRow: Number(r.first_row),
          lastRow: Number(r.last_row),
          skipped: Number(r.skipped),
          codes: Object.assign(Object.create(null) as Record<string, number>, JSON.parse(String(r.codes)) as object),
        }));
      },
      async countActive(orgId) {
        return Number((await d.row('jobsActive', [orgId]))!.n);
      },
      ...(d.watchQueue ? { watchQueue: d.watchQueue } : {}),
    },

    callbacks: {
      async claimDue(workerId, leaseMs, now) {
        const r = await d.row('outboxClaim', [workerId, now + leaseMs, now, now]);
        return r && toOutboxEntry(r);
      },
      async beginAttempt(a) {
        await d.changes('attemptsInterrupted', [INTERRUPTED_ATTEMPT, a.orgId, a.jobId]);
        return Number((await d.row('attemptInsert', attemptInsertParams(a)))!.id);
      },
      async settle(workerId, attempt, next) {
        await d.inTransaction([
          ['attemptFinish', [attempt.statusCode, attempt.error, attempt.id]],
          [
            'outboxSettle',
            [next.state, next.dueAt, next.state === 'pending' ? null : attempt.endedAt, attempt.jobId, workerId],
          ],
        ]);
      },
      async get(orgId, jobId) {
        const r = await d.row('outboxGet', [orgId, jobId]);
        return r && toOutboxEntry(r);
      },
      async nextDue() {
        const r = await d.row('outboxNextDue', []);
        return r?.due_at === null || r?.due_at === undefined ? undefined : Number(r.due_at);
      },
      async attempts({ orgId, jobId, afterId = 0, limit }) {
        const org = orgId ?? null;
        const job = jobId ?? null;
        return (await d.rows('attemptList', [org, org, job, job, afterId, limit])).map(toCallbackAttempt);
      },
    },

    schemas: {
      async get(orgId) {
        const r = await d.row('schemaGet', [orgId]);
        return r && toSchema(r);
      },
      async put(orgId, document, now) {
        return toSchema((await d.row('schemaPut', [orgId, document, now]))!);
      },
    },

    records: {
      idsByKey: d.idsByKey,
      byIds: d.byIds,
      firstIdsByText: d.firstIdsByText,
      async idsByEmail(orgId, module, field, value) {
        const key = emailIndexKey(value);
        if (key === null || !INDEXED_EMAIL_FIELDS.get(module)?.includes(field)) return null;
        return (await d.recordRows(orgId, module, 'bySecondaryEmail', [key])).map((r) => String(r.id));
      },
      async get(orgId, module, id) {
        return (await d.byIds(orgId, module, [id])).get(id);
      },
      // Id order, in both stores. Ids are reserved in blocks (10,000 per worker), so when two workers
      // write at once their blocks interleave in time and created_at order would depend on that timing
      // and on each worker's clock. An id is fixed when it is reserved, unique (no tie-break), grows with
      // the rows of a CSV, and is the order search answers in (api/routes/records.ts) and the one keyset
      // paging (`id > last seen`, listAfter) needs. The price: while workers write, a record written into
      // a block reserved earlier can land before records a client has already paged past.
      list: pages.list,
      async listAfter(orgId, module, afterId, limit) {
        return (await d.recordRows(orgId, module, 'listAfter', [afterId, limit, 0])).map((r) => toRecord(r, module));
      },
      async *scan(orgId, module, afterId, batchSize) {
        let after = afterId;
        for (;;) {
          const rows = await d.recordRows(orgId, module, 'listAfter', [after, batchSize, 0]);
          const batch = rows.map((r) => toRecord(r, module));
          if (batch.length > 0) yield batch;
          if (batch.length < batchSize) return;
          after = batch[batch.length - 1]!.id;
        }
      },
      count,
    },

    emulator: {
      async clockOffset() {
        return Number((await d.row('clockGet', []))?.offset_ms ?? 0);
      },
      async setClockOffset(offsetMs) {
        await d.changes('clockSet', [Math.trunc(offsetMs)]);
      },
      async limits(orgId) {
        const r = await d.row('limitsGet', [orgId]);
        return r && String(r.settings);
      },
      async allLimits() {
        return new Map((await d.rows('limitsAll', [])).map((r) => [String(r.org_id), String(r.settings)]));
      },
      async putLimits(orgId, settings, now) {
        if (settings === null) await d.changes('limitsDelete', [orgId]);
        else await d.changes('limitsPut', [orgId, settings, now]);
      },
      async spendCredits(orgId, minute, credits) {
        await d.changes('creditsSpend', [orgId, minute, credits]);
      },
      async creditsSpent(orgId, sinceMinute) {
        return Number((await d.row('creditsSpent', [orgId, sinceMinute]))?.n ?? 0);
      },
      async addReadDownload(orgId, atMs, forgetMs) {
        await d.changes('readDownloadsForget', [orgId, Math.trunc(forgetMs)]);
        await d.changes('readDownloadAdd', [orgId, Math.trunc(atMs)]);
      },
      async readDownloads(orgId, sinceMs, untilMs) {
        return Number((await d.row('readDownloadsCount', [orgId, Math.trunc(sinceMs), Math.trunc(untilMs)]))?.n ?? 0);
      },
      async reset(orgId) {
        try {
          await d.reset(orgId);
        } finally {
          pages.forget();
        }
      },
    },

    faults: {
      async add(rule) {
        await d.changes('faultInsert', faultInsertParams(rule));
      },
      async list() {
        return (await d.rows('faultList', [])).map(toFaultRule);
      },
      // Rules first, then their bindings: a binding made meanwhile by a firing just before is removed too.
      async remove(id) {
        const existed = (await d.changes('faultDelete', [id])) === 1;
        await d.changes('faultJobsOfRuleDelete', [id]);
        return existed;
      },
      async clear() {
        const n = await d.changes('faultClear', []);
        await d.changes('faultJobsClear', []);
        return n;
      },
      async fire(id) {
        return (await d.changes('faultFire', [id])) === 1;
      },
      async bindJob(binding) {
        await d.changes('faultBind', faultBindParams(binding));
      },
      async jobEffects(jobId) {
        return (await d.rows('faultJobEffects', [jobId])).map(toJobEffect);
      },
      async release(jobId) {
        return (await d.changes('faultRelease', [jobId])) > 0;
      },
    },
    ops: createOpsStorage(d.ops),

    close: () => d.close(),
  };
}
