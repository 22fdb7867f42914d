import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  CsvEntrySummary,
  Job,
  JobSpec,
  Org,
  ResourceCounts,
  RowResult,
  StoredRecord,
  UploadedFile,
  User,
} from '../../domain/types.js';
import {
  ChunkConflictError,
  LeaseLostError,
  type AccessToken,
  type ChunkCommit,
  type GrantCode,
  type OAuthClient,
  type RefreshToken,
  type Storage,
  type StoredOrgSchema,
} from '../storage.js';
import { setBounded } from '../bounded-map.js';
import { deepFreeze } from '../deep-freeze.js';
import { packResults, unpackResults } from '../packed-results.js';
import { BackgroundCheckpoints, type BackgroundCheckpointOptions } from './background-checkpoints.js';
import { migrate } from './migrate.js';

type Row = Record<string, unknown>;

const toSchema = (r: Row): StoredOrgSchema => ({
  orgId: String(r.org_id),
  document: String(r.document),
  version: Number(r.version),
  updatedAt: Number(r.updated_at),
});
const MAX_PARAMS = 500;
const RECORD_COLUMNS = 'CAST(id AS TEXT) AS id, org_id, module, data, created_at, modified_at';

/** Record ids are decimal strings at the interface and 64-bit integers in the table. */
const rowid = (id: string): bigint => BigInt(id);
const isRowid = (id: string): boolean => /^\d{1,19}$/.test(id) && BigInt(id) < 2n ** 63n;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const splitScopes = (s: unknown) => String(s).split(' ').filter(Boolean);

/** The columns of a job row that never change after it is created, parsed; frozen, since jobs.get shares it. */
interface JobHead {
  id: string;
  orgId: string;
  apiVersion: string;
  spec: JobSpec;
  createdAt: number;
  createdBy: User;
  fileName: string;
}

