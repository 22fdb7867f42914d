import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { auth, call, unzipEntries } from '../helpers/api.js';
import { CliProcesses, createLeadsJobAt } from '../helpers/cli-processes.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { makeZip } from '../helpers/zip.js';

const JOBS = 3;
const ROWS = 6_000;

describe('scale-out on PostgreSQL: one API process and two worker processes', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let cli: CliProcesses;

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
    cli = new CliProcesses(env, dataDir);
  });
  after(async () => {
    cli.killAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every job exactly once when a worker is killed with SIGKILL mid-job', async () => {
    const url = await cli.serveWithoutWorker();
    const workers = [await cli.worker(), await cli.worker()];
    const creds = cli.credentials();
    assert.equal(creds.org_id.length > 0, true);

    const jobIds: string[] = [];
    for (let j = 0; j < JOBS; j++) {
      const csv = [
        'Last_Name,Email',
        ...Array.from({ length: ROWS }, (_, i) => (i % 20 === 19 ? `,bad${j}-${i}` : `Row${i},j${j}r${i}@example.com`)),
      ].join('\n');
      jobIds.push(await createLeadsJobAt(url, creds, await makeZip({ [`job${j}.csv`]: csv })));
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
      let d: Record<string, unknown>;
      const until = Date.now() + 120_000;
      for (;;) {
        d = (await call(`${url}/crm/bulk/v2.1/write/${id}`, { headers: auth(creds.access_token) })).body;
        if (d.status === 'COMPLETED' || d.status === 'FAILED') break;
        assert.ok(Date.now() < until, `job ${id} did not finish`);
        await new Promise((r) => setTimeout(r, 50));
      }
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

    const counts = await db.query<{ records: string; keys: string; distinct_ids: string }>(
      "SELECT (SELECT count(*) FROM records WHERE module = 'Leads') AS records, (SELECT count(*) FROM record_keys WHERE module = 'Leads') AS keys, (SELECT count(DISTINCT id) FROM records) AS distinct_ids",
    );
    assert.deepEqual(counts.rows[0], {
      records: String(JOBS * ROWS * 0.95),
      keys: String(JOBS * ROWS * 0.95),
      distinct_ids: String(JOBS * ROWS * 0.95),
    });
  });
});
