import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from '../../src/storage/core/migration-files.js';
import { openStorage } from '../../src/storage/open-storage.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { RowResult, User } from '../../src/domain/types.js';
import type { Storage } from '../../src/storage/storage.js';
import { testSchemas } from '../helpers/postgres.js';
import { defineStorageConformance, FIRST_ID, makeOrg, type StoreUnderTest } from '../helpers/storage-conformance.js';

const schemas = testSchemas();
after(() => schemas.dropDatabase());

/** Tracks every handle a test opens so cleanup closes them all. */
function handles(
  first: Storage,
  reopenOne: () => Promise<Storage>,
  addUser: StoreUnderTest['addUser'],
  dispose: () => Promise<void>,
): StoreUnderTest {
  const open: Storage[] = [first];
  return {
    storage: first,
    addUser,
    async reopen() {
      const s = await reopenOne();
      open.push(s);
      return s;
    },
    async cleanup() {
      await Promise.all(open.map((s) => s.close()));
      await dispose();
    },
  };
}

function sqliteUser(file: string, orgId: string, user: User): void {
  const db = new Database(file);
  try {
    db.prepare('INSERT INTO users (org_id, id, name, email) VALUES (?, ?, ?, ?)').run(
      orgId,
      user.id,
      user.name,
      user.email,
    );
  } finally {
    db.close();
  }
}

async function postgresUser(url: string, orgId: string, user: User): Promise<void> {
  const db = new pg.Client(url);
  await db.connect();
  try {
    await db.query('INSERT INTO users (org_id, id, name, email) VALUES ($1, $2, $3, $4)', [
      orgId,
      user.id,
      user.name,
      user.email,
    ]);
  } finally {
    await db.end();
  }
}

defineStorageConformance('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-storage-'));
  const file = join(dir, 'bulkwrite.db');
  return handles(
    openSqliteStorage(file),
    async () => openSqliteStorage(file),
    async (orgId, user) => sqliteUser(file, orgId, user),
    async () => rmSync(dir, { recursive: true, force: true }),
  );
});

// The job writer's connection: checkpoints on a thread of their own, and a guard small enough to fire.
defineStorageConformance('SQLite (background checkpoints)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-storage-'));
  const file = join(dir, 'bulkwrite.db');
  return handles(
    openSqliteStorage(file, { backgroundCheckpoints: { intervalMs: 5, guardBytes: 64 << 10 } }),
    async () => openSqliteStorage(file),
    async (orgId, user) => sqliteUser(file, orgId, user),
    async () => rmSync(dir, { recursive: true, force: true }),
  );
});

defineStorageConformance('PostgreSQL', async () => {
  const { url, drop } = await schemas.fresh();
  return handles(
    await openPostgresStorage(url),
    () => openPostgresStorage(url),
    (orgId, user) => postgresUser(url, orgId, user),
    drop,
  );
});

