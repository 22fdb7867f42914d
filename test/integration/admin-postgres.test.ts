import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BulkwriteAdmin } from '../../src/client/admin.js';
import { auth, call } from '../helpers/api.js';
import { createTestDatabase, recordsTableOf } from '../helpers/postgres.js';
import { cliProcesses } from '../helpers/processes.js';
import { insertLeadsJob, jobFinished } from '../helpers/remote-jobs.js';

const leadsCsv = (rows: number, tag: string) =>
  ['Last_Name,Email', ...Array.from({ length: rows }, (_, i) => `R${i},${tag}${i}@example.com`)].join('\n');

describe('the admin API on PostgreSQL, one API process and a separate worker process', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let procs: ReturnType<typeof cliProcesses>;
  let url: string;
  let admin: BulkwriteAdmin;

  before(async () => {
    db = await createTestDatabase('bulkwrite_admin');
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-admin-pg-'));
    procs = cliProcesses({
      ...process.env,
      BULKWRITE_DATABASE_URL: db.url,
      BULKWRITE_LOG_LEVEL: 'warn',
      BULKWRITE_BATCH_SIZE: '200',
      BULKWRITE_POLL_INTERVAL_MS: '50',
    });
    const { match } = await procs.start(
      ['serve', '--no-worker', '--port', '0', '--data-dir', dataDir],
      /listening on (\S+)/,
    );
    url = match[1]!;
    await procs.start(['worker', '--data-dir', dataDir], /worker thread/);
    admin = new BulkwriteAdmin({ url });
  });
  after(async () => {
    procs.stopAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('health names the store', async () => {
    assert.equal((await admin.health()).store, 'postgres');
  });

  it('resets an org while the worker process runs its job: the job stops, nothing of it is written back', async () => {
    const org = await admin.createOrg({});
    await admin.call('POST', '/faults', { match: { org_id: org.org_id }, times: 1, job: { rows_per_second: 20 } });
    const jobId = await insertLeadsJob(url, org, leadsCsv(400, 'pgreset'));
    for (let i = 0; ; i++) {
      const d = (await call(`${url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(org.access_token) })).body;
      const file = (d.resource as Array<{ file?: { added_count?: number } }> | undefined)?.[0]?.file;
      if ((file?.added_count ?? 0) > 0) break;
      assert.ok(i < 400, `the slow job runs: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const leads = (await recordsTableOf(db, org.org_id, 'Leads'))!;
    assert.deepEqual(await admin.call('POST', '/reset', { org_id: org.org_id }), { reset: 'org', org_id: org.org_id });
    await new Promise((r) => setTimeout(r, 2500));
    // The org's records table is dropped with its registry row.
    assert.equal(await recordsTableOf(db, org.org_id, 'Leads'), undefined);
    const dropped = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [leads.name]);
    assert.equal(dropped.rows[0]!.t, null);
    const jobs = await db.query<{ n: string }>('SELECT count(*) AS n FROM jobs WHERE org_id = $1', [org.org_id]);
    assert.equal(Number(jobs.rows[0]!.n), 0);
    const next = await insertLeadsJob(url, org, leadsCsv(3, 'pgafter'));
    assert.equal((await jobFinished(url, org.access_token, next)).status, 'COMPLETED');
    await admin.call('DELETE', '/faults');
  });

  it('shares limits and credits through the store: credits spent through one API process count in another', async () => {
    const org = await admin.createOrg({});
    const { match } = await procs.start(
      ['serve', '--no-worker', '--port', '0', '--data-dir', dataDir],
      /listening on (\S+)/,
    );
    const url2 = match[1]!;
    await admin.call('PUT', `/orgs/${org.org_id}/limits`, { daily_credits: 6 });
    await new Promise((r) => setTimeout(r, 600)); // the other process reads the limits within 0.5 s
    const leadsAt = (base: string) => call(`${base}/crm/v2.1/Leads`, { headers: auth(org.access_token) });
    for (let i = 0; i < 3; i++) assert.notEqual((await leadsAt(url)).status, 429);
    const third = await leadsAt(url2);
    assert.equal(third.headers.get('x-api-credits-remaining'), '2');
    for (let i = 0; i < 2; i++) assert.notEqual((await leadsAt(url2)).status, 429);
    const refused = await leadsAt(url);
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.code, 'TOO_MANY_REQUESTS');
    const shown = await new BulkwriteAdmin({ url: url2 }).call<{ usage: { credits_used: number } }>(
      'GET',
      `/orgs/${org.org_id}/limits`,
    );
    assert.equal(shown.usage.credits_used, 6);
  });

  it('shares the clock through the store: the worker process stamps records with the moved clock', async () => {
    const created = await admin.createOrg({ time_zone: 'UTC' });
    await admin.clock.set('2030-06-01T10:00:00Z');
    try {
      // The token of a moment ago expired with the jump (an hour's life): take one on the moved clock.
      assert.equal((await call(`${url}/crm/v2.1/Leads`, { headers: auth(created.access_token) })).status, 401);
      const org = { ...created, ...(await admin.token(created.org_id)) };
      const jobId = await insertLeadsJob(url, org, leadsCsv(5, 'clock'));
      const details = await jobFinished(url, org.access_token, jobId);
      assert.equal(details.status, 'COMPLETED');
      assert.match(String(details.created_time), /^2030-06-01T10:0/);
      const records = await call(`${url}/crm/v2.1/Leads?fields=Last_Name,Created_Time`, {
        headers: auth(org.access_token),
      });
      const data = records.body.data as Array<{ Created_Time: string }>;
      assert.equal(data.length, 5, records.text);
      for (const r of data) assert.match(r.Created_Time, /^2030-06-01T10:0/, 'written by the worker process');
      const { rows } = await db.query<{ offset_ms: string }>('SELECT offset_ms FROM emulator_clock');
      assert.ok(Math.abs(Number(rows[0]!.offset_ms) - (Date.parse('2030-06-01T10:00:00Z') - Date.now())) < 60_000);
    } finally {
      await admin.clock.real();
    }
  });
});
