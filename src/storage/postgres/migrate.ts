import type pg from 'pg';
import { fileURLToPath } from 'node:url';
import { migrationStep, readMigrationFiles, type AppliedMigration } from '../core/migration-files.js';
import { convertRecords } from './postgres-record-tables.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Advisory lock key for migrations: 'bulkwr' in ASCII, read as a number. */
const MIGRATION_LOCK_KEY = '108256469677938';

/**
 * What a migration does after its SQL, in the same transaction, where a plain SQL file would repeat the
 * store's own DDL (130: a table per module, made as the store makes them). By file name; append-only.
 */
const CODE_STEPS: ReadonlyMap<string, (client: pg.PoolClient) => Promise<void>> = new Map([
  ['130_record_tables.sql', convertRecords],
]);

/**
 * Applies the numbered migrations not yet applied, all in one transaction that first takes an advisory
 * lock: when several processes start at once, one migrates and the others wait, then find nothing to do.
 * PostgreSQL DDL is transactional, so a failed migration, or a database refused because its applied
 * migrations differ from this build's, leaves the schema as it was.
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<void> {
  const files = readMigrationFiles(dir);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
      );
      // The checksum came later: a database migrated before has none, and gets them recorded below.
      await client.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
      const applied = await client.query<AppliedMigration & { version: number }>(
        'SELECT version, name, checksum FROM schema_migrations',
      );
      const done = new Map(applied.rows.map((r) => [r.version, r]));
      for (const file of files) {
        const step = migrationStep(file, done.get(file.version));
        if (step === 'record')
          await client.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [
            file.checksum,
            file.version,
          ]);
        if (step !== 'apply') continue;
        await client.query(file.sql);
        await CODE_STEPS.get(file.name)?.(client);
        await client.query(
          'INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)',
          [file.version, file.name, Date.now(), file.checksum],
        );
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
