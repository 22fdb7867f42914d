import { join } from 'node:path';
import type { Config } from '../config.js';
import { openPostgresStorage } from './postgres/postgres-storage.js';
import { openSqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './storage.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** The SQLite file of the default store. */
export function sqlitePath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, 'bulkwrite.db');
}

/**
 * Opens the store the configuration names: PostgreSQL when `databaseUrl` (BULKWRITE_DATABASE_URL) is a
 * postgres:// or postgresql:// URL, else SQLite in the data folder. Any other non-empty URL is a
 * mistake, reported rather than quietly replaced by a local file that other processes would not share.
 */
export async function openStorage(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  /**
   * `jobWriter`: this store will commit jobs' chunks (SQLite then checkpoints on a thread of its own);
   * `cacheSizeKiB`: SQLite's page cache for this connection.
   */
  opts: { jobWriter?: boolean; cacheSizeKiB?: number } = {},
): Promise<Storage> {
  const url = config.databaseUrl.trim();
  if (url === '')
    return openSqliteStorage(sqlitePath(config), {
      backgroundCheckpoints: opts.jobWriter === true,
      ...(opts.cacheSizeKiB !== undefined ? { cacheSizeKiB: opts.cacheSizeKiB } : {}),
    });
  if (POSTGRES_URL.test(url)) return openPostgresStorage(url);
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? url.slice(0, 20);
  throw new Error(
    `BULKWRITE_DATABASE_URL must be a postgres:// or postgresql:// URL (or empty for SQLite), got "${scheme}…"`,
  );
}
