import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { auth, unzipEntries } from '../helpers/api.js';
import { createTestDatabase, recordsTableOf } from '../helpers/postgres.js';
import { cliProcesses } from '../helpers/processes.js';
import { insertLeadsJob, jobFinished, type OrgToken } from '../helpers/remote-jobs.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const JOBS = 3;
const ROWS = 6_000;

/** The store's default org and a token for it, from `bulkwrite credentials`. */
function credentials(dataDir: string, env: NodeJS.ProcessEnv): OrgToken {
  const creds = JSON.parse(
    spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], { env, encoding: 'utf8' })
      .stdout,
  ) as OrgToken;
  assert.equal(creds.org_id.length > 0, true);
  return creds;
}

describe('scale-out on PostgreSQL: one API process and two worker processes', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let procs: ReturnType<typeof cliProcesses>;
  const start = (args: string[], ready: RegExp) => procs.start([...args, '--data-dir', dataDir], ready);

  before(async () => {
    db = await createTestDatabase('bulkwrite_scale');
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-scale-'));
    env = {
      ...process.env,
      BULKWRITE_DATABASE_URL: db.url,
      BULKWRITE_LOG_LEVEL: 'warn',
      BULKWRITE_BATCH_SIZE: '500',
      BULKWRITE_LEASE_MS: '2000',
      BULKWRITE_POLL_INTERVAL_MS: '100',
    };
    procs = cliProcesses(env);
  });
  after(async () => {
    procs.stopAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every job exactly once when a worker is killed with SIGKILL mid-job', async () => {
    const { match } = await start(['serve', '--no-worker', '--port', '0'], /listening on (\S+)/);
    const url = match[1]!;
    const workers = [await start(['worker'], /worker thread/), await start(['worker'], /worker thread/)].map(
      (w) => w.proc,
    );
    const creds = credentials(dataDir, env);

    const jobIds: string[] = [];
    for (let j = 0; j < JOBS; j++) {
      const csv = [
        'Last_Name,Email',
        ...Array.from({ length: ROWS }, (_, i) => (i % 20 === 19 ? `,bad${j}-${i}` : `Row${i},j${j}r${i}@example.com`)),
      ].join('\n');
      jobIds.push(await insertLeadsJob(url, creds, csv, `job${j}`));
    }

    // Find a worker holding a job with some, not all, chunks committed, and kill its process.
    let victim: number | undefined;
    for (let tries = 0; victim === undefined; tries++) {
      assert.ok(tries < 2000, 'no job was seen half done');
      const { rows } = await db.query<{ lease_owner: string; checkpoint_row: number }>(
        "SELECT lease_owner, checkpoint_row FROM jobs WHERE status = 'INPROGRESS' AND checkpoint_row > 0 AND checkpoint_row < $1 AND lease_owner IS NOT NULL",
        [ROWS],
      );
      const pid = rows[0] && Number(/^worker-(\d+)-/.exec(rows[0].lease_owner)?.[1]);
      if (pid && workers.some((w) => w.pid === pid)) victim = pid;
      else await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(victim, 'SIGKILL');

    for (const id of jobIds) {
      const d = await jobFinished(url, creds.access_token, id, 120_000);
      assert.equal(d.status, 'COMPLETED');
      const file = (d.resource as Array<{ file: Record<string, number> }>)[0]!.file;
      assert.deepEqual(
        [file.added_count, file.skipped_count, file.updated_count, file.total_count],
        [ROWS * 0.95, ROWS * 0.05, 0, ROWS],
      );
      const zip = await fetch((d.result as { download_url: string }).download_url, {
        headers: auth(creds.access_token),
      });
      const csvOut = [...(await unzipEntries(Buffer.from(await zip.arrayBuffer()))).values()][0]!.toString('utf8');
      const rows = Papa.parse<Record<string, string>>(csvOut, { header: true, skipEmptyLines: true }).data;
      assert.equal(rows.length, ROWS);
      rows.forEach((r, i) => assert.equal(r.STATUS, i % 20 === 19 ? 'SKIPPED' : 'ADDED', `row ${i + 1}`));
    }

    // The org's Leads table: every record once, each with its e-mail key.
    const table = (await recordsTableOf(db, creds.org_id, 'Leads'))!;
    const email = `k${table.keys.indexOf('Email')}`;
    const counts = await db.query<{ records: string; keys: string; distinct_ids: string }>(
      `SELECT count(*) AS records, count(${email}) AS keys, count(DISTINCT id) AS distinct_ids FROM ${table.name}`,
    );
    assert.deepEqual(counts.rows[0], {
      records: String(JOBS * ROWS * 0.95),
      keys: String(JOBS * ROWS * 0.95),
      distinct_ids: String(JOBS * ROWS * 0.95),
    });
  });
});

describe('scale-out on PostgreSQL: a worker process learns of a new job at once', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let procs: ReturnType<typeof cliProcesses>;

  before(async () => {
    db = await createTestDatabase('bulkwrite_notify');
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-notify-'));
    // Workers poll once a minute here: a job done in seconds was not found by polling.
    env = {
      ...process.env,
      BULKWRITE_DATABASE_URL: db.url,
      BULKWRITE_LOG_LEVEL: 'warn',
      BULKWRITE_POLL_INTERVAL_MS: '60000',
      BULKWRITE_WARM_UP: 'false',
    };
    procs = cliProcesses(env);
  });
  after(async () => {
    procs.stopAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an idle worker takes a job created through another process without waiting for its next poll', async () => {
    const { match } = await procs.start(
      ['serve', '--no-worker', '--port', '0', '--data-dir', dataDir],
      /listening on (\S+)/,
    );
    const url = match[1]!;
    const creds = credentials(dataDir, env);
    await procs.start(['worker', '--data-dir', dataDir], /worker thread/);
    // Long enough for the worker's first look at the queue to have found it empty.
    await new Promise((r) => setTimeout(r, 2000));
    const csv = ['Last_Name,Email', ...Array.from({ length: 50 }, (_, i) => `Row${i},n${i}@example.com`)].join('\n');
    for (let j = 0; j < 2; j++) {
      const id = await insertLeadsJob(url, creds, csv.replaceAll('@', `${j}@`), `notify${j}`);
      const d = await jobFinished(url, creds.access_token, id, 20_000);
      assert.equal(d.status, 'COMPLETED');
    }
  });
});
