import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrationMismatch } from '../migration-mismatch.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Applies the numbered migrations not yet applied, each in its own immediate transaction (safe when processes start together). */
export function migrate(db: Database.Database): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort();
  for (const file of files) {
    const version = Number(file.split('_')[0]);
    const apply = db.transaction(() => {
      const done = db.prepare('SELECT name FROM schema_migrations WHERE version = ?').get(version) as
        { name: string } | undefined;
      if (done) {
        if (done.name !== file) throw migrationMismatch(version, done.name, file);
        return;
      }
      db.exec(readFileSync(MIGRATIONS_DIR + file, 'utf8'));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        version,
        file,
        Date.now(),
      );
    });
    apply.immediate();
  }
}
