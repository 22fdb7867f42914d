import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoredRecord } from '../../domain/types.js';
import { jobAdvanceParams, resultChunkParams } from '../core/job-rows.js';
import { toRecord } from '../core/record-rows.js';
import { chunkKeyFields, keyColumn, keyValues, toRecordTable, type RecordTable } from '../core/record-tables.js';
import { setBounded } from '../bounded-map.js';
import type { Params, Row, SharedStatement } from '../core/sql-dialect.js';
import { readMigrationFiles } from '../core/migration-files.js';
import { createSqlStorage } from '../core/sql-storage.js';
import { ChunkConflictError, LeaseLostError, type ChunkCommit, type Storage } from '../storage.js';
import { BackgroundCheckpoints, type BackgroundCheckpointOptions } from './background-checkpoints.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { SQLITE_OPS_SQL } from './sqlite-ops-sql.js';
import {
  ensureRecordTable,
  recordKeysInSql,
  recordsByIdSql,
  recordTextsInSql,
  recordWriteSql,
  SQLITE_RECORD_SQL,
} from './sqlite-record-tables.js';
import {
  SQLITE_RESET_ALL_SQL,
  SQLITE_RESET_ORG_SQL,
  SQLITE_RESET_TABLES_SQL,
  SQLITE_SQL,
  SQLITE_TRANSACTION_SQL,
} from './sqlite-sql.js';

const MAX_PARAMS = 500;

/** How many statements on records tables one connection keeps prepared (a few per module and IN-list length). */
const MAX_TABLE_STATEMENTS = 1000;

/** The names the store gives records tables (core/record-tables.ts); anything else is never dropped. */
const TABLE_NAME = /^records_\d+$/;

/** A statement failed because its records table is gone (dropped by an admin reset meanwhile). */
const isMissingTable = (e: unknown): boolean =>
  e instanceof Database.SqliteError && /no such table: records_\d+/.test(e.message);

/** Record ids are decimal strings at the interface and 64-bit integers in the table. */
const rowid = (id: string): bigint => BigInt(id);
const isRowid = (id: string): boolean => /^\d{1,19}$/.test(id) && BigInt(id) < 2n ** 63n;
/** SQLite's lower(): A–Z only. */
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
/** A JSON path to a top-level key, quoted so any API name is one key. */
const jsonPath = (field: string): string => `$."${field.replace(/"/g, '""')}"`;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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

