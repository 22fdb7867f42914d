import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, call, downloadResult, getJob, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RequestJournal, REQUEST_JOURNAL_SIZE, type JournaledRequest } from '../../src/api/request-journal.js';

type Entry = JournaledRequest;

describe('the request journal (GET /_bulkwrite/requests)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  const journal = async (query = '') => {
    const res = await call(`${t.url}/_bulkwrite/requests${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body.requests as Entry[];
  };

  it('lists the Zoho API calls in order, with route, status, code and time; not the admin calls', async () => {
    assert.equal((await call(`${t.url}/_bulkwrite/requests`, { method: 'DELETE' })).status, 200);
    const { jobId, details } = await runJob(t, 'Last_Name\nA\nB\n', {});
    assert.equal(details.status, 'COMPLETED');
    assert.equal((await downloadResult(t, details)).rows.length, 2);
    const missing = await getJob(t, '1234567890123456789');
    assert.equal(missing.status, 400);

    const mine = await journal(`?org_id=${t.creds.org_id}`);
    const routes = mine.map((e) => e.route);
    const polls = routes.filter((r) => r === 'job_details').length;
    assert.ok(polls >= 2, `at least one poll and the lookup of a missing job: ${routes.join(',')}`);
    assert.deepEqual(
      routes.filter((r, i) => r !== routes[i - 1]),
      ['upload', 'create_job', 'job_details', 'download', 'job_details'],
    );
    const last = mine.at(-1)!;
    assert.deepEqual(
      { ...last, time: undefined, ms: undefined },
      {
        time: undefined,
        ms: undefined,
        method: 'GET',
        path: '/crm/bulk/v2.1/write/1234567890123456789',
        status: 400,
        code: 'RESOURCE_NOT_FOUND',
        route: 'job_details',
        org_id: t.creds.org_id,
      },
    );
    assert.ok(Math.abs(Date.parse(last.time) - Date.now()) < 60_000);
    assert.equal(typeof last.ms, 'number');
    const create = mine.find((e) => e.route === 'create_job')!;
    assert.deepEqual([create.method, create.status, create.code], ['POST', 201, null]);
    assert.ok(mine.some((e) => e.path === `/crm/bulk/v2.1/write/${jobId}` && e.status === 200));
    assert.ok(!(await journal()).some((e) => e.path.startsWith('/_bulkwrite')), 'admin calls are not journaled');

    const polled = await journal('?route=job_details&limit=1');
    assert.deepEqual(polled, [last]);
  });

  it('journals token calls and unknown paths without their query string, with the error code', async () => {
    await call(`${t.url}/_bulkwrite/requests`, { method: 'DELETE' });
    await call(`${t.url}/oauth/v2/token?grant_type=authorization_code&code=nope&client_id=x&client_secret=SECRET`, {
      method: 'POST',
    });
    await call(`${t.url}/crm/v2.1/Nowhere/else?token=SECRET`, { headers: auth('1000.bad.token') });
    const all = await journal();
    assert.equal(all.length, 2, JSON.stringify(all));
    assert.deepEqual(
      all.map((e) => [e.route, e.path, e.code, e.org_id]),
      [
        ['token', '/oauth/v2/token', all[0]!.code, null],
        ['records', '/crm/v2.1/Nowhere/else', 'INVALID_TOKEN', null],
      ],
    );
    assert.match(String(all[0]!.code), /^invalid_/);
    assert.ok(!JSON.stringify(all).includes('SECRET'));
  });

  it('refuses a bad filter, naming it', async () => {
    for (const [q, param] of [
      ['?route=everything', 'route'],
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      [`?limit=${REQUEST_JOURNAL_SIZE + 1}`, 'limit'],
    ]) {
      const res = await call(`${t.url}/_bulkwrite/requests${q}`);
      assert.equal(res.status, 400, q);
      assert.deepEqual(res.body.details, { param_name: param });
    }
  });

  it('keeps the last REQUEST_JOURNAL_SIZE calls in its ring, oldest first, and clears one org', () => {
    const j = new RequestJournal();
    const entry = (i: number): JournaledRequest => ({
      time: '',
      method: 'GET',
      path: `/${i}`,
      status: 200,
      code: null,
      ms: 0,
      route: null,
      org_id: i % 2 === 0 ? 'even' : 'odd',
    });
    for (let i = 0; i < REQUEST_JOURNAL_SIZE + 10; i++) j.add(entry(i));
    const all = j.last(REQUEST_JOURNAL_SIZE * 2, () => true);
    assert.equal(all.length, REQUEST_JOURNAL_SIZE);
    assert.equal(all[0]!.path, '/10');
    assert.equal(all.at(-1)!.path, `/${REQUEST_JOURNAL_SIZE + 9}`);
    assert.deepEqual(
      j.last(2, (e) => e.org_id === 'even').map((e) => e.path),
      [`/${REQUEST_JOURNAL_SIZE + 6}`, `/${REQUEST_JOURNAL_SIZE + 8}`],
    );
    j.clear('even');
    const left = j.last(REQUEST_JOURNAL_SIZE, () => true);
    assert.equal(left.length, REQUEST_JOURNAL_SIZE / 2);
    assert.ok(left.every((e) => e.org_id === 'odd'));
    j.add(entry(100_001));
    assert.equal(j.last(1, () => true)[0]!.path, '/100001');
  });
});
