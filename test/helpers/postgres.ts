import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A server where tests may create and drop databases. scripts/run-tests.mjs sees that one answers here,
 * starting a throwaway one (and setting this variable) when none does.
 */
export const ADMIN_URL = process.env.BULKWRITE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The URL of a database on the test server; with a schema, sessions see that schema's tables alone. */
export function databaseUrl(database: string, schema?: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  if (schema) u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function adminClient(): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(e as Error).message}); set BULKWRITE_TEST_POSTGRES_URL`,
      { cause: e },
    );
  }
  return admin;
}

export interface TestDatabase {
  name: string;
  url: string;
  query: pg.Pool['query'];
  /** Removes the database, connections and all. */
  drop(): Promise<void>;
}

/** Creates a database of its own for a test. */
export async function createTestDatabase(prefix = 'bulkwrite_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
  pool.on('error', () => {});
  return {
    name,
    url: databaseUrl(name),
    query: pool.query.bind(pool) as pg.Pool['query'],
    async drop() {
      await pool.end();
      const a = await adminClient();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export interface TestSchemas {
  /** A new, empty schema; its URL makes a store put its tables there. */
  fresh(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Drops the database and every schema in it; for an `after` hook. */
  dropDatabase(): Promise<void>;
}

/**
 * One database for a test file, created on first use, with a schema per test: tests stay apart, and a
 * schema costs far less than a database.
 */
export function testSchemas(prefix = 'bulkwrite_test'): TestSchemas {
  let database: Promise<TestDatabase> | undefined;
  let schemas = 0;
  return {
    async fresh() {
      database ??= createTestDatabase(prefix);
      const db = await database;
      const schema = `t${++schemas}`;
      await db.query(`CREATE SCHEMA ${schema}`);
      return {
        url: databaseUrl(db.name, schema),
        drop: async () => void (await db.query(`DROP SCHEMA ${schema} CASCADE`)),
      };
    },
    async dropDatabase() {
      const db = await database?.catch(() => undefined);
      await db?.drop();
    },
  };
}

/**
 * The records table of one org's module in a PostgreSQL store (core/record-tables.ts: one table per
 * org and module, named in `record_tables`), or undefined when the module has none.
 */
export async function recordsTableOf(
  db: Pick<TestDatabase, 'query'>,
  orgId: string,
  module: string,
): Promise<{ name: string; keys: string[] } | undefined> {
  const { rows } = await db.query<{ table_name: string; key_fields: string }>(
    'SELECT table_name, key_fields FROM record_tables WHERE org_id = $1 AND module = $2',
    [orgId, module],
  );
  const r = rows[0];
  return r && { name: r.table_name, keys: JSON.parse(r.key_fields) as string[] };
}
