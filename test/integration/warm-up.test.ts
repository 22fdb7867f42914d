import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { warmUpPipeline } from '../../src/jobs/warm-up.js';
import { openPostgresStorage } from '../../src/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { runJob } from '../helpers/api.js';
import { testSchemas } from '../helpers/postgres.js';
import { startTestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';

/** Every row of every table, in a stable order: equal snapshots mean nothing was written. */
function sqliteSnapshot(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as Array<{ name: string; sql: string | null }>;
    const rows = tables.map((t) =>
      t.sql?.startsWith('CREATE TABLE') ? (db.prepare(`SELECT * FROM "${t.name}"`).raw().all() as unknown[]) : [],
    );
    return JSON.stringify({ tables, rows });
  } finally {
    db.close();
  }
}

async function postgresSnapshot(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = (
      await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
      )
    ).rows.map((r) => r.table_name);
    const rows: string[][] = [];
    for (const t of tables) {
      const r = await client.query(`SELECT * FROM "${t}"`);
      rows.push(r.rows.map((x) => JSON.stringify(x)).sort());
    }
    return JSON.stringify({ tables, rows });
  } finally {
    await client.end();
  }
}

async function warmsUpWritingNothing(storage: Storage, snapshot: () => Promise<string> | string): Promise<void> {
  const before = await snapshot();
  assert.equal(await warmUpPipeline(storage, () => true), 16_000);
  // The id blocks' counter is a row too: no id was reserved.
  assert.equal(await snapshot(), before);
}

describe('warming the job pipeline up (jobs/warm-up.ts)', () => {
  it('runs generated rows through the pipeline and writes nothing to a SQLite store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-warm-'));
    const file = join(dir, 'bulkwrite.db');
    const storage = openSqliteStorage(file);
    try {
      await warmsUpWritingNothing(storage, () => sqliteSnapshot(file));
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const schemas = testSchemas();
  after(() => schemas.dropDatabase());
  it('writes nothing to a PostgreSQL store', async () => {
    const { url, drop } = await schemas.fresh();
    const storage = await openPostgresStorage(url);
    try {
      await warmsUpWritingNothing(storage, () => postgresSnapshot(url));
    } finally {
      await storage.close();
      await drop();
    }
  });

  it('stops after the slice in hand once told to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-warm-'));
    const storage = openSqliteStorage(join(dir, 'bulkwrite.db'));
    try {
      let asked = 0;
      // Asked before each slice: the first goes ahead, the second is refused.
      assert.equal(await warmUpPipeline(storage, () => ++asked < 2), 500);
      assert.equal(asked, 2);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a job created while it runs go first, with the same outcome as without it', async () => {
    const t = await startTestServer({ worker: false });
    const { worker, close } = openTestWorker(t, { warmUp: true });
    try {
      worker.start();
      const csv = ['Last_Name,Email', ...Array.from({ length: 20 }, (_, i) => `L${i},warm${i}@example.com`)].join('\n');
      const { details } = await runJob(t, csv, {});
      assert.equal(details.status, 'COMPLETED');
      const file = (details.resource as Array<{ file: Record<string, number> }>)[0]!.file;
      assert.deepEqual([file.added_count, file.skipped_count], [20, 0]);
      // The generated rows never became records of the org.
      assert.equal(await t.server.storage.records.count(t.creds.org_id, 'Leads'), 20);
    } finally {
      await worker.stop();
      await close();
      await t.close();
    }
  });
});