/** The default store: one SQLite file (WAL) in the data folder. Each thread or process opens its own. */
export function openSqliteStorage(file: string, options: SqliteOptions = {}): Storage {
  // The folder and the database are the server user's alone (it holds every org's records). SQLite gives
  // the WAL and shared-memory files the database file's mode, so 0600 on it covers them; files an older
  // build made readable by others are narrowed too.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
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

  const shared = prepared(db, SQLITE_SQL);
  const stmt = prepared(db, SQLITE_TRANSACTION_SQL);
  const ops = prepared(db, SQLITE_OPS_SQL);

  // Statements on records tables (one per module), prepared on first use and kept by their text.
  const tableStatements = new Map<string, Database.Statement>();
  const tableStatement = (sql: string): Database.Statement => {
    let st = tableStatements.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      setBounded(tableStatements, MAX_TABLE_STATEMENTS, sql, st);
    }
    return st;
  };
  const registryGet = db.prepare('SELECT table_name, key_fields FROM record_tables WHERE org_id = ? AND module = ?');
  const lookup = (orgId: string, module: string): RecordTable | undefined => {
    const r = registryGet.get(orgId, module) as Row | undefined;
    return r && toRecordTable(r);
  };
  /**
   * Runs `fn` on the module's table, `none` when it has none. A table dropped between the lookup and
   * the statement (an admin reset on another connection) is looked up again: then it is gone, or new.
   */
  function withTable<T>(orgId: string, module: string, none: T, fn: (t: RecordTable) => T): T {
    for (let attempt = 0; ; attempt++) {
      const t = lookup(orgId, module);
      if (t === undefined) return none;
      try {
        return fn(t);
      } catch (e) {
        if (attempt > 0 || !isMissingTable(e)) throw e;
      }
    }
  }

  const inTransaction = db.transaction((steps: ReadonlyArray<readonly [SharedStatement, Params]>) =>
    steps.map(([name, params]) => shared[name].run(...params).changes),
  );
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

  const resetOrgSteps = SQLITE_RESET_ORG_SQL.map((text) => db.prepare(text));
  const resetAllSteps = SQLITE_RESET_ALL_SQL.map((text) => db.prepare(text));
  const tablesOfOrg = db.prepare(SQLITE_RESET_TABLES_SQL.org);
  const tablesOfAll = db.prepare(SQLITE_RESET_TABLES_SQL.all);
  // Dropping a module's table is one step whatever its size; the registry rows go with the rest.
  const reset = db.transaction((orgId: string | undefined) => {
    const tables = (orgId === undefined ? tablesOfAll.all() : tablesOfOrg.all(orgId)) as Row[];
    for (const { table_name: name } of tables)
      if (TABLE_NAME.test(String(name))) db.exec(`DROP TABLE IF EXISTS ${String(name)}`);
    if (orgId === undefined) for (const st of resetAllSteps) st.run();
    else for (const st of resetOrgSteps) st.run(orgId);
  });

  // One prepared single-row statement per table: cheaper per row than multi-row VALUES lists, which
  // cost a flattened parameter array and its slices (bench/README.md, proposal 3).
  const insertRecords = (c: ChunkCommit, t: RecordTable) => {
    const insert = tableStatement(recordWriteSql.insert(t.name, t.keys.length));
    const now = c.now;
    if (t.keys.length === 0) {
      for (const rec of c.inserts) insert.run(rowid(rec.id), JSON.stringify(rec.data), now, now);
      return;
    }
    for (const rec of c.inserts)
      insert.run(rowid(rec.id), JSON.stringify(rec.data), now, now, ...keyValues(t, rec.keys));
  };

  const commitChunk = db.transaction((c: ChunkCommit, t: RecordTable | undefined) => {
    if (stmt.jobAdvance.run(...jobAdvanceParams(c)).changes !== 1) throw new LeaseLostError(c.jobId);
    if (t !== undefined) {
      // Keys released by updates go first, so a key may move to another record within one chunk. A field
      // without a key column holds no key to release.
      for (const rec of c.updates) {
        for (const [field, value] of rec.removeKeys) {
          const i = t.keys.indexOf(field);
          if (i >= 0) tableStatement(recordWriteSql.keyClear(t.name, keyColumn(i))).run(rowid(rec.id), value);
        }
      }
      insertRecords(c, t);
      const update = tableStatement(recordWriteSql.update(t.name));
      for (const rec of c.updates) {
        for (const [field, value] of rec.addKeys)
          tableStatement(recordWriteSql.keySet(t.name, keyColumn(t.keys.indexOf(field)))).run(value, rowid(rec.id));
        update.run(JSON.stringify(rec.data), c.now, rowid(rec.id));
      }
    }
    if (c.results.length > 0) {
      const [jobId, firstRow, lastRow, data, skipped, codes] = resultChunkParams(c);
      stmt.resultInsert.run(jobId, firstRow, lastRow, data);
      stmt.resultSummaryInsert.run(jobId, firstRow, lastRow, skipped, codes);
    }
    if (c.inserts.length > 0) stmt.countAdd.run(c.orgId, c.module, c.inserts.length);
  });

  return createSqlStorage({
    rows: (name, params) => shared[name].all(...params) as Row[],
    row: (name, params) => shared[name].get(...params) as Row | undefined,
    changes: (name, params) => shared[name].run(...params).changes,
    async inTransaction(steps) {
      return inTransaction(steps);
    },
    async revokeRefreshToken(tokenHash, now) {
      return revokeRefresh(tokenHash, now);
    },
    async pruneRefreshTokens(clientId, userId, keep, now) {
      return pruneRefresh(clientId, userId, keep, now);
    },
    recordRows: (orgId, module, name, params) =>
      withTable(orgId, module, [], (t) => tableStatement(SQLITE_RECORD_SQL[name](t.name)).all(...params) as Row[]),
    async commitChunk(chunk) {
      try {
        // The module's table, with a column for every key the chunk writes, is made (or widened) first,
        // in a transaction of its own; a chunk that writes no record needs none.
        const table =
          chunk.inserts.length + chunk.updates.length > 0
            ? ensureRecordTable(db, lookup, chunk, chunkKeyFields(chunk))
            : undefined;
        commitChunk.immediate(chunk, table);
        checkpoints?.afterCommit();
      } catch (e) {
        // A unique key taken by another record (another writer got there first): nothing was written.
        if (e instanceof Database.SqliteError && /UNIQUE constraint failed: records_\d+\.k\d+/.test(e.message))
          throw new ChunkConflictError(chunk.jobId, { cause: e });
        throw e;
      }
    },
    async idsByKey(orgId, module, field, keys) {
      return withTable(orgId, module, new Map<string, string>(), (t) => {
        const out = new Map<string, string>();
        const i = t.keys.indexOf(field);
        if (i < 0) return out;
        for (const part of chunks([...new Set(keys)], MAX_PARAMS)) {
          for (const r of tableStatement(recordKeysInSql(t.name, keyColumn(i), part.length)).all(...part) as Row[])
            out.set(String(r.value), String(r.record_id));
        }
        return out;
      });
    },
    async byIds(orgId, module, ids) {
      return withTable(orgId, module, new Map<string, StoredRecord>(), (t) => {
        const out = new Map<string, StoredRecord>();
        for (const part of chunks([...new Set(ids)].filter(isRowid).map(rowid), MAX_PARAMS)) {
          for (const r of tableStatement(recordsByIdSql(t.name, part.length)).all(...part) as Row[])
            out.set(String(r.id), toRecord(r, module));
        }
        return out;
      });
    },
    async reset(orgId) {
      try {
        reset.immediate(orgId);
      } finally {
        tableStatements.clear();
      }
    },
    async firstIdsByText(orgId, module, fields, values) {
      if (fields.length < 1 || fields.length > 2)
        throw new Error(`firstIdsByText joins one or two fields, not ${fields.length}`);
      const byKey = new Map<string, string[]>();
      for (const v of new Set(values)) {
        const k = asciiLower(v.trim());
        const list = byKey.get(k);
        if (list) list.push(v);
        else byKey.set(k, [v]);
      }
      return withTable(orgId, module, new Map<string, string>(), (t) => {
        const out = new Map<string, string>();
        for (const part of chunks([...byKey.keys()], MAX_PARAMS)) {
          const statement = tableStatement(recordTextsInSql(t.name, fields.length, part.length));
          for (const r of statement.all(...fields.map(jsonPath), ...part) as Row[]) {
            for (const v of byKey.get(String(r.k)) ?? []) out.set(v, String(r.id));
          }
        }
        return out;
      });
    },
    ops: {
      rows: (name, params) => ops[name].all(...params) as Row[],
      changes: (name, params) => ops[name].run(...params).changes,
      migrationNames: readMigrationFiles(MIGRATIONS_DIR).map((f) => f.name),
      poolStats: () => null,
    },
    async close() {
      await checkpoints?.stop();
      db.close();
    },
  });
}

/** Every statement of a map, prepared once. */
function prepared<K extends string>(db: Database.Database, sql: Record<K, string>): Record<K, Database.Statement> {
  return Object.fromEntries(Object.entries<string>(sql).map(([name, text]) => [name, db.prepare(text)])) as Record<
    K,
    Database.Statement
  >;
}
