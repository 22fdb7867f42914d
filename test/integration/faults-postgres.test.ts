import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auth, call, type HttpAnswer } from '../helpers/api.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { CliProcesses, createLeadsJobAt } from '../helpers/cli-processes.js';
import { addFault, leadsCsv, releaseJob } from '../helpers/faults.js';
import { createTestDatabase, type TestDatabase, recordsTableOf } from '../helpers/postgres.js';
import { makeZip } from '../helpers/zip.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault rules on PostgreSQL: two API processes and a separate worker process share them', () => {
  let db: TestDatabase;
  let dataDir: string;
  let cli: CliProcesses;
  let apiA: string;
  let apiB: string;
  let creds: { access_token: string; org_id: string };

  const job = (url: string, id: string) =>
    call(`${url}/crm/bulk/v2.1/write/${id}`, { headers: auth(creds.access_token) });

  const createJob = (url: string, rows: number, callbackUrl?: string) =>
    makeZip({ 'leads.csv': leadsCsv(rows, `Pg${rows}`) }).then((zip) =>
      createLeadsJobAt(url, creds, zip, callbackUrl ? { callback: { url: callbackUrl, method: 'post' } } : {}),
    );

  async function finished(url: string, id: string): Promise<Record<string, unknown>> {
    const until = Date.now() + 60_000;
    for (;;) {
      const d = (await job(url, id)).body;
      if (d.status === 'COMPLETED' || d.status === 'FAILED') return d;
      assert.ok(Date.now() < until, `job ${id} did not finish`);
      await sleep(50);
    }
  }

  before(async () => {
    db = await createTestDatabase('bulkwrite_faults');
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-faults-pg-'));
    cli = new CliProcesses(
      {
        ...process.env,
        BULKWRITE_DATABASE_URL: db.url,
        BULKWRITE_LOG_LEVEL: 'error',
        BULKWRITE_BATCH_SIZE: '4',
        BULKWRITE_POLL_INTERVAL_MS: '100',
        BULKWRITE_CALLBACK_ATTEMPTS: '3',
        BULKWRITE_CALLBACK_BACKOFF_MS: '10',
      },
      dataDir,
    );
    [apiA, apiB] = await Promise.all([cli.serveWithoutWorker(), cli.serveWithoutWorker()]);
    await cli.worker();
    creds = cli.credentials();
  });
  after(async () => {
    cli.killAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a request rule made through one API process fires in both within 0.5 s, `times` counted once across them', async () => {
    const id = await createJob(apiA, 1);
    await finished(apiA, id);
    // B has read the rules (none) before A adds one: it reads them again within half a second.
    assert.equal((await job(apiB, id)).status, 200);
    await addFault(apiA, { match: { route: 'job_details' }, times: 3, respond: { code: 'TOO_MANY_REQUESTS' } });
    await sleep(600);
    const answers: HttpAnswer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await job(i % 2 === 0 ? apiB : apiA, id));
    assert.deepEqual(
      answers.map((a) => a.status),
      [429, 429, 429, 200, 200, 200, 200, 200],
    );
    assert.equal(answers[0]!.body.code, 'TOO_MANY_REQUESTS');
    const { rows } = await db.query<{ hits: string; remaining: string }>('SELECT hits, remaining FROM fault_rules');
    assert.deepEqual(rows, [{ hits: '3', remaining: '0' }]);
    await call(`${apiB}/_bulkwrite/faults`, { method: 'DELETE' });
  });

  it('fail_at_row: the worker process fails the next job after exactly N rows', async () => {
    await addFault(apiB, { match: { org_id: creds.org_id }, times: 1, job: { fail_at_row: 6 } });
    const id = await createJob(apiA, 10);
    const d = await finished(apiA, id);
    assert.equal(d.status, 'FAILED');
    const [resource] = d.resource as Array<{ code: string; file: Record<string, unknown> }>;
    assert.equal(resource!.code, 'CANNOT_PROCESS');
    assert.deepEqual([resource!.file.added_count, resource!.file.total_count], [6, 6]);
    const table = (await recordsTableOf(db, creds.org_id, 'Leads'))!;
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${table.name} WHERE data->>'Last_Name' LIKE 'Pg10-%'`,
    );
    assert.equal(rows[0]!.n, '6');
  });

  it('hold: the worker process leaves the job ADDED until it is released through the other API process', async () => {
    await addFault(apiA, { times: 1, job: { hold: true } });
    const id = await createJob(apiA, 3);
    await sleep(700);
    assert.equal((await job(apiB, id)).body.status, 'ADDED');
    assert.equal((await releaseJob(apiB, id)).status, 200);
    assert.equal((await finished(apiA, id)).status, 'COMPLETED');
  });

  it('callback: the worker process counts the scripted attempts as failed and retries', async () => {
    const hook = await startCallbackReceiver();
    try {
      await addFault(apiB, { match: { org_id: creds.org_id }, times: 2, callback: { status: 503 } });
      const id = await createJob(apiA, 2, hook.url);
      await hook.waitFor(1, 20_000);
      assert.equal((JSON.parse(hook.hits[0]!.body) as { id: string }).id, id);
      const { rows } = await db.query<{ hits: string }>(
        "SELECT hits FROM fault_rules WHERE effect->>'kind' = 'callback'",
      );
      assert.deepEqual(rows, [{ hits: '2' }]);
    } finally {
      await hook.close();
    }
  });
});
