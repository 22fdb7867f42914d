import pg from 'pg';
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
import { copyFrom, copyJson, CopyRows, copyText } from './copy-in.js';
import { migrate } from './migrate.js';
import { packResults, unpackResults } from '../packed-results.js';

type Row = Record<string, unknown>;

/**
 * Every statement, named so each pooled connection prepares it once. Bulk writes send a whole column as
 * one array parameter and `unnest` it (records: one JSON document): a constant number of parameters (no
 * 65,535-parameter ceiling), one plan, and one round trip per table for thousands of rows.
 */
const SQL = {
  reserve: "UPDATE id_sequence SET next = next + $1::bigint WHERE name = 'main' RETURNING next - $1::bigint AS first",
  orgInsert: 'INSERT INTO orgs (id, name, time_zone, created_at) VALUES ($1, $2, $3, $4)',
  userInsert: 'INSERT INTO users (org_id, id, name, email) VALUES ($1, $2, $3, $4)',
  orgGet: `SELECT o.*, u.id AS user_id, u.name AS user_name, u.email AS user_email
           FROM orgs o CROSS JOIN LATERAL (SELECT * FROM users WHERE org_id = o.id ORDER BY seq LIMIT 1) u
           WHERE o.id = $1`,
  orgDefault: `SELECT o.*, u.id AS user_id, u.name AS user_name, u.email AS user_email
               FROM orgs o CROSS JOIN LATERAL (SELECT * FROM users WHERE org_id = o.id ORDER BY seq LIMIT 1) u
               ORDER BY o.created_at, o.seq LIMIT 1`,
  orgList: `SELECT o.*, u.id AS user_id, u.name AS user_name, u.email AS user_email
            FROM orgs o CROSS JOIN LATERAL (SELECT * FROM users WHERE org_id = o.id ORDER BY seq LIMIT 1) u
            ORDER BY o.created_at, o.seq`,
  userById: 'SELECT id, name, email FROM users WHERE org_id = $1 AND id = $2',
  userByEmail: 'SELECT id, name, email FROM users WHERE org_id = $1 AND lower(email) = lower($2) ORDER BY seq LIMIT 1',
  clientInsert: `INSERT INTO oauth_clients (client_id, org_id, client_secret, client_type, redirect_uri, name, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  clientGet: 'SELECT * FROM oauth_clients WHERE client_id = $1',
  clientsOf: 'SELECT * FROM oauth_clients WHERE org_id = $1 ORDER BY created_at, seq',
  grantInsert: `INSERT INTO grant_codes (code_hash, client_id, org_id, user_id, scopes, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6)`,
  // One UPDATE: the row lock makes a second consumer wait, re-check used_at and get nothing.
  grantUse: `UPDATE grant_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING *`,
  refreshInsert: `INSERT INTO refresh_tokens (token_hash, client_id, org_id, user_id, scopes, created_at)
                  VALUES ($1, $2, $3, $4, $5, $6)`,
  refreshGet: 'SELECT * FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
  accessInsert: `INSERT INTO access_tokens (token_hash, refresh_token_hash, client_id, org_id, user_id, scopes, expires_at,
                                            issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  accessGet: 'SELECT * FROM access_tokens WHERE token_hash = $1 AND expires_at > $2 AND revoked_at IS NULL',
  refreshRevoke: 'UPDATE refresh_tokens SET revoked_at = $1 WHERE token_hash = ANY($2::text[]) AND revoked_at IS NULL',
  accessRevokeOfRefresh: `UPDATE access_tokens SET revoked_at = $1
                          WHERE refresh_token_hash = ANY($2::text[]) AND revoked_at IS NULL`,
  accessRevoke: 'UPDATE access_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL',
  accessCountSince: 'SELECT count(*) AS n FROM access_tokens WHERE refresh_token_hash = $1 AND issued_at >= $2',
  // NULLS LAST: a token stored without issued_at counts as the oldest (SQLite sorts NULL last in DESC by
  // itself). The outer revoked_at check makes a concurrent prune's revocations not count twice.
  accessPrune: `UPDATE access_tokens SET revoked_at = $1
                WHERE revoked_at IS NULL
                  AND token_hash IN (SELECT token_hash FROM access_tokens
                                     WHERE refresh_token_hash = $2 AND revoked_at IS NULL AND expires_at > $1
                                     ORDER BY issued_at DESC NULLS LAST, seq DESC OFFSET $3)`,
  refreshOverLimit: `SELECT token_hash FROM refresh_tokens WHERE client_id = $1 AND user_id = $2 AND revoked_at IS NULL
                     ORDER BY created_at DESC, seq DESC OFFSET $3`,
  fileInsert: `INSERT INTO files (org_id, id, name, csv_name, size, blob_key, header, delimiter, row_count, created_at,
                                 csv_entries)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
  fileGet: 'SELECT * FROM files WHERE org_id = $1 AND id = $2',
  jobInsert: `INSERT INTO jobs (id, org_id, api_version, spec, status, created_at, created_by, file_name)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  jobGet: 'SELECT * FROM jobs WHERE org_id = $1 AND id = $2',
  jobList: 'SELECT * FROM jobs WHERE org_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2',
  // SKIP LOCKED: concurrent claimers pass over a job another is taking instead of queueing behind it.
  // The scalar subquery runs once; a row whose status changed before we locked it is re-checked and skipped.
  jobClaim: `UPDATE jobs SET status = 'INPROGRESS', lease_owner = $1, lease_expires_at = $2
             WHERE id = (SELECT id FROM jobs
                         WHERE status = 'ADDED' OR (status = 'INPROGRESS' AND lease_expires_at < $3)
                         ORDER BY created_at, seq LIMIT 1
                         FOR UPDATE SKIP LOCKED)
             RETURNING *`,
  jobRenew: "UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'INPROGRESS'",
  jobAdvance: `UPDATE jobs SET added = added + $1, updated = updated + $2, skipped = skipped + $3,
                               checkpoint_row = $4, lease_expires_at = $5,
                               resource_counts = COALESCE($8::json, resource_counts)
               WHERE id = $6 AND lease_owner = $7 AND status = 'INPROGRESS' AND checkpoint_row < $4`,
  jobRelease:
    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = 0 WHERE id = $1 AND lease_owner = $2 AND status = 'INPROGRESS'",
  jobComplete: `UPDATE jobs SET status = 'COMPLETED', result_ready = true, finished_at = $1, lease_owner = NULL,
                                lease_expires_at = NULL
                WHERE id = $2 AND lease_owner = $3 AND status = 'INPROGRESS'`,
  jobFail: `UPDATE jobs SET status = 'FAILED', failure_code = $1, failure_message = $2, finished_at = $3,
                            lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $4 AND lease_owner = $5 AND status = 'INPROGRESS'`,
  // Only the chunks that hold rows $2 … $2 + $3 - 1 (a chunk's rows are consecutive); every chunk holds at
  // least one row, so `limit` chunks always cover them.
  results: `SELECT first_row, data FROM job_result_chunks
            WHERE job_id = $1 AND last_row >= $2 AND first_row < $2 + $3 ORDER BY first_row LIMIT $3`,
  // The statements that match a chunk's keys or ids against stored rows probe the primary key once per
  // value (a LATERAL subquery with LIMIT 1 cannot be turned into a join), whatever the statistics say.
  // Written as plain joins or `= ANY(…)`, they were planned on `org_id = $1 AND module = $2` alone:
  // without statistics (no ANALYZE yet, or autovacuum off) PostgreSQL takes that for ~1 row, when it is
  // every record of the module, and filtered the whole module on every chunk (seen: 120 ms per
  // 5,000-key lookup at 100,000 keys, growing with the table; 4–25 ms this way, at any size).
  // Keys and ids go sorted, so the probes walk the index in order.
  keysDelete: `DELETE FROM record_keys WHERE ctid = ANY (ARRAY(
                 SELECT f.ctid FROM unnest($3::text[], $4::text[], $5::text[]) AS d (field, value, record_id)
                 CROSS JOIN LATERAL (SELECT k.ctid FROM record_keys k
                                     WHERE k.org_id = $1 AND k.module = $2 AND k.field = d.field
                                       AND k.value = d.value AND k.record_id = d.record_id
                                     LIMIT 1) f))`,
  // The row is locked when found (FOR UPDATE), so a concurrent update cannot move it away from the ctid
  // the UPDATE then goes to; rows are locked in id order, the same in every chunk.
  recordsUpdate: `UPDATE records r SET data = u.data, modified_at = $3
                  FROM (SELECT f.ctid, d.data
                        FROM (SELECT * FROM json_to_recordset($4::json) AS j (id text, data json)
                              ORDER BY id COLLATE "C") d
                        CROSS JOIN LATERAL (SELECT x.ctid FROM records x
                                            WHERE x.id = d.id AND x.org_id = $1 AND x.module = $2
                                            LIMIT 1 FOR UPDATE) f) u
                  WHERE r.ctid = u.ctid`,
  resultsInsert: 'INSERT INTO job_result_chunks (job_id, first_row, last_row, data) VALUES ($1, $2, $3, $4)',
  idsByKey: `SELECT w.value, k.record_id
             FROM (SELECT value FROM unnest($4::text[]) AS u (value) ORDER BY value COLLATE "C") w
             CROSS JOIN LATERAL (SELECT record_id FROM record_keys k
                                 WHERE k.org_id = $1 AND k.module = $2 AND k.field = $3 AND k.value = w.value
                                 LIMIT 1) k`,
  byIds: `SELECT r.* FROM (SELECT id FROM unnest($3::text[]) AS u (id) ORDER BY id COLLATE "C") w
          CROSS JOIN LATERAL (SELECT * FROM records x WHERE x.id = w.id LIMIT 1) r
          WHERE r.org_id = $1 AND r.module = $2`,
  recordGet: 'SELECT * FROM records WHERE org_id = $1 AND module = $2 AND id = $3',
  // Id order, as in SQLite. Ids are reserved in blocks (10,000 per worker), so when two workers write at
  // once their blocks interleave in time and created_at order would depend on that timing and on each
  // worker's clock. An id is fixed when it is reserved, unique (no tie-break), grows with the rows of a
  // CSV, and is the order search answers in (api/routes/records.ts) and the one keyset paging
  // (`id > last seen`) needs. The price: while workers write, a record written into a block reserved
  // earlier can land before records a client has already paged past.
  recordList: 'SELECT * FROM records WHERE org_id = $1 AND module = $2 ORDER BY id LIMIT $3 OFFSET $4',
  recordCount: 'SELECT count(*) AS n FROM records WHERE org_id = $1 AND module = $2',
  schemaGet: 'SELECT * FROM org_schemas WHERE org_id = $1',
  schemaPut: `INSERT INTO org_schemas (org_id, document, version, updated_at) VALUES ($1, $2, 1, $3)
              ON CONFLICT (org_id) DO UPDATE SET document = EXCLUDED.document,
                version = org_schemas.version + 1, updated_at = EXCLUDED.updated_at
              RETURNING *`,
} as const;

type Statement = keyof typeof SQL;

const num = (v: unknown) => Number(v);
const toSchema = (r: Row): StoredOrgSchema => ({
  orgId: String(r.org_id),
  document: String(r.document),
  version: num(r.version),
  updatedAt: num(r.updated_at),
});
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toJob(r: Row): Job {
  const spec = r.spec as JobSpec;
  const added = num(r.added);
  const updated = num(r.updated);
  const skipped = num(r.skipped);
  return {
    ...spec,
    id: String(r.id),
    orgId: String(r.org_id),
    apiVersion: String(r.api_version),
    status: r.status as Job['status'],
    createdAt: num(r.created_at),
    createdBy: r.created_by as User,
    counts: { added, updated, skipped, total: added + updated + skipped },
    resourceCounts: (r.resource_counts as ResourceCounts[] | null) ?? null,
    fileName: String(r.file_name),
    checkpointRow: num(r.checkpoint_row),
    failure: r.failure_code ? { code: String(r.failure_code), message: String(r.failure_message ?? '') } : null,
    resultReady: r.result_ready === true,
    finishedAt: numOrNull(r.finished_at),
  };
}

function toOrg(r: Row): Org {
  return {
    id: String(r.id),
    name: String(r.name),
    timeZone: String(r.time_zone),
    createdAt: num(r.created_at),
    user: { id: String(r.user_id), name: String(r.user_name), email: String(r.user_email) },
  };
}

function toClient(r: Row): OAuthClient {
  return {
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    clientSecret: String(r.client_secret),
    clientType: r.client_type as OAuthClient['clientType'],
    redirectUri: strOrNull(r.redirect_uri),
    name: String(r.name),
    createdAt: num(r.created_at),
  };
}

function toFile(r: Row): UploadedFile {
  const first: CsvEntrySummary = {
    name: String(r.csv_name),
    header: r.header as string[],
    delimiter: String(r.delimiter),
    rowCount: num(r.row_count),
  };
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    name: String(r.name),
    csvName: first.name,
    size: num(r.size),
    blobKey: String(r.blob_key),
    header: first.header,
    delimiter: first.delimiter,
    rowCount: first.rowCount,
    createdAt: num(r.created_at),
    csvs: (r.csv_entries as CsvEntrySummary[] | null) ?? [first],
  };
}

