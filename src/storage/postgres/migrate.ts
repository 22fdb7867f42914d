import { migrationMismatch } from '../migration-mismatch.js';
import type pg from 'pg';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Advisory lock key for migrations: 'bulkwr' in ASCII, read as a number. */
const MIGRATION_LOCK_KEY = '108256469677938';

/**
 * Applies the numbered migrations not yet applied, all in one transaction that first takes an advisory
 * lock: when several processes start at once, one migrates and the others wait, then find nothing to do.
 * PostgreSQL DDL is transactional, so a failed migration leaves the schema as it was.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort();
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
      );
      const applied = await client.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations',
      );
      const done = new Map(applied.rows.map((r) => [r.version, r.name]));
      for (const file of files) {
        const version = Number(file.split('_')[0]);
        const name = done.get(version);
        if (name !== undefined) {
          if (name !== file) throw migrationMismatch(version, name, file);
          continue;
        }
        await client.query(readFileSync(MIGRATIONS_DIR + file, 'utf8'));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          version,
          file,
          Date.now(),
        ]);
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw e;
    }
  } finally {
    client.release(broken);
  }
}
