import assert from 'node:assert/strict';
import { rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS } from '../../src/config.js';
import { createOrg, issueCredentials } from '../../src/auth/org-setup.js';
import {
  auth,
  call,
  createJob,
  downloadResult,
  getJob,
  runJob,
  unzipEntries,
  uploadCsv,
  waitForJob,
} from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';
import { startCallbackReceiver, type CallbackReceiver } from '../helpers/callback-receiver.js';

/** The JSON body of the n-th callback a receiver got. */
const hookBody = (hook: CallbackReceiver, n: number) => JSON.parse(hook.hits[n]!.body) as Record<string, unknown>;

const leadsCsv = (n: number, prefix = 'row') =>
  [
    'Last_Name,First_Name,Email,Company',
    ...Array.from({ length: n }, (_, i) => `${prefix}${i},F${i},${prefix}${i}@example.com,Co`),
  ].join('\n');

describe('the job lifecycle', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ callback: { ...DEFAULTS.callback, attempts: 3, timeoutMs: 2000, backoffMs: 10 } });
  });
  after(() => t.close());

  it('moves ADDED → INPROGRESS → COMPLETED with counts that are true while it runs', async () => {
    const quiet = await startTestServer({ worker: false });
    try {
      const fileId = await uploadCsv(quiet, leadsCsv(10));
      const created = await createJob(quiet, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      const jobId = (created.body.details as { id: string }).id;
      const added = await getJob(quiet, jobId);
      assert.equal(added.body.status, 'ADDED');
      const addedResource = (added.body.resource as Array<Record<string, unknown>>)[0]!;
      assert.deepEqual([addedResource.status, addedResource.code], ['ADDED', 'ADDED']);
      assert.equal(added.body.result, undefined);

      const seen: Array<Record<string, unknown>> = [];
      const { worker, close } = openTestWorker(quiet, {
        batchSize: 4,
        onChunk: async () => {
          seen.push((await getJob(quiet, jobId)).body);
        },
      });
      await worker.drain();
      await close();
      assert.equal(seen.length, 3);
      for (const [i, body] of seen.entries()) {
        assert.equal(body.status, 'INPROGRESS');
        const file = (body.resource as Array<{ file: Record<string, number | string> }>)[0]!.file;
        const done = Math.min((i + 1) * 4, 10);
        assert.deepEqual(
          [file.status, file.added_count, file.skipped_count, file.updated_count, file.total_count],
          ['INPROGRESS', done, 0, 0, done],
        );
        assert.equal(body.result, undefined);
      }
      const final = await getJob(quiet, jobId);
      assert.equal(final.body.status, 'COMPLETED');
      assert.match(
        String((final.body.result as { download_url: string }).download_url),
        new RegExp(`^${quiet.url}/v2/crm/${quiet.creds.org_id}/bulk-write/${jobId}/${jobId}\\.zip$`),
      );
    } finally {
      await quiet.close();
    }
  });

  it('ends FAILED with the reason when the uploaded file is gone, and still calls back', async () => {
    const hook = await startCallbackReceiver([200]);
    const quiet = await startTestServer({ worker: false });
    try {
      const fileId = await uploadCsv(quiet, leadsCsv(2));
      const created = await createJob(quiet, {
        operation: 'insert',
        callback: { url: hook.url, method: 'post' },
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      const jobId = (created.body.details as { id: string }).id;
      rmSync(join(quiet.dataDir, 'blobs', 'uploads'), { recursive: true, force: true });
      const { worker, close } = openTestWorker(quiet);
      await worker.drain();
      await close();
      const details = await waitForJob(quiet, jobId);
      assert.equal(details.status, 'FAILED');
      const resource = (details.resource as Array<Record<string, unknown>>)[0]!;
      assert.equal(resource.status, 'FAILED');
      assert.equal(resource.code, 'INVALID_FILE_ID');
      assert.match(String(resource.message), /no longer available/);
      assert.equal(details.result, undefined);
      assert.equal(hook.hits.length, 1);
      assert.equal(hookBody(hook, 0).status, 'FAILED');
    } finally {
      await quiet.close();
      await hook.close();
    }
  });

  it('ends FAILED with CANNOT_PROCESS when the stored zip cannot be read', async () => {
    const quiet = await startTestServer({ worker: false });
    try {
      const fileId = await uploadCsv(quiet, leadsCsv(50));
      const created = await createJob(quiet, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      const jobId = (created.body.details as { id: string }).id;
      const blob = join(quiet.dataDir, 'blobs', 'uploads', quiet.creds.org_id, `${fileId}.zip`);
      truncateSync(blob, Math.floor(statSync(blob).size / 2));
      const { worker, close } = openTestWorker(quiet);
      await worker.drain();
      await close();
      const details = await waitForJob(quiet, jobId);
      assert.equal(details.status, 'FAILED');
      const resource = (details.resource as Array<Record<string, unknown>>)[0]!;
      assert.equal(resource.code, 'CANNOT_PROCESS');
      assert.match(String(resource.message), /could not be read|not a zip/);
    } finally {
      await quiet.close();
    }
  });

  it('POSTs the final job details to the callback URL once, retrying after an error answer', async () => {
    const hook = await startCallbackReceiver([500, 200]);
    try {
      const { details, jobId } = await runJob(
        t,
        leadsCsv(3, 'cb'),
        {},
        { operation: 'insert', callback: { url: hook.url, method: 'post' } },
      );
      await hook.waitFor(2);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(hook.hits.length, 2);
      const body = hookBody(hook, 1);
      assert.equal(body.id, jobId);
      assert.equal(body.status, 'COMPLETED');
      assert.deepEqual(body.result, details.result);
      assert.match(String(hook.hits[0]!.headers['content-type']), /^application\/json/);
      assert.equal(hook.hits[0]!.method, 'POST');
    } finally {
      await hook.close();
    }
  });

  it('completes the job even when every callback attempt fails', async () => {
    const hook = await startCallbackReceiver([503]);
    try {
      const { details } = await runJob(
        t,
        leadsCsv(2, 'cbfail'),
        {},
        { operation: 'insert', callback: { url: hook.url, method: 'post' } },
      );
      assert.equal(details.status, 'COMPLETED');
      await hook.waitFor(3);
      assert.equal((await getJob(t, String(details.id))).body.status, 'COMPLETED');
    } finally {
      await hook.close();
    }
    const refused = await runJob(
      t,
      leadsCsv(1, 'cbnone'),
      {},
      { operation: 'insert', callback: { url: 'http://127.0.0.1:1/none', method: 'post' } },
    );
    assert.equal(refused.details.status, 'COMPLETED');
  });

  it('serves the result zip with the headers the official SDK needs', async () => {
    const { details, jobId } = await runJob(t, leadsCsv(2, 'dl'), {});
    const url = (details.result as { download_url: string }).download_url;
    const res = await fetch(url, { headers: auth(t.creds.access_token) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="${jobId}.zip"`);
    const entries = await unzipEntries(Buffer.from(await res.arrayBuffer()));
    assert.deepEqual([...entries.keys()], ['Leads-leads.csv']);
    const rows = await downloadResult(t, details);
    assert.equal(rows.rows.length, 2);
  });

  it('refuses a download link of an unknown job, another org, or without credentials', async () => {
    const { details, jobId } = await runJob(t, leadsCsv(1, 'dl2'), {});
    const url = (details.result as { download_url: string }).download_url;
    const unknown = await call(url.replaceAll(jobId, '4150868000000000001'), { headers: auth(t.creds.access_token) });
    assert.equal(unknown.status, 403);
    assert.deepEqual(unknown.body, { info: 'Forbidden', 'x-info': 'Link not valid', http_status: '403' });
    const { org } = await createOrg(t.server.storage, { now: Date.now() });
    const other = await issueCredentials(t.server.storage, org, {
      now: Date.now(),
      tokenTtlSeconds: 60,
      apiDomain: t.url,
    });
    const crossed = await call(url, { headers: auth(other.access_token) });
    assert.equal(crossed.status, 403);
    const anonymous = await call(url);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, 'AUTHENTICATION_FAILURE');
  });

  it('answers RESOURCE_NOT_FOUND for another org’s job and for an id that is not a number', async () => {
    const { jobId } = await runJob(t, leadsCsv(1, 'iso'), {});
    const { org } = await createOrg(t.server.storage, { now: Date.now() });
    const other = await issueCredentials(t.server.storage, org, {
      now: Date.now(),
      tokenTtlSeconds: 60,
      apiDomain: t.url,
    });
    for (const [id, token] of [
      [jobId, other.access_token],
      ['not-a-number', t.creds.access_token],
    ]) {
      const res = await getJob(t, id!, token);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'RESOURCE_NOT_FOUND');
    }
  });

  it('answers INVALID_TOKEN for an expired token', async () => {
    const short = await startTestServer({ tokenTtlSeconds: 1, worker: false });
    try {
      await new Promise((r) => setTimeout(r, 1100));
      const res = await call(`${short.url}/crm/bulk/v2.1/write/1`, { headers: auth(short.creds.access_token) });
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'INVALID_TOKEN');
    } finally {
      await short.close();
    }
  });

  it('completes a job of 25,000 Leads rows in a few seconds', async () => {
    const csv = [
      'Last_Name,First_Name,Email,Company,Phone,Mobile,Lead_Source,Industry,City,State,Country,Description',
      ...Array.from(
        { length: 25_000 },
        (_, i) =>
          `Last${i},First${i},big${i}@example.com,Company ${i},555-01${i % 100},555-02${i % 100},Web Download,Large Enterprise,City ${i % 50},State,Country,Row ${i}`,
      ),
    ].join('\n');
    const fileId = await uploadCsv(t, csv);
    const started = Date.now();
    const created = await createJob(t, {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    const details = await waitForJob(t, (created.body.details as { id: string }).id, 60_000);
    const ms = Date.now() - started;
    assert.equal(details.status, 'COMPLETED');
    const file = (details.resource as Array<{ file: Record<string, number> }>)[0]!.file;
    assert.equal(file.added_count, 25_000);
    assert.ok(ms < 10_000, `took ${ms} ms`);
    console.log(`25,000-row insert job: ${ms} ms from create to COMPLETED`);
  });
});