function toRecord(r: Row): StoredRecord {
  return {
    id: String(r.id),
    module: String(r.module),
    data: r.data as StoredRecord['data'],
    createdAt: num(r.created_at),
    modifiedAt: num(r.modified_at),
  };
}

const scopesOf = (v: unknown) => [...(v as string[])];

/** True for an error PostgreSQL raised because a unique key in record_keys is taken, or a deadlock. */
function isChunkConflict(e: unknown): boolean {
  const err = e as { code?: string; table?: string };
  return (err.code === '23505' && err.table === 'record_keys') || err.code === '40P01';
}

/** `[{"id":…,"data":{…}},…]` for json_to_recordset. */
const recordSet = (records: Array<{ id: string; data: unknown }>) =>
  JSON.stringify(records.map((r) => ({ id: r.id, data: r.data })));

interface KeyColumns {
  field: string[];
  value: string[];
  recordId: string[];
}

const byFieldAndValue = (a: [string, string, string], b: [string, string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
const byValue = (a: [string, string, string], b: [string, string, string]) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

/** Sorts keys by (field, value); most chunks have one unique field, and then only values are compared. */
function sortKeys(keys: Array<[string, string, string]>): void {
  const field = keys[0]?.[0];
  keys.sort(keys.every((k) => k[0] === field) ? byValue : byFieldAndValue);
}

function keyColumns(keys: Array<[string, string, string]>): KeyColumns {
  // A fixed order (field, value) makes two chunks that delete the same keys lock them in the same order.
  sortKeys(keys);
  return { field: keys.map((k) => k[0]), value: keys.map((k) => k[1]), recordId: keys.map((k) => k[2]) };
}

const ARRAY_ESCAPE = /["\\]/;

/**
 * A text[] literal, built in one pass: pg's own array serialisation runs two regular-expression
 * replacements per element, and thousands of keys go in every lookup.
 */
function textArray(values: Iterable<string>): string {
  let out = '{';
  for (const v of values)
    out += `${out.length > 1 ? ',' : ''}"${ARRAY_ESCAPE.test(v) ? v.replace(/["\\]/g, '\\$&') : v}"`;
  return `${out}}`;
}

/**
 * Adds bulkwrite's session settings to the URL's own `options` (pg lets the URL's options replace any
 * given beside it, so they have to travel in the URL).
 */
function withSessionOptions(url: string): string {
  const u = new URL(url);
  const own = u.searchParams.get('options');
  u.searchParams.set('options', [own, '-c plan_cache_mode=force_custom_plan'].filter(Boolean).join(' '));
  return u.toString();
}

/**
 * The scale-out store: PostgreSQL through a connection pool. Several API and worker processes share one
 * database; jobs are claimed with FOR UPDATE SKIP LOCKED and a lease. Migrations are applied on open.
 */
export async function openPostgresStorage(url: string): Promise<Storage> {
  // Statements are prepared once per connection. PostgreSQL would soon switch a prepared statement to a
  // generic plan, and one made while record_keys was small reads every key of a field instead of the few
  // asked for (seen: 1,300 rows/s and falling, against 18,000 with this setting). Planning each execution
  // with its parameters keeps every lookup on the index.
  const pool = new pg.Pool({ connectionString: withSessionOptions(url), application_name: 'bulkwrite' });
  // An idle connection that dies (server restart) is dropped from the pool; without a listener Node would
  // treat the event as an uncaught error. The next query opens a fresh connection.
  pool.on('error', () => {});
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }

  const run = <R extends pg.QueryResultRow = Row>(
    client: pg.Pool | pg.PoolClient,
    name: Statement,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> => client.query<R>({ name: `bw_${name}`, text: SQL[name], values });
  const rows = async (name: Statement, values: unknown[]) => (await run(pool, name, values)).rows;
  const one = async (name: Statement, values: unknown[]) => (await run(pool, name, values)).rows[0];
  const changed = async (name: Statement, values: unknown[]) => (await run(pool, name, values)).rowCount ?? 0;

  /** Runs `fn` in one transaction on one pooled connection; any throw rolls it back and is rethrown. */
  async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw e;
      }
    } finally {
      client.release(broken);
    }
  }

  /**
   * Revokes the live refresh tokens among `tokenHashes` and every live access token issued from them, on
   * the caller's transaction. Returns how many refresh tokens it revoked.
   */
  async function revokeRefresh(client: pg.PoolClient, tokenHashes: string[], now: number): Promise<number> {
    const revoked = (await run(client, 'refreshRevoke', [now, tokenHashes])).rowCount ?? 0;
    if (revoked > 0) await run(client, 'accessRevokeOfRefresh', [now, tokenHashes]);
    return revoked;
  }

  async function writeChunk(client: pg.PoolClient, c: ChunkCommit): Promise<void> {
    // First, and it locks the job row: a second committer of this job waits here, then sees the new
    // checkpoint (or owner) and gets nothing, so a chunk is never applied twice.
    const advanced = await run(client, 'jobAdvance', [
      c.added,
      c.updated,
      c.skipped,
      c.checkpointRow,
      c.leaseUntil,
      c.jobId,
      c.workerId,
      c.resourceCounts ? JSON.stringify(c.resourceCounts) : null,
    ]);
    if (advanced.rowCount !== 1) throw new LeaseLostError(c.jobId);

    // Keys released by updates go first, so a key may move to another record within one chunk.
    const removed: Array<[string, string, string]> = [];
    const added: Array<[string, string, string]> = [];
    for (const rec of c.updates) {
      for (const [field, value] of rec.removeKeys) removed.push([field, value, rec.id]);
      for (const [field, value] of rec.addKeys) added.push([field, value, rec.id]);
    }
    for (const rec of c.inserts) for (const [field, value] of rec.keys) added.push([field, value, rec.id]);

    if (removed.length > 0) {
      const k = keyColumns(removed);
      await run(client, 'keysDelete', [c.orgId, c.module, k.field, k.value, k.recordId]);
    }
    // New records and keys go by COPY: PostgreSQL inserts a page of rows per WAL record instead of one
    // row at a time, and nothing is planned (measured on records: 19–26 µs of server CPU per row → 10–12).
    if (c.inserts.length > 0) {
      const rows = new CopyRows();
      const between = `\t${copyText(c.orgId)}\t${copyText(c.module)}\t`;
      const times = `\t${c.now}\t${c.now}\n`;
      for (const rec of c.inserts) rows.line(copyText(rec.id) + between + copyJson(JSON.stringify(rec.data)) + times);
      await copyFrom(client, 'records (id, org_id, module, data, created_at, modified_at)', rows);
    }
    if (added.length > 0) {
      // A fixed order (field, value) makes two chunks that insert the same keys lock them in the same
      // order, so they wait for each other instead of deadlocking.
      sortKeys(added);
      const rows = new CopyRows();
      const prefix = `${copyText(c.orgId)}\t${copyText(c.module)}\t`;
      for (const [field, value, id] of added)
        rows.line(prefix + copyText(field) + '\t' + copyText(value) + '\t' + copyText(id) + '\n');
      await copyFrom(client, 'record_keys (org_id, module, field, value, record_id)', rows);
    }
    if (c.updates.length > 0) {
      await run(client, 'recordsUpdate', [c.orgId, c.module, c.now, recordSet(c.updates)]);
    }
    if (c.results.length > 0) {
      const packed = packResults(c.jobId, c.results);
      await run(client, 'resultsInsert', [c.jobId, packed.firstRow, packed.lastRow, packed.data]);
    }
  }

  return {
    async reserveIds(count) {
      const r = await one('reserve', [String(count)]);
      return BigInt(String(r!.first));
    },

    orgs: {
      async create(org) {
        await transaction(async (client) => {
          await run(client, 'orgInsert', [org.id, org.name, org.timeZone, org.createdAt]);
          await run(client, 'userInsert', [org.id, org.user.id, org.user.name, org.user.email]);
        });
      },
      async get(orgId) {
        const r = await one('orgGet', [orgId]);
        return r && toOrg(r);
      },
      async getDefault() {
        const r = await one('orgDefault', []);
        return r && toOrg(r);
      },
      async list() {
        return (await rows('orgList', [])).map(toOrg);
      },
      async getUser(orgId, ref) {
        const r = ref.id ? await one('userById', [orgId, ref.id]) : await one('userByEmail', [orgId, ref.email ?? '']);
        return r && { id: String(r.id), name: String(r.name), email: String(r.email) };
      },
    },

    oauth: {
      async createClient(c) {
        await run(pool, 'clientInsert', [
          c.clientId,
          c.orgId,
          c.clientSecret,
          c.clientType,
          c.redirectUri,
          c.name,
          c.createdAt,
        ]);
      },
      async getClient(clientId) {
        const r = await one('clientGet', [clientId]);
        return r && toClient(r);
      },
      async clientsOf(orgId) {
        return (await rows('clientsOf', [orgId])).map(toClient);
      },
      async saveGrantCode(g: GrantCode) {
        await run(pool, 'grantInsert', [g.codeHash, g.clientId, g.orgId, g.userId, g.scopes, g.expiresAt]);
      },
      async consumeGrantCode(codeHash, now) {
        const r = await one('grantUse', [now, codeHash]);
        return (
          r && {
            codeHash: String(r.code_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: scopesOf(r.scopes),
            expiresAt: num(r.expires_at),
          }
        );
      },
      async saveRefreshToken(t: RefreshToken) {
        await run(pool, 'refreshInsert', [t.tokenHash, t.clientId, t.orgId, t.userId, t.scopes, t.createdAt]);
      },
      async getRefreshToken(tokenHash) {
        const r = await one('refreshGet', [tokenHash]);
        return (
          r && {
            tokenHash: String(r.token_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: scopesOf(r.scopes),
            createdAt: num(r.created_at),
          }
        );
      },
      async saveAccessToken(t: AccessToken) {
        await run(pool, 'accessInsert', [
          t.tokenHash,
          t.refreshTokenHash,
          t.clientId,
          t.orgId,
          t.userId,
          t.scopes,
          t.expiresAt,
          t.issuedAt ?? null,
        ]);
      },
      async getAccessToken(tokenHash, now) {
        const r = await one('accessGet', [tokenHash, now]);
        return (
          r && {
            tokenHash: String(r.token_hash),
            refreshTokenHash: strOrNull(r.refresh_token_hash),
            clientId: String(r.client_id),
            orgId: String(r.org_id),
            userId: String(r.user_id),
            scopes: scopesOf(r.scopes),
            ...(r.issued_at === null ? {} : { issuedAt: num(r.issued_at) }),
            expiresAt: num(r.expires_at),
          }
        );
      },
      async revokeRefreshToken(tokenHash, now) {
        return (await transaction((client) => revokeRefresh(client, [tokenHash], now))) === 1;
      },
      async revokeAccessToken(tokenHash, now) {
        return (await changed('accessRevoke', [now, tokenHash])) === 1;
      },
      async countAccessTokensIssued(refreshTokenHash, since) {
        return num((await one('accessCountSince', [refreshTokenHash, since]))!.n);
      },
      async pruneAccessTokens(refreshTokenHash, keep, now) {
        return changed('accessPrune', [now, refreshTokenHash, keep]);
      },
      async pruneRefreshTokens(clientId, userId, keep, now) {
        return transaction(async (client) => {
          const old = (await run(client, 'refreshOverLimit', [clientId, userId, keep])).rows;
          return old.length === 0
            ? 0
            : revokeRefresh(
                client,
                old.map((r) => String(r.token_hash)),
                now,
              );
        });
      },
    },

    files: {
      async create(f) {
        await run(pool, 'fileInsert', [
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
        ]);
      },
      async get(orgId, fileId) {
        const r = await one('fileGet', [orgId, fileId]);
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
        await run(pool, 'jobInsert', [
          job.id,
          job.orgId,
          job.apiVersion,
          JSON.stringify(spec),
          job.status,
          job.createdAt,
          JSON.stringify(job.createdBy),
          job.fileName,
        ]);
      },
      async get(orgId, jobId) {
        const r = await one('jobGet', [orgId, jobId]);
        return r && toJob(r);
      },
      async list(orgId, limit) {
        return (await rows('jobList', [orgId, limit])).map(toJob);
      },
      async claimNext(workerId, leaseMs, now) {
        const r = await one('jobClaim', [workerId, now + leaseMs, now]);
        return r && toJob(r);
      },
      async renewLease(jobId, workerId, leaseMs, now) {
        return (await changed('jobRenew', [now + leaseMs, jobId, workerId])) === 1;
      },
      async releaseLease(jobId, workerId) {
        await run(pool, 'jobRelease', [jobId, workerId]);
      },
      async commitChunk(chunk) {
        try {
          await transaction((client) => writeChunk(client, chunk));
        } catch (e) {
          if (isChunkConflict(e)) throw new ChunkConflictError(chunk.jobId, { cause: e });
          throw e;
        }
      },
      async complete(jobId, workerId, now) {
        if ((await changed('jobComplete', [now, jobId, workerId])) !== 1) throw new LeaseLostError(jobId);
      },
      async fail(jobId, workerId, failure, now) {
        if ((await changed('jobFail', [failure.code, failure.message, now, jobId, workerId])) !== 1)
          throw new LeaseLostError(jobId);
      },
      async results(jobId, fromRow, limit) {
        const out: RowResult[] = [];
        if (limit <= 0) return out;
        for (const r of await rows('results', [jobId, fromRow, limit])) {
          unpackResults(num(r.first_row), String(r.data), fromRow, limit, out);
          if (out.length >= limit) break;
        }
        return out;
      },
    },

    schemas: {
      async get(orgId) {
        const r = await one('schemaGet', [orgId]);
        return r && toSchema(r);
      },
      async put(orgId, document, now) {
        return toSchema((await one('schemaPut', [orgId, document, now]))!);
      },
    },

    records: {
      async idsByKey(orgId, module, field, keys) {
        const out = new Map<string, string>();
        if (keys.length === 0) return out;
        for (const r of await rows('idsByKey', [orgId, module, field, textArray(new Set(keys))]))
          out.set(String(r.value), String(r.record_id));
        return out;
      },
      async byIds(orgId, module, ids) {
        const out = new Map<string, StoredRecord>();
        if (ids.length === 0) return out;
        for (const r of await rows('byIds', [orgId, module, textArray(new Set(ids))]))
          out.set(String(r.id), toRecord(r));
        return out;
      },
      async get(orgId, module, id) {
        const r = await one('recordGet', [orgId, module, id]);
        return r && toRecord(r);
      },
      async list(orgId, module, offset, limit) {
        return (await rows('recordList', [orgId, module, limit, offset])).map(toRecord);
      },
      async count(orgId, module) {
        return num((await one('recordCount', [orgId, module]))!.n);
      },
    },

    async close() {
      await pool.end();
    },
  };
}
