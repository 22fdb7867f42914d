import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config.js';
import { auth, call, CREDENTIAL_KEYS, createJob, getJob, uploadCsv, waitForJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Body = Record<string, unknown>;
type Creds = TestServer['creds'];

const leads = (rows: number, tag: string) =>
  ['Last_Name,Email', ...Array.from({ length: rows }, (_, i) => `R${i},${tag}${i}@example.com`)].join('\n');

const post = (url: string, body: unknown) =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Files under the data folder's blobs/<area>/<org>, or [] when that folder is gone. */
function blobFiles(t: TestServer, area: string, orgId: string): string[] {
  const dir = join(t.dataDir, 'blobs', area, orgId);
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('POST /_bulkwrite/reset', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ callback: { ...DEFAULTS.callback, attempts: 1, timeoutMs: 2000, backoffMs: 20 } });
  });
  after(() => t.close());

  /** The test server as seen with another org's credentials. */
  const as = (creds: Creds): TestServer => ({ ...t, creds });

  async function jobOf(s: TestServer, csv: string, extra: Body = {}): Promise<string> {
    const fileId = await uploadCsv(s, csv);
    const res = await createJob(s, {
      operation: 'insert',
      ...extra,
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    assert.equal(res.status, 201, res.text);
    return (res.body.details as { id: string }).id;
  }

  const recordCount = async (s: TestServer) => {
    const res = await call(`${s.url}/crm/v2.1/Leads?per_page=200`, { headers: auth(s.creds.access_token) });
    assert.ok(res.status === 200 || res.status === 204, res.text);
    return res.status === 204 ? 0 : (res.body.data as unknown[]).length;
  };

  it("with org_id removes that org's jobs, files, results, records, journal and inbox messages, and keeps its tokens and other orgs", async () => {
    const made = await post(`${t.url}/_bulkwrite/orgs`, { name: 'other' });
    assert.equal(made.status, 201, made.text);
    const other = as(made.body as unknown as Creds);
    const mine = as(t.creds);
    const inbox = `${t.url}/_bulkwrite/inbox/reset-org`;
    const myJob = await jobOf(mine, leads(3, 'a'), { callback: { url: inbox, method: 'post' } });
    const otherJob = await jobOf(other, leads(2, 'b'), { callback: { url: inbox, method: 'post' } });
    await waitForJob(mine, myJob);
    await waitForJob(other, otherJob);
    const twoMessages = async () => {
      for (let i = 0; i < 100; i++) {
        const m = (await call(`${inbox}?wait_ms=2000`)).body.messages as unknown[];
        if (m.length === 2) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail('both callbacks reach the inbox');
    };
    await twoMessages();
    assert.equal(blobFiles(t, 'results', t.creds.org_id).length, 1);
    assert.equal(blobFiles(t, 'uploads', t.creds.org_id).length, 1);

    const res = await post(`${t.url}/_bulkwrite/reset`, { org_id: t.creds.org_id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { reset: 'org', org_id: t.creds.org_id });

    // Gone: the job, its records, its files, its journal and what its callback left in the inbox.
    assert.equal((await getJob(mine, myJob)).status, 400);
    assert.equal(await recordCount(mine), 0, 'the token still works; the records are gone');
    assert.deepEqual(blobFiles(t, 'results', t.creds.org_id), []);
    assert.deepEqual(blobFiles(t, 'uploads', t.creds.org_id), []);
    assert.deepEqual((await call(`${t.url}/_bulkwrite/callbacks?org_id=${t.creds.org_id}`)).body, { callbacks: [] });
    const left = (await call(inbox)).body.messages as Array<{ body: string }>;
    assert.deepEqual(
      left.map((m) => (JSON.parse(m.body) as Body).id),
      [otherJob],
    );
    // Kept: the other org, all of it.
    assert.equal((await getJob(other, otherJob)).body.status, 'COMPLETED');
    assert.equal(await recordCount(other), 2);
    assert.equal(
      (await call(`${t.url}/_bulkwrite/callbacks?org_id=${other.creds.org_id}`)).body.callbacks instanceof Array,
      true,
    );
    assert.equal(blobFiles(t, 'results', other.creds.org_id).length, 1);
    // And the reset org works on: a new job completes.
    assert.equal((await waitForJob(mine, await jobOf(mine, leads(1, 'c')))).status, 'COMPLETED');
  });

  it('stops a running job cleanly: nothing of it is written back, and the worker goes on', async () => {
    const rule = await post(`${t.url}/_bulkwrite/faults`, {
      match: { org_id: t.creds.org_id },
      times: 1,
      job: { rows_per_second: 10 },
    });
    assert.equal(rule.status, 201, rule.text);
    const jobId = await jobOf(as(t.creds), leads(200, 'slow'));
    for (let i = 0; ; i++) {
      const d = (await getJob(t, jobId)).body;
      if (d.status === 'IN PROGRESS' || d.status === 'INPROGRESS') {
        const done = ((d.result as Body | undefined)?.added_count ??
          (d.resource as Array<{ file?: Body }>)[0]?.file?.added_count) as number | undefined;
        if ((done ?? 0) > 0) break;
      }
      assert.ok(i < 200, `the slow job runs: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await post(`${t.url}/_bulkwrite/reset`, { org_id: t.creds.org_id });
    assert.equal(res.status, 200, res.text);
    // The worker's next chunk finds the job gone (about a second at 10 rows a second).
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await getJob(t, jobId)).status, 400);
    assert.equal(await recordCount(t), 0);
    assert.deepEqual(blobFiles(t, 'results', t.creds.org_id), []);
    assert.deepEqual(readdirSync(join(t.dataDir, 'blobs', 'tmp')), [], 'no half-written result zip');
    assert.equal((await waitForJob(t, await jobOf(t, leads(2, 'after')))).status, 'COMPLETED');
    await call(`${t.url}/_bulkwrite/faults`, { method: 'DELETE' });
  });

  it('removes a held job, so it cannot be released', async () => {
    await post(`${t.url}/_bulkwrite/faults`, { times: 1, job: { hold: true } });
    const jobId = await jobOf(t, leads(1, 'held'));
    assert.equal((await getJob(t, jobId)).body.status, 'ADDED');
    assert.equal((await post(`${t.url}/_bulkwrite/reset`, { org_id: t.creds.org_id })).status, 200);
    assert.equal((await call(`${t.url}/_bulkwrite/jobs/${jobId}/release`, { method: 'POST' })).status, 404);
    await call(`${t.url}/_bulkwrite/faults`, { method: 'DELETE' });
  });

  it('refuses an unknown org and a bad body, naming what was wrong', async () => {
    const unknown = await post(`${t.url}/_bulkwrite/reset`, { org_id: '1234' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'RESOURCE_NOT_FOUND');
    const bad = await post(`${t.url}/_bulkwrite/reset`, { org: 'x' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details, { field: 'org' });
  });

  it('resets an org of 10,000 records and 20 jobs well within 100 ms … (generous bound: 1 s on a shared machine)', async () => {
    for (let j = 0; j < 20; j++) await waitForJob(t, await jobOf(t, leads(500, `big${j}-`)), 60_000);
    const started = performance.now();
    const res = await post(`${t.url}/_bulkwrite/reset`, { org_id: t.creds.org_id });
    const ms = performance.now() - started;
    assert.equal(res.status, 200, res.text);
    assert.ok(ms < 1000, `reset took ${ms.toFixed(0)} ms`);
    assert.equal(await recordCount(t), 0);
  });

  // Last: it replaces every org, this server's default included.
  it('without org_id returns the store to a fresh start and answers the new default org with credentials', async () => {
    await post(`${t.url}/_bulkwrite/clock`, { advance_ms: 3_600_000 });
    await post(`${t.url}/_bulkwrite/faults`, { respond: { code: 'INTERNAL_ERROR' }, match: { route: 'records' } });
    await post(`${t.url}/_bulkwrite/inbox/whole`, { hello: 1 });
    const oldToken = t.creds.access_token;

    const res = await post(`${t.url}/_bulkwrite/reset`, {});
    assert.equal(res.status, 200, res.text);
    const fresh = res.body as unknown as Creds & { reset: string; name: string };
    assert.equal(fresh.reset, 'store');
    for (const key of CREDENTIAL_KEYS) assert.equal(typeof (fresh as unknown as Body)[key], 'string', key);
    assert.notEqual(fresh.org_id, t.creds.org_id);

    const orgs = (await call(`${t.url}/_bulkwrite/orgs`)).body.orgs as Array<{ org_id: string; default: boolean }>;
    assert.deepEqual(
      orgs.map((o) => [o.org_id, o.default]),
      [[fresh.org_id, true]],
    );
    assert.equal((await call(`${t.url}/crm/v2.1/Leads`, { headers: auth(oldToken) })).status, 401);
    assert.equal((await call(`${t.url}/_bulkwrite/clock`)).body.real_time, true);
    assert.deepEqual((await call(`${t.url}/_bulkwrite/faults`)).body, { faults: [] });
    assert.deepEqual((await call(`${t.url}/_bulkwrite/inbox/whole`)).body, { messages: [] });
    const s = as(fresh);
    assert.equal(await recordCount(s), 0, 'the new token works at once (no fault rule left)');
    assert.equal((await waitForJob(s, await jobOf(s, leads(2, 'fresh')))).status, 'COMPLETED');
  });
});
