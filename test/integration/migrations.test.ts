import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { createTestDatabase } from '../helpers/postgres.js';

const ANOTHER_BUILD =
  /the database has migration 4 as 004_from_another_build\.sql, but this build's migration 4 is 004_parent_child\.sql/;

describe('a database migrated by another build', () => {
  it('is refused by SQLite, not half migrated', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-migrate-'));
    try {
      const file = join(dir, 'bulkwrite.db');
      await openSqliteStorage(file).close();
      const db = new Database(file);
      db.prepare("UPDATE schema_migrations SET name = '004_from_another_build.sql' WHERE version = 4").run();
      db.close();
      assert.throws(() => openSqliteStorage(file), ANOTHER_BUILD);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused by PostgreSQL, not half migrated', async () => {
    const { url, drop } = await createTestDatabase();
    try {
      await (await openPostgresStorage(url)).close();
      const db = new pg.Client(url);
      await db.connect();
      await db.query("UPDATE schema_migrations SET name = '004_from_another_build.sql' WHERE version = 4");
      await db.end();
      await assert.rejects(openPostgresStorage(url), ANOTHER_BUILD);
    } finally {
      await drop();
    }
  });
});
