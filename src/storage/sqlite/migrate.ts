import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { migrationStep, readMigrationFiles, type AppliedMigration } from '../core/migration-files.js';
import { convertRecords } from './sqlite-record-tables.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * What a migration does after its SQL, in the same transaction, where SQL alone cannot (SQLite makes no
 * table whose name a query computes). By file name; append-only like the files.
 */
const CODE_STEPS: ReadonlyMap<string, (db: Database.Database) => void> = new Map([
  ['130_record_tables.sql', convertRecords],
]);

/**
 * Applies the numbered migrations not yet applied, each in its own immediate transaction (safe when
 * processes start together), and refuses a database whose applied migrations differ from this build's.
 */
export function migrate(db: Database.Database, dir = MIGRATIONS_DIR): void {
  // SQLite has no hash function of its own; 040_client_secret_hashes.sql hashes the stored secrets with this one.
  db.function('bulkwrite_sha256_hex', { deterministic: true }, (text: unknown) =>
    createHash('sha256').update(String(text)).digest('hex'),
  );
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  // The checksum came later: a database migrated before has none, and gets them recorded below.
  db.transaction(() => {
    const has = db.prepare("SELECT 1 FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'").get();
    if (!has) db.exec('ALTER TABLE schema_migrations ADD COLUMN checksum TEXT');
  }).immediate();
  const appliedOf = db.prepare('SELECT name, checksum FROM schema_migrations WHERE version = ?');
  const record = db.prepare('UPDATE schema_migrations SET checksum = ? WHERE version = ?');
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)');
  for (const file of readMigrationFiles(dir)) {
    db.transaction(() => {
      const step = migrationStep(file, appliedOf.get(file.version) as AppliedMigration | undefined);
      if (step === 'record') record.run(file.checksum, file.version);
      if (step !== 'apply') return;
      db.exec(file.sql);
      CODE_STEPS.get(file.name)?.(db);
      insert.run(file.version, file.name, Date.now(), file.checksum);
    }).immediate();
  }
}
