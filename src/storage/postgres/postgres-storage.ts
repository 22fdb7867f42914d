import pg from 'pg';
import type { StoredRecord } from '../../domain/types.js';
import { jobAdvanceParams, resultChunkParams } from '../core/job-rows.js';
import { toRecord } from '../core/record-rows.js';
import type { OpsStatement, Params, Row, SharedStatement } from '../core/sql-dialect.js';
import { readMigrationFiles } from '../core/migration-files.js';
import { createSqlStorage } from '../core/sql-storage.js';
import { ChunkConflictError, LeaseLostError, type ChunkCommit, type Storage } from '../storage.js';
import { copyFrom, copyJson, CopyRows, copyText } from './copy-in.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { POSTGRES_OPS_SQL } from './postgres-ops-sql.js';
import { POSTGRES_SQL, POSTGRES_TRANSACTION_SQL } from './postgres-sql.js';

type Statement = SharedStatement | keyof typeof POSTGRES_TRANSACTION_SQL;
const SQL: Record<Statement, string> = { ...POSTGRES_SQL, ...POSTGRES_TRANSACTION_SQL };

/** PostgreSQL's type id of json. */
const JSON_OID = 114;

/**
 * json columns come as their text, as from SQLite, and the core parses them: pg would parse them itself
 * (with the same JSON.parse), but a cached job head needs only the row's changing columns parsed.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === JSON_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

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
  const pool = new pg.Pool({ connectionString: withSessionOptions(url), application_name: 'bulkwrite', types: TYPES });
  // An idle connection that dies (server restart) is dropped from the pool; without a listener Node would
  // treat the event as an uncaught error. The next query opens a fresh connection.
  pool.on('error', () => {});
  try {
    await migrate(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }

  const run = (client: pg.Pool | pg.PoolClient, name: Statement, values: Params): Promise<pg.QueryResult<Row>> =>
    client.query<Row>({ name: `bw_${name}`, text: SQL[name], values: values as unknown[] });

  const runOps = (name: OpsStatement, values: Params): Promise<pg.QueryResult<Row>> =>
    pool.query<Row>({ name: `bw_ops_${name}`, text: POSTGRES_OPS_SQL[name], values: values as unknown[] });

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
    if ((await run(client, 'jobAdvance', jobAdvanceParams(c))).rowCount !== 1) throw new LeaseLostError(c.jobId);

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
    if (c.results.length > 0) await run(client, 'resultsInsert', resultChunkParams(c));
    if (c.inserts.length > 0) await run(client, 'countAdd', [c.orgId, c.module, c.inserts.length]);
  }

  return createSqlStorage({
    rows: async (name, params) => (await run(pool, name, params)).rows,
    row: async (name, params) => (await run(pool, name, params)).rows[0],
    changes: async (name, params) => (await run(pool, name, params)).rowCount ?? 0,
    async inTransaction(steps) {
      return transaction(async (client) => {
        const changed: number[] = [];
        for (const [name, params] of steps) changed.push((await run(client, name, params)).rowCount ?? 0);
        return changed;
      });
    },
    async revokeRefreshToken(tokenHash, now) {
      return (await transaction((client) => revokeRefresh(client, [tokenHash], now))) === 1;
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
    async commitChunk(chunk) {
      try {
        await transaction((client) => writeChunk(client, chunk));
      } catch (e) {
        if (isChunkConflict(e)) throw new ChunkConflictError(chunk.jobId, { cause: e });
        throw e;
      }
    },
    async idsByKey(orgId, module, field, keys) {
      const out = new Map<string, string>();
      if (keys.length === 0) return out;
      for (const r of (await run(pool, 'idsByKey', [orgId, module, field, textArray(new Set(keys))])).rows)
        out.set(String(r.value), String(r.record_id));
      return out;
    },
    async byIds(orgId, module, ids) {
      const out = new Map<string, StoredRecord>();
      if (ids.length === 0) return out;
      for (const r of (await run(pool, 'byIds', [orgId, module, textArray(new Set(ids))])).rows)
        out.set(String(r.id), toRecord(r));
      return out;
    },
    async firstIdsByText(orgId, module, fields, values) {
      const out = new Map<string, string>();
      if (values.length === 0) return out;
      if (fields.length < 1 || fields.length > 2) {
        throw new Error(`firstIdsByText joins one or two fields, not ${fields.length}`);
      }
      const byKey = new Map<string, string[]>();
      for (const v of new Set(values)) {
        const k = v.trim().toLowerCase();
        const list = byKey.get(k);
        if (list) list.push(v);
        else byKey.set(k, [v]);
      }
      const name = fields.length === 1 ? 'firstIdsByText1' : 'firstIdsByText2';
      const params = [orgId, module, textArray(byKey.keys()), ...fields];
      for (const r of (await run(pool, name, params)).rows) {
        for (const v of byKey.get(String(r.k)) ?? []) out.set(v, String(r.id));
      }
      return out;
    },
    ops: {
      rows: async (name, params) => (await runOps(name, params)).rows,
      changes: async (name, params) => (await runOps(name, params)).rowCount ?? 0,
      migrationNames: readMigrationFiles(MIGRATIONS_DIR).map((f) => f.name),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    },
    async close() {
      await pool.end();
    },
  });
}
