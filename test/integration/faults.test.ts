import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { auth, call, createJob, downloadResult, getJob, uploadCsv, waitForJob } from '../helpers/api.js';
import {
  addFault,
  clearFaults,
  leadsCsv,
  listFaults,
  postFault,
  releaseJob,
  startLeadsJob,
} from '../helpers/faults.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { DEFAULTS } from '../../src/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault rules through real HTTP (POST/GET/DELETE /_bulkwrite/faults)', () => {
  let t: TestServer;
  let jobId: string;
  const details = () => getJob(t, jobId);

  before(async () => {
    t = await startTestServer();
    jobId = await startLeadsJob(t, leadsCsv(2, 'Base'));
    await waitForJob(t, jobId);
  });
  after(() => t.close());
  afterEach(async () => {
    assert.equal((await clearFaults(t.url)).status, 200);
  });

  it('refuses a rule that is not one, naming what is wrong', async () => {
    const cases: Array<[unknown, string]> = [
      [{ respond: { status: 429, code: 'NO_SUCH_CODE' } }, '$.respond.code'],
      [{ respond: { code: 'TOO_MANY_REQUESTS', status: 200 } }, '$.respond.status'],
      [{ delay_ms: 10, drop: true }, '$'],
      [{ match: { route: 'everything' }, drop: true }, '$.match.route'],
      [{ match: { org_id: 'abc' }, drop: true }, '$.match.org_id'],
      [{ match: { colour: 'red' }, drop: true }, '$.match.colour'],
      [{ times: 0, drop: true }, '$.times'],
      [{ probability: 1.5, drop: true }, '$.probability'],
      [{ delay_ms: -1 }, '$.delay_ms'],
      [{ match: { route: 'job_details' }, job: { hold: true } }, '$.match'],
      [{ job: { fail_at_row: 2, code: 'WHATEVER' } }, '$.job.code'],
      [{ job: {} }, '$.job'],
      [{ callback: { status: 'down' } }, '$.callback.status'],
      ['not json', '$'],
      [[1, 2], '$'],
    ];
    for (const [rule, path] of cases) {
      const res = await postFault(t.url, rule);
      assert.equal(res.status, 400, JSON.stringify(rule));
      assert.equal(res.body.code, 'INVALID_DATA');
      assert.equal(res.body.status, 'error');
      assert.deepEqual(res.body.details, { json_path: path }, JSON.stringify(rule));
      assert.ok(String(res.body.message).length > 0);
    }
    assert.deepEqual(await listFaults(t.url), []);
  });

  it('respond: Zoho’s envelope with the status and code, `times` times, then the real answer', async () => {
    const id = await addFault(t.url, {
      match: { route: 'job_details' },
      times: 2,
      respond: { status: 429, code: 'TOO_MANY_REQUESTS' },
    });
    for (let i = 0; i < 2; i++) {
      const res = await details();
      assert.equal(res.status, 429);
      assert.deepEqual(res.body, {
        code: 'TOO_MANY_REQUESTS',
        details: {},
        message: 'Too many requests. Please try again later.',
        status: 'error',
      });
    }
    assert.equal((await details()).status, 200);
    const [rule] = await listFaults(t.url);
    assert.equal(rule!.id, id);
    assert.deepEqual([rule!.times, rule!.remaining, rule!.hits], [2, 0, 2]);
    assert.deepEqual(rule!.match, { route: 'job_details' });
  });

  it('respond: a message and status of the rule’s own, matched by method, org and job', async () => {
    await addFault(t.url, {
      match: { route: 'job_details', method: 'get', org_id: t.creds.org_id, job_id: jobId },
      respond: { status: 503, code: 'INTERNAL_ERROR', message: 'scripted outage' },
    });
    const res = await details();
    assert.equal(res.status, 503);
    assert.deepEqual(res.body, { code: 'INTERNAL_ERROR', details: {}, message: 'scripted outage', status: 'error' });
    // Other routes, another job id, another org: untouched.
    assert.equal((await call(`${t.url}/crm/v2.1/Leads`, { headers: auth(t.creds.access_token) })).status, 200);
    assert.equal((await getJob(t, '1234567890123456789')).body.code, 'RESOURCE_NOT_FOUND');
    await clearFaults(t.url);
    await addFault(t.url, { match: { org_id: '999' }, respond: { code: 'INTERNAL_ERROR' } });
    assert.equal((await details()).status, 200);
  });

  it('respond on the token route, matched by the org of the form’s client', async () => {
    await addFault(t.url, {
      match: { route: 'token', org_id: t.creds.org_id },
      times: 1,
      respond: { code: 'TOO_MANY_REQUESTS' },
    });
    const form = () =>
      call(`${t.url}/oauth/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: t.creds.client_id,
          client_secret: t.creds.client_secret,
          refresh_token: t.creds.refresh_token,
        }).toString(),
      });
    const first = await form();
    assert.equal(first.status, 429);
    assert.equal(first.body.code, 'TOO_MANY_REQUESTS');
    const second = await form();
    assert.equal(second.status, 200, second.text);
    assert.equal(typeof second.body.access_token, 'string');
  });

  it('matches the org of a multipart token form (what the official TS SDK sends), and the route still reads it', async () => {
    await addFault(t.url, {
      match: { route: 'token', org_id: t.creds.org_id },
      times: 1,
      respond: { code: 'TOO_MANY_REQUESTS' },
    });
    const multipart = async () => {
      const body = new FormData();
      body.set('grant_type', 'refresh_token');
      body.set('client_id', t.creds.client_id);
      body.set('client_secret', t.creds.client_secret);
      body.set('refresh_token', t.creds.refresh_token);
      const res = await fetch(`${t.url}/oauth/v2/token`, { method: 'POST', body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const first = await multipart();
    assert.equal(first.status, 429);
    assert.equal(first.body.code, 'TOO_MANY_REQUESTS');
    // The rule spent, the fields the fault hook read are the ones the token route exchanges.
    await addFault(t.url, { match: { route: 'token', org_id: '999' }, respond: { code: 'INTERNAL_ERROR' } });
    const second = await multipart();
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(typeof second.body.access_token, 'string');
  });

  it('delay_ms: the real answer, that much later, on the matched route only', async () => {
    await addFault(t.url, { match: { route: 'job_details' }, delay_ms: 400 });
    let started = performance.now();
    const res = await details();
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'COMPLETED');
    assert.ok(performance.now() - started >= 390, `answered after ${performance.now() - started} ms`);
    started = performance.now();
    assert.equal((await call(`${t.url}/crm/v2.1/Leads`, { headers: auth(t.creds.access_token) })).status, 200);
    assert.ok(performance.now() - started < 390);
  });

  it('drop: the connection closes without an answer, then answers again when the rule is spent', async () => {
    await addFault(t.url, { match: { route: 'job_details' }, times: 1, drop: true });
    await assert.rejects(
      fetch(`${t.url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(t.creds.access_token) }),
      (e: Error) => e instanceof TypeError && /fetch failed/.test(e.message),
    );
    assert.equal((await details()).status, 200);
  });

  it('probability: about that share of matching requests fire, and hits counts them', async () => {
    await addFault(t.url, { match: { route: 'job_details' }, probability: 0.5, respond: { code: 'INTERNAL_ERROR' } });
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await details()).status === 500) failed++;
    // Binomial(200, 0.5): outside 60..140 with a chance below 1e-8.
    assert.ok(failed > 60 && failed < 140, `${failed} of 200 fired`);
    assert.equal((await listFaults(t.url))[0]!.hits, failed);
  });

  it('rules are tried in the order they were added; DELETE one or all', async () => {
    const a = await addFault(t.url, { match: { route: 'job_details' }, respond: { code: 'TOO_MANY_REQUESTS' } });
    const b = await addFault(t.url, { match: { route: 'job_details' }, respond: { code: 'INTERNAL_ERROR' } });
    assert.equal((await details()).status, 429);
    assert.deepEqual(await call(`${t.url}/_bulkwrite/faults/${a}`, { method: 'DELETE' }).then((r) => r.body), {
      deleted: 1,
    });
    assert.equal((await details()).status, 500);
    const gone = await call(`${t.url}/_bulkwrite/faults/${a}`, { method: 'DELETE' });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'RESOURCE_NOT_FOUND');
    assert.deepEqual(
      (await listFaults(t.url)).map((r) => r.id),
      [b],
    );
    assert.deepEqual((await clearFaults(t.url)).body, { deleted: 1 });
    assert.equal((await details()).status, 200);
  });
});

