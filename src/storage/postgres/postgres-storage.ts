import pg from 'pg';
import type { StoredRecord } from '../../domain/types.js';
import { jobAdvanceParams, resultChunkParams } from '../core/job-rows.js';
import { toRecord } from '../core/record-rows.js';
import { chunkKeyFields, keyColumn, keyValues, type RecordTable } from '../core/record-tables.js';
import type { OpsStatement, Params, Row, SharedStatement } from '../core/sql-dialect.js';
import { readMigrationFiles } from '../core/migration-files.js';
import { createSqlStorage } from '../core/sql-storage.js';
import { ChunkConflictError, LeaseLostError, type ChunkCommit, type Storage } from '../storage.js';
import { copyFrom, copyJson, CopyRows, copyText } from './copy-in.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { POSTGRES_OPS_SQL } from './postgres-ops-sql.js';
import {
  ensureRecordTable,
  POSTGRES_RECORD_SQL,
  postgresTableSql,
  RECORD_TABLES_LOCK,
  recordTableOf,
} from './postgres-record-tables.js';
import {
  POSTGRES_RESET_ALL_SQL,
  POSTGRES_RESET_ORG_LOCK,
  POSTGRES_RESET_ORG_SQL,
  POSTGRES_RESET_TABLES_SQL,
  POSTGRES_SQL,
  POSTGRES_TRANSACTION_SQL,
} from './postgres-sql.js';

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

/** True for an error PostgreSQL raised because a unique key (a key column's index) is taken, or a deadlock. */
function isChunkConflict(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string };
  return (err.code === '23505' && /^records_\d+_k\d+$/.test(err.constraint ?? '')) || err.code === '40P01';
}

/** The names the store gives records tables (core/record-tables.ts); anything else is never dropped. */
const TABLE_NAME = /^records_\d+$/;

/** A new record's COPY line and the key it is ordered by. */
interface CopyLine {
  key: string;
  text: string;
}