describe('PostgreSQL migrations', () => {
  test('are applied once when several processes open a fresh database at the same moment', async () => {
    const { url, drop } = await schemas.fresh();
    const stores = await Promise.all(Array.from({ length: 5 }, () => openPostgresStorage(url)));
    try {
      const starts = await Promise.all(stores.map((s) => s.reserveIds(1)));
      assert.deepEqual(
        starts.map((s) => s - FIRST_ID).sort((a, b) => (a < b ? -1 : 1)),
        [0n, 1n, 2n, 3n, 4n],
      );
      const check = new pg.Client(url);
      await check.connect();
      try {
        const applied = await check.query('SELECT version, name FROM schema_migrations ORDER BY version');
        const files = readMigrationFiles(
          fileURLToPath(new URL('../../src/storage/postgres/migrations/', import.meta.url)),
        );
        assert.ok(files.some((f) => f.name === '006_records_by_id.sql'));
        assert.deepEqual(
          applied.rows,
          files.map((f) => ({ version: f.version, name: f.name })),
        );
      } finally {
        await check.end();
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await drop();
    }
  });

  test('keep the row outcomes of a job interrupted by the upgrade to packed outcomes (005)', async () => {
    const { url, drop } = await schemas.fresh();
    const db = new pg.Client(url);
    await db.connect();
    try {
      // The schema as 003 left it, with outcomes of a job stored one row each: rows 1–6 and, after a gap, 9.
      await db.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
      );
      for (const [version, name] of [
        [1, '001_initial.sql'],
        [2, '002_token_lifecycle.sql'],
        [3, '003_org_schemas.sql'],
      ] as const) {
        await db.query(readFileSync(new URL(`../../src/storage/postgres/migrations/${name}`, import.meta.url), 'utf8'));
        await db.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [version, name]);
      }
      const old: RowResult[] = [
        { rowNo: 1, status: 'ADDED', recordId: '4150868000000100001', errors: null },
        { rowNo: 2, status: 'SKIPPED', recordId: null, errors: 'DUPLICATE_DATA-Email' },
        { rowNo: 3, status: 'UPDATED', recordId: '4150868000000100002', errors: null },
        { rowNo: 4, status: 'SKIPPED', recordId: null, errors: 'INVALID_DATA-A\tb\\c\nd' },
        { rowNo: 5, status: 'SKIPPED', recordId: null, errors: 'MANDATORY_NOT_FOUND-Last_Name' },
        { rowNo: 6, status: 'ADDED', recordId: '4150868000000100003', errors: null },
        { rowNo: 9, status: 'ADDED', recordId: '4150868000000100004', errors: null },
      ];
      for (const r of old)
        await db.query(
          'INSERT INTO job_results (job_id, row_no, status, record_id, errors) VALUES ($1, $2, $3, $4, $5)',
          ['job-1', r.rowNo, r.status, r.recordId, r.errors],
        );
      const storage = await openPostgresStorage(url);
      try {
        assert.deepEqual(await storage.jobs.results('job-1', 1, 100), old);
        assert.deepEqual(await storage.jobs.results('job-1', 4, 2), old.slice(3, 5));
        assert.deepEqual(await storage.jobs.results('job-1', 7, 100), old.slice(6));
      } finally {
        await storage.close();
      }
    } finally {
      await db.end();
      await drop();
    }
  });

  test('leave an already migrated database as it is when a process opens it again', async () => {
    const { url, drop } = await schemas.fresh();
    try {
      const first = await openPostgresStorage(url);
      await first.orgs.create(makeOrg('org-a'));
      await first.close();
      const second = await openPostgresStorage(url);
      assert.equal((await second.orgs.getDefault())?.id, 'org-a');
      await second.close();
    } finally {
      await drop();
    }
  });
});

describe('openStorage', () => {
  test('opens SQLite in the data folder when no database URL is set', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-open-'));
    try {
      const storage = await openStorage({ dataDir, databaseUrl: '' });
      await storage.orgs.create(makeOrg('org-a'));
      await storage.close();
      assert.ok(existsSync(join(dataDir, 'bulkwrite.db')));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('opens PostgreSQL for a postgres:// or postgresql:// URL', async () => {
    const { url, drop } = await schemas.fresh();
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-open-'));
    try {
      for (const databaseUrl of [url, url.replace(/^postgres:/, 'postgresql:')]) {
        const storage = await openStorage({ dataDir, databaseUrl });
        if (!(await storage.orgs.get('org-a'))) await storage.orgs.create(makeOrg('org-a'));
        await storage.close();
      }
      assert.equal(existsSync(join(dataDir, 'bulkwrite.db')), false);
      const check = await openPostgresStorage(url);
      assert.equal((await check.orgs.getDefault())?.id, 'org-a');
      await check.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await drop();
    }
  });

  test('refuses a database URL it does not know rather than falling back to a local file', async () => {
    await assert.rejects(
      openStorage({ dataDir: tmpdir(), databaseUrl: 'mysql://user:secret@db/bulkwrite' }),
      (e: Error) => /postgres:\/\//.test(e.message) && !e.message.includes('secret'),
    );
  });
});
