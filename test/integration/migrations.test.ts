import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { migrate as migratePostgres } from '../../src/storage/postgres/migrate.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { migrate as migrateSqlite } from '../../src/storage/sqlite/migrate.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { ChunkConflictError, type ChunkCommit, type Storage } from '../../src/storage/storage.js';
import { makeJob, makeOrg } from '../helpers/storage-conformance.js';
import { testSchemas } from '../helpers/postgres.js';

const schemas = testSchemas();
after(() => schemas.dropDatabase());

interface AppliedRow {
  version: number;
  name: string;
  checksum: string | null;
}

/** One empty database of a store, and what the tests do with it. */
interface MigratedDatabase {
  /** This build's migrations of the store. */
  migrations: string;
  /** Opens the store on the database (it migrates with this build's migrations), then closes it. */
  open(): Promise<void>;
  /** Runs the store's migrator with the migrations in `dir`. */
  migrate(dir: string): Promise<void>;
  exec(sql: string): Promise<void>;
  /** SQL that writes n records of one org and module straight into the records table. */
  recordsSql(orgId: string, module: string, n: number): string;
  /** Opens the store on the database (migrating it); the caller closes it. */
  storage(): Promise<Storage>;
  applied(): Promise<AppliedRow[]>;
  cleanup(): Promise<void>;
}

const migrationsOf = (store: string) =>
  fileURLToPath(new URL(`../../src/storage/${store}/migrations/`, import.meta.url));

async function sqliteDatabase(): Promise<MigratedDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-migrate-'));
  const file = join(dir, 'bulkwrite.db');
  const withDb = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    migrations: migrationsOf('sqlite'),
    open: async () => openSqliteStorage(file).close(),
    migrate: async (migrations) => withDb((db) => migrateSqlite(db, migrations)),
    exec: async (sql) => void withDb((db) => db.exec(sql)),
    recordsSql: (orgId, module, n) =>
      `WITH RECURSIVE i (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ${n})
       INSERT INTO records (id, org_id, module, data, created_at, modified_at)
       SELECT 4150868000000100000 + n * 2 + ${module.length}, '${orgId}', '${module}', json_object('n', n), 0, 0 FROM i`,
    storage: async () => openSqliteStorage(file),
    applied: async () =>
      withDb((db) =>
        db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all(),
      ) as AppliedRow[],
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(): Promise<MigratedDatabase> {
  const { url, drop } = await schemas.fresh();
  const withPool = async <T>(fn: (pool: pg.Pool) => Promise<T>): Promise<T> => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      return await fn(pool);
    } finally {
      await pool.end();
    }
  };
  return {
    migrations: migrationsOf('postgres'),
    open: async () => (await openPostgresStorage(url)).close(),
    migrate: (migrations) => withPool((pool) => migratePostgres(pool, migrations)),
    exec: (sql) => withPool(async (pool) => void (await pool.query(sql))),
    recordsSql: (orgId, module, n) =>
      `INSERT INTO records (id, org_id, module, data, created_at, modified_at)
       SELECT (4150868000000100000 + n * 2 + ${module.length})::text, '${orgId}', '${module}', json_build_object('n', n), 0, 0
       FROM generate_series(1, ${n}) AS n`,
    storage: () => openPostgresStorage(url),
    applied: () =>
      withPool(
        async (pool) =>
          (await pool.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')).rows,
      ),
    cleanup: drop,
  };
}

/** What the migrator should have recorded for the migrations in `dir`. */
function expectedRows(dir: string): AppliedRow[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({
      version: Number(name.split('_')[0]),
      name,
      checksum: createHash('sha256')
        .update(readFileSync(join(dir, name)))
        .digest('hex'),
    }));
}

/** A copy of the migrations a test may edit. */
function copyOf(dir: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'bulkwrite-migrations-'));
  cpSync(dir, copy, { recursive: true });
  return copy;
}

/**
 * Records as the release before migration 130 wrote them (its chunk commit's statements): one `records`
 * table for every org and module, unique keys in `record_keys`, counts in `record_counts`. The same text
 * runs on both stores (SQLite turns the quoted ids into integers by the columns' affinity).
 */