describe('job effects: fail_at_row, hold and release, rows_per_second', () => {
  let t: TestServer;
  const count = () => t.server.storage.records.count(t.creds.org_id, 'Leads');

  before(async () => {
    t = await startTestServer({ batchSize: 2 });
  });
  after(() => t.close());
  afterEach(async () => {
    await clearFaults(t.url);
  });

  it('fail_at_row: the next job of the org ends FAILED after exactly N rows, written and counted', async () => {
    await addFault(t.url, {
      match: { org_id: t.creds.org_id },
      times: 1,
      job: { fail_at_row: 3, code: 'CANNOT_PROCESS' },
    });
    const before = await count();
    const jobId = await startLeadsJob(t, leadsCsv(7, 'Fail'));
    const details = await waitForJob(t, jobId);
    assert.equal(details.status, 'FAILED');
    const [resource] = details.resource as Array<Record<string, unknown>>;
    assert.equal(resource!.status, 'FAILED');
    assert.equal(resource!.code, 'CANNOT_PROCESS');
    assert.equal(resource!.message, 'The file could not be processed');
    assert.deepEqual(resource!.file, {
      status: 'FAILED',
      name: 'leads.csv',
      added_count: 3,
      skipped_count: 0,
      updated_count: 0,
      total_count: 3,
    });
    // Zoho's download-result page lists "unprocessed" among a row's statuses: the rows done, then the rest.
    const result = await downloadResult(t, details);
    assert.deepEqual(
      result.rows.map((r) => [r.STATUS, r.RECORD_ID === '' ? '' : 'id', r.ERRORS]),
      [...Array(3).fill(['ADDED', 'id', '']), ...Array(4).fill(['UNPROCESSED', '', ''])],
    );
    assert.equal((await count()) - before, 3);
    // times: 1, so the next job runs whole.
    const next = await waitForJob(t, await startLeadsJob(t, leadsCsv(4, 'After')));
    assert.equal(next.status, 'COMPLETED');
  });

  it('hold: the job stays ADDED until released, then runs; a second release is refused', async () => {
    await addFault(t.url, { times: 1, job: { hold: true } });
    const jobId = await startLeadsJob(t, leadsCsv(3, 'Held'));
    await sleep(400);
    assert.equal((await getJob(t, jobId)).body.status, 'ADDED');
    // Other jobs are not held behind it.
    assert.equal((await waitForJob(t, await startLeadsJob(t, leadsCsv(1, 'Free')))).status, 'COMPLETED');
    assert.equal((await getJob(t, jobId)).body.status, 'ADDED');
    const released = await releaseJob(t.url, jobId);
    assert.equal(released.status, 200);
    assert.deepEqual(released.body, { released: jobId });
    assert.equal((await waitForJob(t, jobId)).status, 'COMPLETED');
    const again = await releaseJob(t.url, jobId);
    assert.equal(again.status, 404);
    assert.equal(again.body.code, 'RESOURCE_NOT_FOUND');
  });

  it('a job effect by job_id: a held job is given a failure, then released', async () => {
    await addFault(t.url, { times: 1, job: { hold: true } });
    const jobId = await startLeadsJob(t, leadsCsv(5, 'ById'));
    await addFault(t.url, {
      match: { job_id: jobId },
      job: { fail_at_row: 0, code: 'INVALID_DATA', message: 'scripted' },
    });
    await releaseJob(t.url, jobId);
    const details = await waitForJob(t, jobId);
    assert.equal(details.status, 'FAILED');
    const [resource] = details.resource as Array<Record<string, unknown>>;
    assert.deepEqual([resource!.code, resource!.message], ['INVALID_DATA', 'scripted']);
    assert.equal((resource!.file as { total_count: number }).total_count, 0);
  });

  it('clearing the rules lets a held job run', async () => {
    await addFault(t.url, { job: { hold: true } });
    const jobId = await startLeadsJob(t, leadsCsv(2, 'Cleared'));
    await sleep(200);
    assert.equal((await getJob(t, jobId)).body.status, 'ADDED');
    await clearFaults(t.url);
    assert.equal((await waitForJob(t, jobId)).status, 'COMPLETED');
  });

  it('rows_per_second: INPROGRESS counts move at that pace', async () => {
    await addFault(t.url, { times: 1, job: { rows_per_second: 4 } });
    const started = performance.now();
    const jobId = await startLeadsJob(t, leadsCsv(8, 'Slow'));
    const totals = new Set<number>();
    for (;;) {
      const body = (await getJob(t, jobId)).body;
      const [resource] = body.resource as Array<{ file: { total_count: number } }>;
      if (body.status === 'INPROGRESS') totals.add(resource!.file.total_count);
      if (body.status === 'COMPLETED') break;
      assert.ok(performance.now() - started < 10_000, 'the job never finished');
      await sleep(50);
    }
    // 8 rows at 4 a second: about 2 s, and the counts were seen part way.
    const took = performance.now() - started;
    assert.ok(took >= 1_800, `took ${took} ms`);
    assert.ok(
      [...totals].some((n) => n > 0 && n < 8),
      `counts seen: ${[...totals].join(', ')}`,
    );
  });
});