function toJobHead(r: Row): JobHead {
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
function withState(head: JobHead, r: Row): Job {
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
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

const toJob = (r: Row): Job => withState(toJobHead(r), r);

function toFile(r: Row): UploadedFile {
  const first: CsvEntrySummary = {
    name: String(r.csv_name),
    header: JSON.parse(String(r.header)) as string[],
    delimiter: String(r.delimiter),
    rowCount: Number(r.row_count),
  };
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    name: String(r.name),
    csvName: first.name,
    size: Number(r.size),
    blobKey: String(r.blob_key),
    header: first.header,
    delimiter: first.delimiter,
    rowCount: first.rowCount,
    createdAt: Number(r.created_at),
    csvs: r.csv_entries ? (JSON.parse(String(r.csv_entries)) as CsvEntrySummary[]) : [first],
  };
}

function toRecord(r: Row): StoredRecord {
  return {
    id: String(r.id),
    module: String(r.module),
    data: JSON.parse(String(r.data)) as StoredRecord['data'],
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
  };
}

export interface SqliteOptions {
  /**
   * The connection's page cache, in KiB (default 64 MiB, for the job worker's writes). The HTTP thread
   * reads single rows and needs far less; each connection's cache counts in the process's memory.
   */
  cacheSizeKiB?: number;
  /**
   * For the connection that writes jobs' chunks: WAL checkpoints run on a thread of their own instead
   * of inside this connection's commits (see background-checkpoints.ts).
   */
  backgroundCheckpoints?: boolean | BackgroundCheckpointOptions;
}

/** How many parsed job heads one connection keeps (a few hundred bytes to a few KB each). */
const MAX_JOB_HEADS = 1000;

/** The default store: one SQLite file (WAL) in the data folder. Each thread or process opens its own. */
export function openSqliteStorage(file: string, options: SqliteOptions = {}): Storage {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKiB ?? 65536)}`);
  migrate(db);
  const checkpoints = options.backgroundCheckpoints
    ? new BackgroundCheckpoints(db, file, options.backgroundCheckpoints === true ? {} : options.backgroundCheckpoints)
    : null;

  const stmt = {
    reserve: db.prepare('UPDATE id_sequence SET next = next + ? WHERE name = ? RETURNING next - ? AS first'),
    orgInsert: db.prepare('INSERT INTO orgs (id, name, time_zone, created_at) VALUES (?, ?, ?, ?)'),
    userInsert: db.prepare('INSERT INTO users (org_id, id, name, email) VALUES (?, ?, ?, ?)'),
    orgGet: db.prepare('SELECT * FROM orgs WHERE id = ?'),
    orgDefault: db.prepare('SELECT * FROM orgs ORDER BY created_at, rowid LIMIT 1'),
    orgList: db.prepare('SELECT * FROM orgs ORDER BY created_at, rowid'),
    firstUser: db.prepare('SELECT * FROM users WHERE org_id = ? ORDER BY rowid LIMIT 1'),
    userById: db.prepare('SELECT * FROM users WHERE org_id = ? AND id = ?'),
    // Users of an org may share an address: the first one added answers.
    userByEmail: db.prepare('SELECT * FROM users WHERE org_id = ? AND lower(email) = lower(?) ORDER BY rowid LIMIT 1'),
    clientInsert: db.prepare(
      'INSERT INTO oauth_clients (client_id, org_id, client_secret, client_type, redirect_uri, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    clientGet: db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?'),
    clientsOf: db.prepare('SELECT * FROM oauth_clients WHERE org_id = ? ORDER BY created_at, rowid'),
    grantInsert: db.prepare(
      'INSERT INTO grant_codes (code_hash, client_id, org_id, user_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    grantUse: db.prepare(
      'UPDATE grant_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING *',
    ),
    refreshInsert: db.prepare(
      'INSERT INTO refresh_tokens (token_hash, client_id, org_id, user_id, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    refreshGet: db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL'),
    accessInsert: db.prepare(
      'INSERT INTO access_tokens (token_hash, refresh_token_hash, client_id, org_id, user_id, scopes, expires_at, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    accessGet: db.prepare('SELECT * FROM access_tokens WHERE token_hash = ? AND expires_at > ? AND revoked_at IS NULL'),
    refreshRevoke: db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL'),
    accessRevokeOfRefresh: db.prepare(
      'UPDATE access_tokens SET revoked_at = ? WHERE refresh_token_hash = ? AND revoked_at IS NULL',
    ),
    accessRevoke: db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL'),
    accessCountSince: db.prepare(
      'SELECT count(*) AS n FROM access_tokens WHERE refresh_token_hash = ? AND issued_at >= ?',
    ),
    accessPrune: db.prepare(
      `UPDATE access_tokens SET revoked_at = ?
       WHERE rowid IN (SELECT rowid FROM access_tokens
                       WHERE refresh_token_hash = ? AND revoked_at IS NULL AND expires_at > ?
                       ORDER BY issued_at DESC, rowid DESC LIMIT -1 OFFSET ?)`,
    ),
    refreshOverLimit: db.prepare(
      `SELECT token_hash FROM refresh_tokens WHERE client_id = ? AND user_id = ? AND revoked_at IS NULL
       ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?`,
    ),
    fileInsert: db.prepare(
      'INSERT INTO files (org_id, id, name, csv_name, size, blob_key, header, delimiter, row_count, created_at, csv_entries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    fileGet: db.prepare('SELECT * FROM files WHERE org_id = ? AND id = ?'),
    jobInsert: db.prepare(
      'INSERT INTO jobs (id, org_id, api_version, spec, status, created_at, created_by, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    jobGet: db.prepare('SELECT * FROM jobs WHERE org_id = ? AND id = ?'),
    jobStateGet: db.prepare(
      `SELECT status, added, updated, skipped, resource_counts, checkpoint_row, failure_code, failure_message, result_ready, finished_at
       FROM jobs WHERE org_id = ? AND id = ?`,
    ),
    jobList: db.prepare('SELECT * FROM jobs WHERE org_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?'),
    jobClaim: db.prepare(
      `UPDATE jobs SET status = 'INPROGRESS', lease_owner = ?, lease_expires_at = ?
       WHERE id = (SELECT id FROM jobs WHERE status = 'ADDED' OR (status = 'INPROGRESS' AND lease_expires_at < ?)
                   ORDER BY created_at, rowid LIMIT 1)
       RETURNING *`,
    ),
    jobRenew: db.prepare(
      "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'",
    ),
    jobAdvance: db.prepare(
      `UPDATE jobs SET added = added + ?, updated = updated + ?, skipped = skipped + ?, checkpoint_row = ?, lease_expires_at = ?,
                       resource_counts = COALESCE(?, resource_counts)
       WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS' AND checkpoint_row < ?`,
    ),
    jobRelease: db.prepare(
      "UPDATE jobs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'",
    ),
    jobComplete: db.prepare(
      `UPDATE jobs SET status = 'COMPLETED', result_ready = 1, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'`,
    ),
    jobFail: db.prepare(
      `UPDATE jobs SET status = 'FAILED', failure_code = ?, failure_message = ?, finished_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = ? AND lease_owner = ? AND status = 'INPROGRESS'`,
    ),
    resultInsert: db.prepare('INSERT INTO job_result_chunks (job_id, first_row, last_row, data) VALUES (?, ?, ?, ?)'),
    results: db.prepare(
      'SELECT first_row, data FROM job_result_chunks WHERE job_id = ? AND last_row >= ? ORDER BY first_row',
    ),
    recordInsert: db.prepare(
      'INSERT INTO records (id, org_id, module, data, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    recordUpdate: db.prepare('UPDATE records SET data = ?, modified_at = ? WHERE id = ? AND org_id = ? AND module = ?'),
    keyInsert: db.prepare('INSERT INTO record_keys (org_id, module, field, value, record_id) VALUES (?, ?, ?, ?, ?)'),
    keyDelete: db.prepare(
      'DELETE FROM record_keys WHERE org_id = ? AND module = ? AND field = ? AND value = ? AND record_id = ?',
    ),
    recordGet: db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE id = ? AND org_id = ? AND module = ?`),
    // Id order, as in PostgreSQL: see records.list there.
    recordList: db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE org_id = ? AND module = ? ORDER BY id LIMIT ? OFFSET ?`,
    ),
    recordCount: db.prepare('SELECT count(*) AS n FROM records WHERE org_id = ? AND module = ?'),
    schemaGet: db.prepare('SELECT * FROM org_schemas WHERE org_id = ?'),
    schemaPut: db.prepare(
      `INSERT INTO org_schemas (org_id, document, version, updated_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (org_id) DO UPDATE SET document = excluded.document,
         version = org_schemas.version + 1, updated_at = excluded.updated_at
       RETURNING *`,
    ),
  };

  // IN-list statements, prepared once per list length; both look up by primary key.
  const keysInCache = new Map<number, Database.Statement>();
  const keysIn = (n: number) => {
    let st = keysInCache.get(n);
    if (!st) {
      st = db.prepare(
        `SELECT value, CAST(record_id AS TEXT) AS record_id FROM record_keys WHERE org_id = ? AND module = ? AND field = ? AND value IN (${'?,'.repeat(n - 1)}?)`,
      );
      keysInCache.set(n, st);
    }
    return st;
  };
  const recordsInCache = new Map<number, Database.Statement>();
  const recordsIn = (n: number) => {
    let st = recordsInCache.get(n);
    if (!st) {
      st = db.prepare(`SELECT ${RECORD_COLUMNS} FROM records WHERE id IN (${'?,'.repeat(n - 1)}?)`);
      recordsInCache.set(n, st);
    }
    return st;
  };

  // Job details are polled, and parsing the spec (field mappings …) was 12 % of such a request. A job's
  // head never changes after it is created, and job ids are never reused, so it is parsed once per job;
  // the changing columns are read from the row every time, so status and counts are never stale. The
  // row is still read with the org in the WHERE clause: a head is only ever paired with its own row.
  const jobHeads = new Map<string, JobHead>();
  const rememberHead = (head: JobHead) => setBounded(jobHeads, MAX_JOB_HEADS, head.id, head);

  const toUser = (r: Row): User => ({ id: String(r.id), name: String(r.name), email: String(r.email) });
  const toOrg = (r: Row): Org => {
    const user = stmt.firstUser.get(r.id) as Row;
    return {
      id: String(r.id),
      name: String(r.name),
      timeZone: String(r.time_zone),
      createdAt: Number(r.created_at),
      user: toUser(user),
    };
  };
  const toClient = (r: Row): OAuthClient => ({
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    clientSecret: String(r.client_secret),
    clientType: r.client_type as OAuthClient['clientType'],
    redirectUri: r.redirect_uri === null ? null : String(r.redirect_uri),
    name: String(r.name),
    createdAt: Number(r.created_at),
  });

  const revokeRefresh = db.transaction((tokenHash: string, now: number): boolean => {
    if (stmt.refreshRevoke.run(now, tokenHash).changes !== 1) return false;
    stmt.accessRevokeOfRefresh.run(now, tokenHash);
    return true;
  });
  const pruneRefresh = db.transaction((clientId: string, userId: string, keep: number, now: number): number => {
    const old = stmt.refreshOverLimit.all(clientId, userId, keep) as Row[];
    for (const r of old) revokeRefresh(String(r.token_hash), now);
    return old.length;
  });

  // One prepared single-row statement per table: cheaper per row than multi-row VALUES lists, which
  // cost a flattened parameter array and its slices (bench/README.md, proposal 3).
  const insertRecords = (c: ChunkCommit) => {
    const { recordInsert, keyInsert } = stmt;
    for (const rec of c.inserts) {
      const id = rowid(rec.id);
      recordInsert.run(id, c.orgId, c.module, JSON.stringify(rec.data), c.now, c.now);
      for (const [field, value] of rec.keys) keyInsert.run(c.orgId, c.module, field, value, id);
    }
  };

  const commitChunk = db.transaction((c: ChunkCommit) => {
    const advanced = stmt.jobAdvance.run(
      c.added,
      c.updated,
      c.skipped,
      c.checkpointRow,
      c.leaseUntil,
      c.resourceCounts ? JSON.stringify(c.resourceCounts) : null,
      c.jobId,
      c.workerId,
      c.checkpointRow,
    );
    if (advanced.changes !== 1) throw new LeaseLostError(c.jobId);
    // Keys released by updates go first, so a key may move to another record within one chunk.
    for (const rec of c.updates) {
      for (const [field, value] of rec.removeKeys) stmt.keyDelete.run(c.orgId, c.module, field, value, rowid(rec.id));
    }
    insertRecords(c);
    for (const rec of c.updates) {
      for (const [field, value] of rec.addKeys) stmt.keyInsert.run(c.orgId, c.module, field, value, rowid(rec.id));
      stmt.recordUpdate.run(JSON.stringify(rec.data), c.now, rowid(rec.id), c.orgId, c.module);
    }
    if (c.results.length > 0) {
      const packed = packResults(c.jobId, c.results);
      stmt.resultInsert.run(c.jobId, packed.firstRow, packed.lastRow, packed.data);
    }
  });

  return {
    async reserveIds(count) {
      const row = stmt.reserve.safeIntegers(true).get(BigInt(count), 'main', BigInt(count)) as { first: bigint };
      return row.first;
    },

    orgs: {
      async create(org) {
        db.transaction(() => {
          stmt.orgInsert.run(org.id, org.name, org.timeZone, org.createdAt);
          stmt.userInsert.run(org.id, org.user.id, org.user.name, org.user.email);
        })();
      },
      async get(orgId) {
        const r = stmt.orgGet.get(orgId) as Row | undefined;
        return r && toOrg(r);
      },
      async getDefault() {
        const r = stmt.orgDefault.get() as Row | undefined;
        return r && toOrg(r);
      },
      async list() {
        return (stmt.orgList.all() as Row[]).map(toOrg);
      },
      async getUser(orgId, ref) {
        const r = (ref.id ? stmt.userById.get(orgId, ref.id) : stmt.userByEmail.get(orgId, ref.email ?? '')) as
          Row | undefined;
        return r && toUser(r);
      },
    },

    oauth: {
      async createClient(c) {
        stmt.clientInsert.run(c.clientId, c.orgId, c.clientSecret, c.clientType, c.redirectUri, c.name, c.createdAt);
      },
      async getClient(clientId) {
        const r = stmt.clientGet.get(clientId) as Row | undefined;
        return r && toClient(r);
      },
      async clientsOf(orgId) {
        return (stmt.clientsOf.all(orgId) as Row[]).map(toClient);
      },
      async saveGrantCode(g: GrantCode) {
        stmt.grantInsert.run(g.codeHash, g.clientId, g.orgId, g.userId, g.scopes.join(' '), g.expiresAt);
      },
      async consumeGrantCode(codeHash, now) {
        const r = stmt.grantUse.get(now, codeHash, now) as Row | undefined;
        return (
          r && {
            codeHash: String(r.code_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: splitScopes(r.scopes),
            expiresAt: Number(r.expires_at),
          }
        );
      },
      async saveRefreshToken(t: RefreshToken) {
        stmt.refreshInsert.run(t.tokenHash, t.clientId, t.orgId, t.userId, t.scopes.join(' '), t.createdAt);
      },
      async getRefreshToken(tokenHash) {
        const r = stmt.refreshGet.get(tokenHash) as Row | undefined;
        return (
          r && {
            tokenHash: String(r.token_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: splitScopes(r.scopes),
            createdAt: Number(r.created_at),
          }
        );
      },
      async saveAccessToken(t: AccessToken) {
        stmt.accessInsert.run(
          t.tokenHash,
          t.refreshTokenHash,
          t.clientId,
          t.orgId,
          t.userId,
          t.scopes.join(' '),
          t.expiresAt,
          t.issuedAt ?? null,
        );
      },
      async getAccessToken(tokenHash, now) {
        const r = stmt.accessGet.get(tokenHash, now) as Row | undefined;
        return (
          r && {
            tokenHash: String(r.token_hash),
            refreshTokenHash: r.refresh_token_hash === null ? null : String(r.refresh_token_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: splitScopes(r.scopes),
            ...(r.issued_at === null ? {} : { issuedAt: Number(r.issued_at) }),
            expiresAt: Number(r.expires_at),
          }
        );
      },
      async revokeRefreshToken(tokenHash, now) {
        return revokeRefresh(tokenHash, now);
      },
      async revokeAccessToken(tokenHash, now) {
        return stmt.accessRevoke.run(now, tokenHash).changes === 1;
      },
      async countAccessTokensIssued(refreshTokenHash, since) {
        return Number((stmt.accessCountSince.get(refreshTokenHash, since) as Row).n);
      },
      async pruneAccessTokens(refreshTokenHash, keep, now) {
        return stmt.accessPrune.run(now, refreshTokenHash, now, keep).changes;
      },
      async pruneRefreshTokens(clientId, userId, keep, now) {
        return pruneRefresh(clientId, userId, keep, now);
      },
    },

    files: {
      async create(f) {
        stmt.fileInsert.run(
          f.orgId,
          f.id,
          f.name,
          f.csvName,
          f.size,
          f.blobKey,
          JSON.stringify(f.header),
          f.delimiter,
          f.rowCount,
          f.createdAt,
          f.csvs.length > 1 ? JSON.stringify(f.csvs) : null,
        );
      },
      async get(orgId, fileId) {
        const r = stmt.fileGet.get(orgId, fileId) as Row | undefined;
        return r && toFile(r);
      },
    },

    jobs: {
      async create(job) {
        const spec: JobSpec = {
          operation: job.operation,
          characterEncoding: job.characterEncoding,
          ignoreEmpty: job.ignoreEmpty,
          ignoreEmptyGiven: job.ignoreEmptyGiven,
          callback: job.callback,
          resources: job.resources,
        };
        stmt.jobInsert.run(
          job.id,
          job.orgId,
          job.apiVersion,
          JSON.stringify(spec),
          job.status,
          job.createdAt,
          JSON.stringify(job.createdBy),
          job.fileName,
        );
      },
      async get(orgId, jobId) {
        const head = jobHeads.get(jobId);
        if (head !== undefined && head.orgId === orgId) {
          const state = stmt.jobStateGet.get(orgId, jobId) as Row | undefined;
          return state && withState(head, state);
        }
        const r = stmt.jobGet.get(orgId, jobId) as Row | undefined;
        if (!r) return undefined;
        const fresh = toJobHead(r);
        rememberHead(fresh);
        return withState(fresh, r);
      },
      async list(orgId, limit) {
        return (stmt.jobList.all(orgId, limit) as Row[]).map(toJob);
      },
      async claimNext(workerId, leaseMs, now) {
        const r = stmt.jobClaim.get(workerId, now + leaseMs, now) as Row | undefined;
        return r && toJob(r);
      },
      async renewLease(jobId, workerId, leaseMs, now) {
        return stmt.jobRenew.run(now + leaseMs, jobId, workerId).changes === 1;
      },
      async releaseLease(jobId, workerId) {
        stmt.jobRelease.run(jobId, workerId);
      },
      async commitChunk(chunk) {
        try {
          commitChunk.immediate(chunk);
          checkpoints?.afterCommit();
        } catch (e) {
          // A unique key taken by another record (another writer got there first): nothing was written.
          if (e instanceof Database.SqliteError && /record_keys\./.test(e.message))
            throw new ChunkConflictError(chunk.jobId, { cause: e });
          throw e;
        }
      },
      async complete(jobId, workerId, now) {
        if (stmt.jobComplete.run(now, jobId, workerId).changes !== 1) throw new LeaseLostError(jobId);
      },
      async fail(jobId, workerId, failure, now) {
        if (stmt.jobFail.run(failure.code, failure.message, now, jobId, workerId).changes !== 1)
          throw new LeaseLostError(jobId);
      },
      async results(jobId, fromRow, limit) {
        const out: RowResult[] = [];
        for (const chunk of stmt.results.iterate(jobId, fromRow) as IterableIterator<Row>) {
          unpackResults(Number(chunk.first_row), String(chunk.data), fromRow, limit, out);
          if (out.length >= limit) break;
        }
        return out;
      },
    },

    schemas: {
      async get(orgId) {
        const r = stmt.schemaGet.get(orgId) as Row | undefined;
        return r && toSchema(r);
      },
      async put(orgId, document, now) {
        return toSchema(stmt.schemaPut.get(orgId, document, now) as Row);
      },
    },

    records: {
      async idsByKey(orgId, module, field, keys) {
        const out = new Map<string, string>();
        for (const part of chunks([...new Set(keys)], MAX_PARAMS)) {
          for (const r of keysIn(part.length).all(orgId, module, field, ...part) as Row[])
            out.set(String(r.value), String(r.record_id));
        }
        return out;
      },
      async byIds(orgId, module, ids) {
        const out = new Map<string, StoredRecord>();
        for (const part of chunks([...new Set(ids)].filter(isRowid).map(rowid), MAX_PARAMS)) {
          for (const r of recordsIn(part.length).all(...part) as Row[]) {
            if (r.org_id === orgId && r.module === module) out.set(String(r.id), toRecord(r));
          }
        }
        return out;
      },
      async get(orgId, module, id) {
        if (!isRowid(id)) return undefined;
        const r = stmt.recordGet.get(rowid(id), orgId, module) as Row | undefined;
        return r && toRecord(r);
      },
      async list(orgId, module, offset, limit) {
        return (stmt.recordList.all(orgId, module, limit, offset) as Row[]).map(toRecord);
      },
      async count(orgId, module) {
        return Number((stmt.recordCount.get(orgId, module) as Row).n);
      },
    },

    async close() {
      await checkpoints?.stop();
      db.close();
    },
  };
}
