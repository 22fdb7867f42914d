import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One numbered migration of a store, as this build has it. */
export interface MigrationFile {
  version: number;
  /** The file name, e.g. 004_parent_child.sql. */
  name: string;
  sql: string;
  /** sha256 of the text, hex; an applied migration is held to it. */
  checksum: string;
}

/** What the database records of the migration applied with a number; checksum null if applied before checksums were kept. */
export interface AppliedMigration {
  name: string;
  checksum: string | null;
}

/** The numbered migrations (NNN_name.sql) in a folder, in order. */
export function readMigrationFiles(dir: string): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      return { version: Number(name.split('_')[0]), name, sql, checksum: checksumOf(sql) };
    });
}

/** Line endings do not count: a checkout that turned LF into CRLF has not edited a migration. */
export const checksumOf = (sql: string): string =>
  createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');

/**
 * What to do with a migration file given the migration applied with its number: apply it (none was),
 * record its checksum (it was applied before checksums were kept), or nothing. Throws when the applied
 * one is another migration, or this one before an edit: going on would leave the schema other than this
 * build expects, and quietly.
 */
export function migrationStep(file: MigrationFile, applied: AppliedMigration | undefined): 'apply' | 'record' | 'none' {
  if (applied === undefined) return 'apply';
  if (applied.name !== file.name) throw migrationMismatch(file.version, applied.name, file.name);
  if (applied.checksum === null) return 'record';
  if (applied.checksum !== file.checksum) throw migrationEdited(file, applied.checksum);
  return 'none';
}

/**
 * The database was migrated by another build, whose migration of this number was a different one: going
 * on would skip this build's migration and leave the schema half right.
 */
function migrationMismatch(version: number, applied: string, file: string): Error {
  return new Error(
    `the database has migration ${version} as ${applied}, but this build's migration ${version} is ${file}: ` +
      'it was made by another build of bulkwrite; use a database made by this one',
  );
}

/** The migration was applied, then its file was changed: the change never reached this database. */
function migrationEdited(file: MigrationFile, applied: string): Error {
  return new Error(
    `migration ${file.name} was edited after it was applied to this database (sha256 then ${applied.slice(0, 12)}…, ` +
      `now ${file.checksum.slice(0, 12)}…): applied migrations never change; restore the file and put the change ` +
      'in a new numbered migration',
  );
}