const OLD_LAYOUT_ID = (n: number) => String(4150868000000700000n + BigInt(n));
const OLD_LAYOUT_SQL = `
  INSERT INTO records (id, org_id, module, data, created_at, modified_at) VALUES
    ('${OLD_LAYOUT_ID(3)}', 'org-a', 'Leads', '{"Last_Name":"Three","Email":"c@example.test"}', 3, 3),
    ('${OLD_LAYOUT_ID(1)}', 'org-a', 'Leads',
     '{"Last_Name":"One","Email":"A@Example.test","Secondary_Email":"Sec@Example.TEST"}', 1, 1),
    ('${OLD_LAYOUT_ID(2)}', 'org-a', 'Leads', '{"Last_Name":"Two","Email":"b@example.test"}', 2, 2),
    ('${OLD_LAYOUT_ID(4)}', 'org-b', 'Leads', '{"Last_Name":"Other org","Email":"a@example.test"}', 4, 4),
    ('${OLD_LAYOUT_ID(5)}', 'org-a', 'Products', '{"Product_Name":"Widget","Product_Code":"W-1"}', 5, 5);
  INSERT INTO record_keys (org_id, module, field, value, record_id) VALUES
    ('org-a', 'Leads', 'Email', 'a@example.test', '${OLD_LAYOUT_ID(1)}'),
    ('org-a', 'Leads', 'Email', 'b@example.test', '${OLD_LAYOUT_ID(2)}'),
    ('org-a', 'Leads', 'Email', 'c@example.test', '${OLD_LAYOUT_ID(3)}'),
    ('org-b', 'Leads', 'Email', 'a@example.test', '${OLD_LAYOUT_ID(4)}'),
    ('org-a', 'Products', 'Product_Code', 'w-1', '${OLD_LAYOUT_ID(5)}');
  INSERT INTO record_counts (org_id, module, records) VALUES
    ('org-a', 'Leads', 3), ('org-b', 'Leads', 1), ('org-a', 'Products', 1);`;

const ANOTHER_BUILD =
  /the database has migration 4 as 004_from_another_build\.sql, but this build's migration 4 is 004_parent_child\.sql/;