const byKey = (a: CopyLine, b: CopyLine) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The key columns of `keys` a record sets, by column name (for json_to_recordset); null when none. */
function keyFieldsOf(
  table: RecordTable,
  keys: ReadonlyArray<readonly [string, string]>,
): Record<string, string> | null {
  let out: Record<string, string> | null = null;
  for (const [field, value] of keys) {
    const i = table.keys.indexOf(field);
    if (i >= 0) (out ??= {})[keyColumn(i)] = value;
  }
  return out;
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
  // generic plan, and one made while a table was small reads every key of a field instead of the few
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

  /** A statement on a records table, prepared per connection under a name that carries the table's. */
  const runTable = (client: pg.Pool | pg.PoolClient, name: string, text: string, values: unknown[]) =>
    client.query<Row>({ name: `bw_${name}`, text, values });

  /**
   * Runs `fn` on the module's table, `none` when it has none. A table dropped between the lookup and the
   * statement (an admin reset meanwhile) is looked up again: then it is gone, or new.
   */
  async function withTable<T>(orgId: string, module: string, none: T, fn: (t: RecordTable) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const t = await recordTableOf(pool, orgId, module);
      if (t === undefined) return none;
      try {
        return await fn(t);
      } catch (e) {
        if (attempt > 0 || (e as { code?: string }).code !== '42P01') throw e;
      }
    }
  }

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

  async function writeChunk(client: pg.PoolClient, c: ChunkCommit, t: RecordTable | undefined): Promise<void> {
    if ((await run(client, 'jobAdvance', jobAdvanceParams(c))).rowCount !== 1) throw new LeaseLostError(c.jobId);
    if (t !== undefined) await writeRecords(client, c, t);
    if (c.results.length > 0) await run(client, 'resultsInsert', resultChunkParams(c));
    if (c.inserts.length > 0) await run(client, 'countAdd', [c.orgId, c.module, c.inserts.length]);
  }

  async function writeRecords(client: pg.PoolClient, c: ChunkCommit, t: RecordTable): Promise<void> {
    const n = t.keys.length;
    // Keys released by updates go first, so a key may move to another record within one chunk. A field
    // without a key column holds no key to release.
    const clears: Array<Record<string, string>> = [];
    for (const rec of c.updates) {
      const cleared = rec.removeKeys.length > 0 ? keyFieldsOf(t, rec.removeKeys) : null;
      if (cleared !== null) clears.push({ id: rec.id, ...cleared });
    }
    if (clears.length > 0)
      await runTable(client, `kc_${t.name}_${n}`, postgresTableSql.keysClear(t.name, n), [JSON.stringify(clears)]);
    // New records go by COPY: PostgreSQL inserts a page of rows per WAL record instead of one row at a
    // time, and nothing is planned (measured: 19–26 µs of server CPU per row → 10–12). Ordered by their
    // first key, so two chunks that insert the same keys take them in the same order and wait for each
    // other instead of deadlocking.
    if (c.inserts.length > 0) {
      const times = `\t${c.now}\t${c.now}`;
      const lines: CopyLine[] = c.inserts.map((rec) => {
        const keys = n === 0 ? [] : keyValues(t, rec.keys);
        let text = copyText(rec.id) + '\t' + copyJson(JSON.stringify(rec.data)) + times;
        for (const k of keys) text += k === null ? '\t\\N' : '\t' + copyText(k);
        return { key: keys[0] ?? '', text: text + '\n' };
      });
      if (n > 0) lines.sort(byKey);
      const rows = new CopyRows();
      for (const line of lines) rows.line(line.text);
      await copyFrom(client, postgresTableSql.copyTarget(t.name, n), rows);
    }
    if (c.updates.length > 0) {
      const set = JSON.stringify(c.updates.map((r) => ({ id: r.id, data: r.data, ...keyFieldsOf(t, r.addKeys) })));
      await runTable(client, `up_${t.name}_${n}`, postgresTableSql.update(t.name, n), [c.now, set]);
    }
  }

  /** The stop functions of the watches that are listening; close() stops them. */
  const watches = new Set<() => Promise<void>>();

  /**
   * Storage.jobs.watchQueue: a connection of its own LISTENs on bulkwrite_jobs (migration 175's triggers
   * NOTIFY it with the jobs table's schema). A lost connection is opened again, 1 s later and then ever
   * more slowly up to 30 s, and each time it listens again `wake` is called, for what came meanwhile.
   */
  async function watchQueue(wake: () => void): Promise<() => Promise<void>> {
    const schema = String((await pool.query<Row>('SELECT current_schema() AS s')).rows[0]!.s);
    let client: pg.Client | null = null;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    let delayMs = 1000;
    const again = (): void => {
      if (stopped) return;
      retry = setTimeout(() => listen().catch(() => {}), delayMs);
      delayMs = Math.min(delayMs * 2, 30_000);
    };
    const listen = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: withSessionOptions(url), application_name: 'bulkwrite' });
      const lost = (): void => {
        if (client !== c) return;
        client = null;
        c.end().catch(() => {});
        again();
      };
      c.on('error', lost);
      c.on('end', lost);
      c.on('notification', (n) => {
        if (n.channel === 'bulkwrite_jobs' && n.payload === schema) wake();
      });
      client = c;
      try {
        await c.connect();
        await c.query('LISTEN bulkwrite_jobs');
        delayMs = 1000;
        wake();
      } catch {
        lost();
      }
    };
    await listen();
    const stop = async (): Promise<void> => {
      stopped = true;
      clearTimeout(retry);
      watches.delete(stop);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    };
    watches.add(stop);
    return stop;
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
    recordRows: (orgId, module, name, params) =>
      withTable(orgId, module, [], async (t) => {
        const text = POSTGRES_RECORD_SQL[name](t.name);
        return (await runTable(pool, `r${name}_${t.name}`, text, params as unknown[])).rows;
      }),
    async commitChunk(chunk) {
      try {
        // The module's table, with a column for every key the chunk writes, is made (or widened) first,
        // in a transaction of its own; a chunk that writes no record needs none.
        const table =
          chunk.inserts.length + chunk.updates.length > 0
            ? await ensureRecordTable(pool, transaction, chunk, chunkKeyFields(chunk))
            : undefined;
        await transaction((client) => writeChunk(client, chunk, table));
      } catch (e) {
        if (isChunkConflict(e)) throw new ChunkConflictError(chunk.jobId, { cause: e });
        throw e;
      }
    },
    async idsByKey(orgId, module, field, keys) {
      const out = new Map<string, string>();
      if (keys.length === 0) return out;
      return withTable(orgId, module, out, async (t) => {
        const i = t.keys.indexOf(field);
        if (i < 0) return out;
        const column = keyColumn(i);
        const text = postgresTableSql.idsByKey(t.name, column);
        for (const r of (await runTable(pool, `key_${t.name}_${column}`, text, [textArray(new Set(keys))])).rows)
          out.set(String(r.value), String(r.record_id));
        return out;
      });
    },
    async byIds(orgId, module, ids) {
      const out = new Map<string, StoredRecord>();
      if (ids.length === 0) return out;
      return withTable(orgId, module, out, async (t) => {
        const text = postgresTableSql.byIds(t.name);
        for (const r of (await runTable(pool, `ids_${t.name}`, text, [textArray(new Set(ids))])).rows)
          out.set(String(r.id), toRecord(r, module));
        return out;
      });
    },
    // Dropping a module's table is one step whatever its size. RECORD_TABLES_LOCK keeps a table from
    // being made or widened meanwhile; for one org its job rows are locked first, as a chunk's first
    // statement locks its job's row (so a chunk never waits for the table while the reset waits for it).
    async reset(orgId) {
      await transaction(async (client) => {
        if (orgId !== undefined) await client.query(POSTGRES_RESET_ORG_LOCK, [orgId]);
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [RECORD_TABLES_LOCK]);
        const tables =
          orgId === undefined
            ? await client.query<Row>(POSTGRES_RESET_TABLES_SQL.all)
            : await client.query<Row>(POSTGRES_RESET_TABLES_SQL.org, [orgId]);
        if (orgId === undefined) for (const text of POSTGRES_RESET_ALL_SQL) await client.query(text);
        const names = tables.rows.map((r) => String(r.table_name)).filter((name) => TABLE_NAME.test(name));
        if (names.length > 0) await client.query(`DROP TABLE IF EXISTS ${names.join(', ')}`);
        if (orgId !== undefined) for (const text of POSTGRES_RESET_ORG_SQL) await client.query(text, [orgId]);
      });
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
      return withTable(orgId, module, out, async (t) => {
        const text =
          fields.length === 1 ? postgresTableSql.firstIdsByText1(t.name) : postgresTableSql.firstIdsByText2(t.name);
        const params = [textArray(byKey.keys()), ...fields];
        for (const r of (await runTable(pool, `text${fields.length}_${t.name}`, text, params)).rows) {
          for (const v of byKey.get(String(r.k)) ?? []) out.set(v, String(r.id));
        }
        return out;
      });
    },
    ops: {
      rows: async (name, params) => (await runOps(name, params)).rows,
      changes: async (name, params) => (await runOps(name, params)).rowCount ?? 0,
      migrationNames: readMigrationFiles(MIGRATIONS_DIR).map((f) => f.name),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    },
    watchQueue,
    async close() {
      await Promise.all([...watches].map((stop) => stop()));
      await pool.end();
    },
  });
}