describe('the callback effect', () => {
  it('attempts the rule fires on count as answered with its status and are retried; the rest are sent', async () => {
    const t = await startTestServer({
      callback: { ...DEFAULTS.callback, attempts: 4, timeoutMs: 2000, backoffMs: 10 },
    });
    const hook = await startCallbackReceiver();
    try {
      await addFault(t.url, { match: { org_id: t.creds.org_id }, times: 2, callback: { status: 503 } });
      const fileId = await uploadCsv(t, leadsCsv(2, 'Hook'));
      const res = await createJob(t, {
        operation: 'insert',
        callback: { url: hook.url, method: 'post' },
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      assert.equal(res.status, 201, res.text);
      await hook.waitFor(1, 10_000);
      await sleep(200);
      // Two attempts answered 503 by the rule, the third sent and answered 200: one POST arrived.
      assert.equal(hook.hits.length, 1);
      assert.equal((JSON.parse(hook.hits[0]!.body) as { status: string }).status, 'COMPLETED');
      const [rule] = await listFaults(t.url);
      assert.deepEqual([rule!.hits, rule!.remaining], [2, 0]);
      // The journal holds the three attempts: two failed with the rule's status, then the delivery.
      const jobId = (res.body.details as { id: string }).id;
      const journal = await t.server.storage.callbacks.attempts({ jobId, limit: 10 });
      assert.deepEqual(
        journal.map((a) => [a.attempt, a.statusCode]),
        [
          [1, 503],
          [2, 503],
          [3, 200],
        ],
      );
    } finally {
      await hook.close();
      await t.close();
    }
  });

  it('a rule for another job leaves the callback alone', async () => {
    const t = await startTestServer();
    const hook = await startCallbackReceiver();
    try {
      await addFault(t.url, { match: { job_id: '1' }, callback: { status: 500 } });
      const fileId = await uploadCsv(t, leadsCsv(1, 'Other'));
      await createJob(t, {
        operation: 'insert',
        callback: { url: hook.url, method: 'post' },
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      await hook.waitFor(1, 10_000);
      assert.equal((await listFaults(t.url))[0]!.hits, 0);
    } finally {
      await hook.close();
      await t.close();
    }
  });
});
