// Zoho's Bulk Read download limit (docs/bulk-read.md, "Download limit") against a real HTTP server: with
// the org's limits on (`{"profile":"zoho"}`: 10 downloads a minute), the 11th download of the org in a
// minute of the emulator clock gets 429 TOO_MANY_REQUESTS in Zoho's envelope, whichever of its jobs it
// asks for; refused downloads do not count; another org is not held by it; the minute slides on the clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, call, runJob, type HttpAnswer } from '../helpers/api.js';
import { runReadJob } from '../helpers/bulk-read.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Body = Record<string, unknown>;

describe('bulk read: Zoho’s limit of 10 downloads a minute', () => {
  let t: TestServer;
  let jobs: string[];
  let limitsUrl: string;

  const json = (method: string, url: string, body: unknown) =>
    call(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const advance = (ms: number) => json('POST', `${t.url}/_bulkwrite/clock`, { advance_ms: ms });
  const download = (jobId: string, token = t.creds.access_token): Promise<HttpAnswer> =>
    call(`${t.url}/crm/bulk/v2.1/read/${jobId}/result`, { headers: auth(token) });
  const used = async () => ((await call(limitsUrl)).body.usage as Body).read_downloads_last_minute;
  /** A fresh access token on the moved clock (the one issued at start may have expired on it). */
  const freshToken = async (orgId = t.creds.org_id) =>
    String((await call(`${t.url}/_bulkwrite/orgs/${orgId}/tokens`, { method: 'POST' })).body.access_token);

  before(async () => {
    t = await startTestServer();
    limitsUrl = `${t.url}/_bulkwrite/orgs/${t.creds.org_id}/limits`;
    const written = await runJob(t, 'Last_Name,Company\nA,X\nB,Y\n', { module: { api_name: 'Leads' } });
    assert.equal(written.details.status, 'COMPLETED');
    jobs = [];
    for (let i = 0; i < 2; i++) jobs.push((await runReadJob(t, { query: { module: { api_name: 'Leads' } } })).id);
  });
  after(() => t.close());

  it('is off while the org has no limits', async () => {
    for (let i = 0; i < 12; i++) assert.equal((await download(jobs[i % 2]!)).status, 200, `download ${i + 1}`);
  });

  it('refuses the 11th download of the org in a minute, of any of its jobs, with 429 in Zoho’s envelope', async () => {
    const set = await json('PUT', limitsUrl, { profile: 'zoho' });
    assert.equal(set.status, 200, set.text);
    assert.equal((set.body.limits as Body).read_downloads_per_minute, 10);
    // Downloads made before the limit was set are counted too, as they are in the last minute: move on first.
    await advance(61_000);
    let token = await freshToken();
    // Six of one job, four of the other: ten downloads of the org.
    for (let i = 0; i < 10; i++) {
      const res = await download(jobs[i < 6 ? 0 : 1]!, token);
      assert.equal(res.status, 200, `download ${i + 1}: ${res.text}`);
      assert.equal(res.headers.get('content-type'), 'application/zip');
    }
    assert.equal(await used(), 10);
    for (const jobId of jobs) {
      const refused = await download(jobId, token);
      assert.equal(refused.status, 429, refused.text);
      assert.equal(refused.headers.get('content-type')?.startsWith('application/json'), true);
      assert.deepEqual(Object.keys(refused.body).sort(), ['code', 'details', 'message', 'status']);
      assert.equal(refused.body.code, 'TOO_MANY_REQUESTS');
      assert.equal(refused.body.status, 'error');
      assert.deepEqual(refused.body.details, {});
      assert.match(String(refused.body.message), /downloaded 10 bulk read results in the last minute; at most 10/);
    }
    assert.equal(await used(), 10, 'a refused download is not counted');
    // Job details and the create are not downloads: they still answer.
    const details = await call(`${t.url}/crm/bulk/v2.1/read/${jobs[0]!}`, { headers: auth(token) });
    assert.equal(details.status, 200, details.text);

    // Another org is not held by this org's downloads (it has the same limits; the job is unknown to it).
    const other = (await json('POST', `${t.url}/_bulkwrite/orgs`, {})).body as Body;
    const otherOrg = String(other.org_id);
    assert.equal((await json('PUT', `${t.url}/_bulkwrite/orgs/${otherOrg}/limits`, { profile: 'zoho' })).status, 200);
    const elsewhere = await download(jobs[0]!, await freshToken(otherOrg));
    assert.equal(elsewhere.body.code, 'RESOURCE_NOT_FOUND', elsewhere.text);

    // The minute slides on the emulator clock: 30 s on, the ten downloads are still in it.
    await advance(30_000);
    token = await freshToken();
    assert.equal((await download(jobs[1]!, token)).status, 429);
    // A minute after the last of them, they are all out of it.
    await advance(31_000);
    token = await freshToken();
    assert.equal(await used(), 0);
    assert.equal((await download(jobs[1]!, token)).status, 200);
    assert.equal(await used(), 1);

    // Limits off: no download is refused.
    assert.equal((await call(limitsUrl, { method: 'DELETE' })).status, 200);
    for (let i = 0; i < 11; i++) assert.equal((await download(jobs[0]!, token)).status, 200, `download ${i + 1}`);
  });

  it('takes read_downloads_per_minute as a setting of its own', async () => {
    await advance(61_000);
    const token = await freshToken();
    assert.equal((await json('PUT', limitsUrl, { read_downloads_per_minute: 2 })).status, 200);
    assert.equal((await download(jobs[0]!, token)).status, 200);
    assert.equal((await download(jobs[1]!, token)).status, 200);
    assert.equal((await download(jobs[0]!, token)).status, 429);
    const bad = await json('PUT', limitsUrl, { read_downloads_per_minute: 0 });
    assert.equal(bad.status, 400, bad.text);
    assert.equal((bad.body.details as Body).field, 'read_downloads_per_minute');
    assert.equal((await call(limitsUrl, { method: 'DELETE' })).status, 200);
  });
});
