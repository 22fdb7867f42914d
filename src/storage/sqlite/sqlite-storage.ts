import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoredRecord } from '../../domain/types.js';
import { jobAdvanceParams, resultChunkParams } from '../core/job-rows.js';
import { toRecord } from '../core/record-rows.js';
import type { Params, Row, SharedStatement } from '../core/sql-dialect.js';
import { readMigrationFiles } from '../core/migration-files.js';
import { createSqlStorage } from '../core/sql-storage.js';
import { ChunkConflictError, LeaseLostError, type ChunkCommit, type Storage } from '../storage.js';
import { BackgroundCheckpoints, type BackgroundCheckpointOptions } from './background-checkpoints.js';
import { migrate, MIGRATIONS_DIR } from './migrate.js';
import { SQLITE_OPS_SQL } from './sqlite-ops-sql.js';
import {
  keysInSql,
  recordsInSql,
  SQLITE_RESET_ALL_SQL,
  SQLITE_RESET_ORG_SQL,
  SQLITE_SQL,
  SQLITE_TRANSACTION_SQL,
  textsInSql,
} from './sqlite-sql.js';

const MAX_PARAMS = 500;

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

  // IN-list statements, prepared once per list length; both look up by primary key.
  const keysIn = preparedPerLength(db, keysInSql);
  const recordsIn = preparedPerLength(db, recordsInSql);
  const textsIn = [1, 2].map((nFields) => preparedPerLength(db, (n) => textsInSql(nFields, n)));

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
  const reset = db.transaction((orgId: string | undefined) => {
    if (orgId === undefined) for (const st of resetAllSteps) st.run();
    else for (const st of resetOrgSteps) st.run(orgId);
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
    if (stmt.jobAdvance.run(...jobAdvanceParams(c)).changes !== 1) throw new LeaseLostError(c.jobId);
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
    async reset(orgId) {
      reset.immediate(orgId);
    },
    async firstIdsByText(orgId, module, fields, values) {
      const out = new Map<string, string>();
      const statement = textsIn[fields.length - 1];
      if (!statement) throw new Error(`firstIdsByText joins one or two fields, not ${fields.length}`);
      const byKey = new Map<string, string[]>();
      for (const v of new Set(values)) {
        const k = asciiLower(v.trim());
        const list = byKey.get(k);
        if (list) list.push(v);
        else byKey.set(k, [v]);
      }
      for (const part of chunks([...byKey.keys()], MAX_PARAMS)) {
        for (const r of statement(part.length).all(...fields.map(jsonPath), orgId, module, ...part) as Row[]) {
          for (const v of byKey.get(String(r.k)) ?? []) out.set(v, String(r.id));
        }
      }
      return out;
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

/** A statement per list length, prepared on first use. */
function preparedPerLength(db: Database.Database, sqlFor: (n: number) => string): (n: number) => Database.Statement {
  const cache = new Map<number, Database.Statement>();
  return (n) => {
    let st = cache.get(n);
    if (!st) {
      st = db.prepare(sqlFor(n));
      cache.set(n, st);
    }
    return st;
  };
}