for (const [name, database] of [
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', postgresDatabase],
] as const) {
  describe(`${name} migrations`, () => {
    async function withDatabase(fn: (db: MigratedDatabase) => Promise<void>): Promise<void> {
      const db = await database();
      try {
        await fn(db);
      } finally {
        await db.cleanup();
      }
    }

    it('records the sha256 of every migration it applies', () =>
      withDatabase(async (db) => {
        await db.open();
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    it('records the checksums of a database migrated before checksums were kept, and opens it', () =>
      withDatabase(async (db) => {
        await db.open();
        await db.exec('ALTER TABLE schema_migrations DROP COLUMN checksum');
        await db.open();
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    it('refuses a database one of whose applied migrations was edited since, and applies nothing', () =>
      withDatabase(async (db) => {
        const copy = copyOf(db.migrations);
        try {
          await db.migrate(copy);
          const before = await db.applied();
          appendFileSync(join(copy, '002_token_lifecycle.sql'), '\nCREATE TABLE edited (x integer);\n');
          writeFileSync(join(copy, '099_next.sql'), 'CREATE TABLE next (x integer);\n');
          await assert.rejects(
            db.migrate(copy),
            /migration 002_token_lifecycle\.sql was edited after it was applied to this database .*restore the file and put the change in a new numbered migration/,
          );
          assert.deepEqual(await db.applied(), before);
        } finally {
          rmSync(copy, { recursive: true, force: true });
        }
      }));

    it('takes a migration whose line endings alone changed as the one applied', () =>
      withDatabase(async (db) => {
        const copy = copyOf(db.migrations);
        try {
          await db.migrate(copy);
          const file = join(copy, '001_initial.sql');
          writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
          await db.migrate(copy);
        } finally {
          rmSync(copy, { recursive: true, force: true });
        }
      }));

    it('is refused on open when the checksum it recorded is not that of the migration file', () =>
      withDatabase(async (db) => {
        await db.open();
        await db.exec("UPDATE schema_migrations SET checksum = 'a1b2c3' WHERE version = 3");
        await assert.rejects(db.open(), /migration 003_org_schemas\.sql was edited after it was applied/);
      }));

    it('counts the records of a database made before record_counts, and lists it from any offset', () =>
      withDatabase(async (db) => {
        // The previous release: every migration before 080.
        const before = copyOf(db.migrations);
        try {
          for (const f of readdirSync(before)) if (Number(f.split('_')[0]) >= 80) rmSync(join(before, f));
          await db.migrate(before);
        } finally {
          rmSync(before, { recursive: true, force: true });
        }
        await db.exec(db.recordsSql('org-a', 'Leads', 2_345));
        await db.exec(db.recordsSql('org-a', 'Contacts', 12));
        const storage = await db.storage();
        try {
          assert.equal(await storage.records.count('org-a', 'Leads'), 2_345);
          assert.equal(await storage.records.count('org-a', 'Contacts'), 12);
          assert.equal(await storage.records.count('org-b', 'Leads'), 0);
          const page = await storage.records.list('org-a', 'Leads', 2_001, 3);
          assert.deepEqual(
            page.map((r) => r.data.n),
            [2_002, 2_003, 2_004],
          );
        } finally {
          await storage.close();
        }
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    it('indexes the Secondary_Email of records written before migration 090, and finds them by it', () =>
      withDatabase(async (db) => {
        const before = copyOf(db.migrations);
        try {
          for (const f of readdirSync(before)) if (Number(f.split('_')[0]) >= 90) rmSync(join(before, f));
          await db.migrate(before);
        } finally {
          rmSync(before, { recursive: true, force: true });
        }
        await db.exec(db.recordsSql('org-a', 'Leads', 500));
        await db.exec(`INSERT INTO records (id, org_id, module, data, created_at, modified_at) VALUES
          ('4150868000000900001', 'org-a', 'Leads', '{"Last_Name":"A","Secondary_Email":"Old@Example.TEST"}', 0, 0),
          ('4150868000000900002', 'org-a', 'Contacts', '{"Secondary_Email":"old@example.test"}', 0, 0)`);
        const storage = await db.storage();
        try {
          assert.deepEqual(await storage.records.idsByEmail('org-a', 'Leads', 'Secondary_Email', 'old@example.test'), [
            '4150868000000900001',
          ]);
          assert.deepEqual(
            await storage.records.idsByEmail('org-a', 'Contacts', 'Secondary_Email', 'OLD@example.test'),
            ['4150868000000900002'],
          );
        } finally {
          await storage.close();
        }
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    /** The previous release's store: every migration but 130. */
    const migrateAllBut130 = async (db: { migrations: string; migrate(dir: string): Promise<unknown> }) => {
      const before = copyOf(db.migrations);
      try {
        for (const f of readdirSync(before)) if (Number(f.split('_')[0]) === 130) rmSync(join(before, f));
        await db.migrate(before);
      } finally {
        rmSync(before, { recursive: true, force: true });
      }
    };

    it('converts a store of the release before 130: records and keys move to a table per module and are served', () =>
      withDatabase(async (db) => {
        await migrateAllBut130(db);
        await db.exec(OLD_LAYOUT_SQL);
        await db.exec(db.recordsSql('org-a', 'Contacts', 2_345));
        await db.exec("INSERT INTO record_counts (org_id, module, records) VALUES ('org-a', 'Contacts', 2345)");
        const storage = await db.storage();
        try {
          const leads = await storage.records.list('org-a', 'Leads', 0, 10);
          assert.deepEqual(
            leads.map((r) => [r.id, r.module, r.data.Last_Name, r.createdAt]),
            [1, 2, 3].map((n) => [OLD_LAYOUT_ID(n), 'Leads', ['One', 'Two', 'Three'][n - 1], n]),
          );
          assert.equal(await storage.records.count('org-a', 'Leads'), 3);
          assert.deepEqual(
            (await storage.records.list('org-a', 'Contacts', 2_001, 3)).map((r) => r.data.n),
            [2_002, 2_003, 2_004],
          );
          // Search by a unique field, per org; by the Secondary_Email index; by display text.
          assert.deepEqual(
            await storage.records.idsByKey('org-a', 'Leads', 'Email', ['a@example.test', 'c@example.test', 'x@y.z']),
            new Map([
              ['a@example.test', OLD_LAYOUT_ID(1)],
              ['c@example.test', OLD_LAYOUT_ID(3)],
            ]),
          );
          assert.deepEqual(
            await storage.records.idsByKey('org-b', 'Leads', 'Email', ['a@example.test']),
            new Map([['a@example.test', OLD_LAYOUT_ID(4)]]),
          );
          assert.deepEqual(
            await storage.records.idsByKey('org-a', 'Products', 'Product_Code', ['w-1']),
            new Map([['w-1', OLD_LAYOUT_ID(5)]]),
          );
          assert.deepEqual(await storage.records.idsByEmail('org-a', 'Leads', 'Secondary_Email', 'sec@example.test'), [
            OLD_LAYOUT_ID(1),
          ]);
          assert.deepEqual(
            await storage.records.firstIdsByText('org-a', 'Products', ['Product_Name'], ['widget']),
            new Map([['widget', OLD_LAYOUT_ID(5)]]),
          );

          // Update by key: record Two moves to a new e-mail, and a new record takes the one it left.
          await storage.orgs.create(makeOrg('org-a'));
          await storage.jobs.create(makeJob('org-a', 'job-1'));
          const job = (await storage.jobs.claimNext('worker-1', 60_000, Date.now()))!;
          const now = Date.now();
          const chunk = (checkpointRow: number, parts: Partial<ChunkCommit>): ChunkCommit => ({
            orgId: 'org-a',
            jobId: job.id,
            workerId: 'worker-1',
            module: 'Leads',
            inserts: [],
            updates: [],
            results: [],
            added: 0,
            updated: 0,
            skipped: 0,
            checkpointRow,
            leaseUntil: now + 60_000,
            now,
            ...parts,
          });
          await storage.jobs.commitChunk(
            chunk(2, {
              updates: [
                {
                  id: OLD_LAYOUT_ID(2),
                  data: { Last_Name: 'Two', Email: 'b2@example.test' },
                  removeKeys: [['Email', 'b@example.test']],
                  addKeys: [['Email', 'b2@example.test']],
                },
              ],
              inserts: [{ id: OLD_LAYOUT_ID(9), data: { Last_Name: 'Nine' }, keys: [['Email', 'b@example.test']] }],
            }),
          );
          assert.deepEqual(
            await storage.records.idsByKey('org-a', 'Leads', 'Email', ['b@example.test', 'b2@example.test']),
            new Map([
              ['b@example.test', OLD_LAYOUT_ID(9)],
              ['b2@example.test', OLD_LAYOUT_ID(2)],
            ]),
          );
          assert.equal((await storage.records.get('org-a', 'Leads', OLD_LAYOUT_ID(2)))?.data.Email, 'b2@example.test');
          // The converted keys are still unique: a record taking one is a conflict, and nothing is written.
          await assert.rejects(
            storage.jobs.commitChunk(
              chunk(3, { inserts: [{ id: OLD_LAYOUT_ID(10), data: {}, keys: [['Email', 'c@example.test']] }] }),
            ),
            ChunkConflictError,
          );
          assert.equal((await storage.records.list('org-a', 'Leads', 0, 10)).length, 4);
        } finally {
          await storage.close();
        }
        await assert.rejects(db.exec('SELECT 1 FROM record_keys'), /no such table|does not exist/);
        await assert.rejects(db.exec('SELECT 1 FROM records'), /no such table|does not exist/);
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    it('leaves the old layout whole when converting it fails, and converts it on the next open', () =>
      withDatabase(async (db) => {
        await migrateAllBut130(db);
        await db.exec(OLD_LAYOUT_SQL);
        // The conversion's second table cannot be made (its name is taken): it stops half way.
        await db.exec('CREATE TABLE records_2 (x integer)');
        await assert.rejects(db.open(), /records_2/);
        assert.ok(!(await db.applied()).some((m) => m.version === 130));
        await db.exec("SELECT 1 FROM records WHERE org_id = 'org-a'");
        await assert.rejects(db.exec('SELECT 1 FROM records_1'), /no such table|does not exist/);
        await db.exec('DROP TABLE records_2');
        const storage = await db.storage();
        try {
          assert.equal((await storage.records.list('org-a', 'Leads', 0, 10)).length, 3);
          assert.deepEqual(
            await storage.records.idsByKey('org-b', 'Leads', 'Email', ['a@example.test']),
            new Map([['a@example.test', OLD_LAYOUT_ID(4)]]),
          );
        } finally {
          await storage.close();
        }
        assert.deepEqual(await db.applied(), expectedRows(db.migrations));
      }));

    it('refuses a database migrated by another build, not half migrated', () =>
      withDatabase(async (db) => {
        await db.open();
        await db.exec("UPDATE schema_migrations SET name = '004_from_another_build.sql' WHERE version = 4");
        await assert.rejects(db.open(), ANOTHER_BUILD);
      }));
  });
}
