import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A server where tests may create and drop databases. scripts/run-tests.mjs sees that one answers here,
 * starting a throwaway one (and setting this variable) when none does.
 */
export const ADMIN_URL = process.env.BULKWRITE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

export function databaseUrl(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates a database of its own for a test; `drop()` removes it, connections and all. */
export async function createTestDatabase(
  prefix = 'bulkwrite_test',
): Promise<{ url: string; query: pg.Pool['query']; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(e as Error).message}); set BULKWRITE_TEST_POSTGRES_URL`,
      { cause: e },
    );
  }
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
  pool.on('error', () => {});
  return {
    url: databaseUrl(name),
    query: pool.query.bind(pool) as pg.Pool['query'],
    async drop() {
      await pool.end();
      const a = new pg.Client(ADMIN_URL);
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
