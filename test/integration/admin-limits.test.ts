import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { auth, call, createJob, upload, uploadCsv } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

type Body = Record<string, unknown>;

describe('limits and credits (PUT/GET /_bulkwrite/orgs/{id}/limits)', () => {
  let t: TestServer;
  let limitsUrl: string;
  before(async () => {
    t = await startTestServer();
    limitsUrl = `${t.url}/_bulkwrite/orgs/${t.creds.org_id}/limits`;
  });
  after(() => t.close());
  beforeEach(async () => {
    await call(`${t.url}/_bulkwrite/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org_id: t.creds.org_id }),
    });
    await call(limitsUrl, { method: 'DELETE' });
    await call(`${t.url}/_bulkwrite/faults`, { method: 'DELETE' });
    await call(`${t.url}/_bulkwrite/clock`, { method: 'DELETE' });
  });

  const put = (body: unknown) =>
    call(limitsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const leads = () => call(`${t.url}/crm/v2.1/Leads`, { headers: auth(t.creds.access_token) });
  const usage = async () => (await call(limitsUrl)).body.usage as Body;

  it('is off by default: no header, no credits counted', async () => {
    const shown = await call(limitsUrl);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.enabled, false);
    assert.deepEqual(shown.body.limits, {
      daily_credits: null,
      concurrency: null,
      max_concurrent_jobs: null,
      max_rows: null,
      max_file_bytes: null,
      max_columns: null,
      read_downloads_per_minute: null,
      profile: null,
    });
    for (let i = 0; i < 3; i++) assert.equal((await leads()).headers.get('x-api-credits-remaining'), null);
    assert.equal((await usage()).credits_used, 0);
  });

  it('spends 1 credit a call, shows X-API-CREDITS-REMAINING from half on, then 429 in Zoho envelope; the window rolls on the clock', async () => {
    assert.equal((await put({ daily_credits: 10 })).status, 200);
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 10; i++) {
      const res = await leads();
      assert.notEqual(res.status, 429, `call ${i + 1}`);
      remaining.push(res.headers.get('x-api-credits-remaining'));
    }
    assert.deepEqual(remaining, [null, null, null, null, '5', '4', '3', '2', '1', '0']);
    const refused = await leads();
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'TOO_MANY_REQUESTS');
    assert.equal(refused.body.status, 'error');
    assert.deepEqual(refused.body.details, {});
    assert.match(String(refused.body.message), /credits/);
    assert.deepEqual(
      { used: (await usage()).credits_used, left: (await usage()).credits_remaining },
      { used: 10, left: 0 },
      'a refused call spends nothing',
    );
    // 24 hours later on the emulator clock the window is empty again.
    await call(`${t.url}/_bulkwrite/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_ms: 24 * 3600_000 + 60_000 }),
    });
    const token = (await call(`${t.url}/_bulkwrite/orgs/${t.creds.org_id}/tokens`, { method: 'POST' })).body;
    const again = await call(`${t.url}/crm/v2.1/Leads`, { headers: auth(String(token.access_token)) });
    assert.notEqual(again.status, 429, again.text);
    assert.equal(again.headers.get('x-api-credits-remaining'), null);
  });

  it('charges 500 credits for creating a bulk write job', async () => {
    assert.equal((await put({ daily_credits: 1000 })).status, 200);
    const fileId = await uploadCsv(t, 'Last_Name\nA\n');
    const body = { operation: 'insert', resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }] };
    const first = await createJob(t, body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('x-api-credits-remaining'), '499');
    const second = await createJob(t, body);
    assert.equal(second.status, 429, second.text);
    assert.equal(second.body.code, 'TOO_MANY_REQUESTS');
    assert.equal((await usage()).credits_used, 501);
  });

  it('answers 429 when more than `concurrency` calls are in flight', async () => {
    assert.equal((await put({ concurrency: 1 })).status, 200);
    await call(`${t.url}/_bulkwrite/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { route: 'records' }, times: 1, delay_ms: 600 }),
    });
    const slow = leads();
    await new Promise((r) => setTimeout(r, 200));
    const second = await leads();
    assert.equal(second.status, 429, second.text);
    assert.match(String(second.body.message), /in flight/);
    assert.equal((await slow).status === 429, false);
    assert.notEqual((await leads()).status, 429, 'free again once the first answered');
  });

  it('answers 429 to a job created beyond max_concurrent_jobs', async () => {
    assert.equal((await put({ max_concurrent_jobs: 1 })).status, 200);
    await call(`${t.url}/_bulkwrite/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ job: { hold: true } }),
    });
    const fileId = await uploadCsv(t, 'Last_Name\nA\n');
    const body = { operation: 'insert', resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }] };
    assert.equal((await createJob(t, body)).status, 201);
    const refused = await createJob(t, body);
    assert.equal(refused.status, 429, refused.text);
    assert.match(String(refused.body.message), /queued or running/);
    assert.equal((await usage()).active_jobs, 1);
  });

  it("enforces max_rows, max_columns and max_file_bytes with Zoho's codes", async () => {
    assert.equal((await put({ max_rows: 2, max_columns: 1, max_file_bytes: 2000 })).status, 200);
    const job = async (csv: string) => {
      const fileId = await uploadCsv(t, csv);
      return createJob(t, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
    };
    const rows = await job('Last_Name\nA\nB\nC\n');
    assert.equal(rows.status, 400);
    assert.equal(rows.body.code, 'LIMIT_EXCEEDED');
    assert.equal((rows.body.details as Body).limit, 2);
    const columns = await job('Last_Name,Email\nA,a@example.com\n');
    assert.equal(columns.status, 400);
    assert.equal(columns.body.code, 'HEADER_LIMIT_EXCEEDED');
    const big = await upload(t, await makeZip({ 'leads.csv': `Last_Name\n${randomBytes(3000).toString('base64')}\n` }));
    assert.equal(big.status, 413, big.text);
    assert.equal(big.body.code, 'FILE_TOO_LARGE');
    assert.equal((big.body.details as Body).max_size_bytes, 2000);
    assert.equal((await job('Last_Name\nA\n')).status, 201, 'within the limits');
  });

  it('sets Zoho\'s published figures with {"profile":"zoho"}, by edition', async () => {
    const zoho = await put({ profile: 'zoho' });
    assert.equal(zoho.status, 200, zoho.text);
    assert.deepEqual(zoho.body.limits, {
      daily_credits: 51_000,
      concurrency: 20,
      max_concurrent_jobs: null,
      max_rows: 25_000,
      max_file_bytes: 25 * 1024 * 1024,
      max_columns: 200,
      read_downloads_per_minute: 10,
      profile: 'zoho:enterprise',
    });
    const free = await put({ profile: 'zoho', edition: 'free', users: 3 });
    assert.deepEqual([(free.body.limits as Body).daily_credits, (free.body.limits as Body).concurrency], [5_000, 5]);
    const standard = await put({ profile: 'zoho', edition: 'standard', users: 1000 });
    assert.equal((standard.body.limits as Body).daily_credits, 100_000, 'capped at the edition maximum');
    const ultimate = await put({ profile: 'zoho', edition: 'ultimate' });
    assert.equal((ultimate.body.limits as Body).daily_credits, null);
    assert.equal((await call(limitsUrl)).body.enabled, true);
  });

  it('refuses a bad body or an unknown org, naming what was wrong', async () => {
    const cases: Array<[unknown, string]> = [
      [{ daily_credits: 0 }, 'daily_credits'],
      [{ concurrency: 'ten' }, 'concurrency'],
      [{ credits: 5 }, 'credits'],
      [{ profile: 'salesforce' }, 'profile'],
      [{ profile: 'zoho', edition: 'gold' }, 'edition'],
      [{ profile: 'zoho', max_rows: 5 }, 'max_rows'],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'INVALID_DATA');
      assert.deepEqual(res.body.details, { field }, JSON.stringify(body));
    }
    const unknown = await call(`${t.url}/_bulkwrite/orgs/999/limits`);
    assert.equal(unknown.status, 404);
  });
});
