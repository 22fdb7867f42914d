import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  createClient,
  InputError,
  readCsvHeader,
  ZohoApiError,
  type BulkWriteClient,
  type JobProgress,
} from '../../src/client/index.js';
import { unzipEntries } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

describe('the client against a running bulkwrite', () => {
  let t: TestServer;
  let client: BulkWriteClient;
  let dir: string;
  let apiCalls = 0;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-client-'));
    client = createClient({
      apiDomain: t.url,
      accountsUrl: t.url,
      uploadUrl: t.url,
      orgId: t.creds.org_id,
      credentials: t.creds.access_token,
      fetch: (input, init) => {
        apiCalls++;
        return fetch(input, init);
      },
    });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a CSV file in one call: upload, job, progress, and the parsed result', async () => {
    const path = file(
      'leads.csv',
      'Last Name,Email\nLovelace,ada@example.com\nHopper,grace@example.com\n,nobody@example.com\n',
    );
    const progress: JobProgress[] = [];
    const events: string[] = [];
    const out = await client.importCsv(path, {
      module: 'Leads',
      operation: 'insert',
      columns: { 'Last Name': 'Last_Name' },
      onProgress: (p) => progress.push(p),
      onEvent: (e) => events.push(e.type),
    });
    assert.equal(out.job.status, 'COMPLETED');
    assert.equal(out.rows, 3);
    assert.deepEqual(
      events.filter((e) => e !== 'progress'),
      ['header', 'uploaded', 'created', 'finished'],
    );
    assert.equal(progress.at(-1)!.status, 'COMPLETED');
    assert.deepEqual([progress.at(-1)!.added, progress.at(-1)!.skipped, progress.at(-1)!.total], [2, 1, 3]);
    const rows = out.result!.rows;
    assert.deepEqual(
      rows.map((r) => [r.row, r.status, r.errorsText]),
      [
        [1, 'ADDED', ''],
        [2, 'ADDED', ''],
        [3, 'SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
      ],
    );
    assert.match(rows[0]!.recordId!, /^\d+$/);
    assert.deepEqual(rows[2]!.values, { 'Last Name': '', Email: 'nobody@example.com' });
    assert.deepEqual(out.result!.columns, ['Last Name', 'Email']);
  });

  it('imports from a stream, upserting by a unique field', async () => {
    const stream = Readable.from([
      Buffer.from('Last_Name,Email\nLovelace-King,ada@example.com\nTuring,alan@example.com\n'),
    ]);
    const out = await client.importCsv(stream, {
      module: 'Leads',
      operation: 'upsert',
      findBy: 'Email',
      csvName: 'more.csv',
    });
    assert.deepEqual(
      out.result!.rows.map((r) => r.status),
      ['UPDATED', 'ADDED'],
    );
    assert.equal(out.job.resource[0]!.file!.name, 'more.csv');
  });

  it('updates records by id through field mappings', async () => {
    const first = await client.importCsv(file('a.csv', 'Last_Name,Company\nBabbage,Engines\n'), {
      module: 'Leads',
      operation: 'insert',
    });
    const id = first.result!.rows[0]!.recordId!;
    const out = await client.importCsv(file('b.csv', `Record,Company\n${id},Difference Engines\n999,Nothing\n`), {
      module: 'Leads',
      operation: 'update',
      findBy: 'id',
      columns: { Record: 'id' },
    });
    assert.deepEqual(
      out.result!.rows.map((r) => [r.status, r.recordId]),
      [
        ['UPDATED', id],
        ['SKIPPED', null],
      ],
    );
  });

  it('refuses a CSV whose header does not fit the mapping before it sends anything', async () => {
    const calls = apiCalls;
    await assert.rejects(
      client.importCsv(file('bad.csv', 'Surname,Email\nX,x@example.com\n'), {
        module: 'Leads',
        operation: 'insert',
        columns: { 'Last Name': 'Last_Name' },
      }),
      (e: unknown) => e instanceof InputError && e.code === 'CSV_HEADER_MISMATCH',
    );
    await assert.rejects(
      client.importCsv(join(dir, 'missing.csv'), { module: 'Leads', operation: 'insert' }),
      (e: unknown) => e instanceof InputError && e.code === 'FILE_NOT_FOUND',
    );
    assert.equal(apiCalls, calls);
  });

  it("throws the API's error as a ZohoApiError with code, HTTP status and details", async () => {
    const upload = await client.uploadFile(await makeZip({ 'x.csv': 'Last_Name,Shoe_Size\nA,42\n' }), {
      fileName: 'x.zip',
    });
    await assert.rejects(
      client.createJob({
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: upload.details.file_id }],
      }),
      (e: unknown) => {
        assert.ok(e instanceof ZohoApiError);
        assert.equal(e.code, 'INVALID_FIELD');
        assert.equal(e.httpStatus, 400);
        assert.equal(e.details.api_name, 'Shoe_Size');
        assert.equal(e.step, 'create');
        return true;
      },
    );
    await assert.rejects(client.getJob('4150868000000000001'), (e: unknown) => {
      assert.ok(e instanceof ZohoApiError);
      assert.deepEqual([e.code, e.httpStatus], ['RESOURCE_NOT_FOUND', 400]);
      return true;
    });
  });

  it('streams the result zip, named by Content-Disposition', async () => {
    const out = await client.importCsv(file('z.csv', 'Last_Name\nZuse\n'), {
      module: 'Leads',
      operation: 'insert',
      download: false,
    });
    assert.equal(out.result, null);
    const download = await client.downloadResult(out.jobId);
    assert.equal(download.fileName, `${out.jobId}.zip`);
    const chunks: Buffer[] = [];
    for await (const c of download.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).length, download.contentLength);
    const entries = await unzipEntries(Buffer.concat(chunks));
    assert.deepEqual([...entries.keys()], ['Leads-z.csv']);
  });

  it('waits for a job with backoff, reporting progress, until the signal stops it', async () => {
    const slow = await startTestServer({ worker: false });
    try {
      const c = createClient({
        dc: 'local',
        apiDomain: slow.url,
        accountsUrl: slow.url,
        uploadUrl: slow.url,
        orgId: slow.creds.org_id,
        credentials: slow.creds.access_token,
      });
      const out = await c.importCsv(file('w.csv', 'Last_Name\nWaits\n'), {
        module: 'Leads',
        operation: 'insert',
        wait: false,
      });
      assert.equal(out.job.status, 'ADDED');
      const seen: string[] = [];
      const started = Date.now();
      await assert.rejects(
        c.waitForJob(out.jobId, {
          signal: AbortSignal.timeout(700),
          intervalMs: 50,
          onProgress: (p) => seen.push(p.status),
        }),
        (e: unknown) => (e as Error).name === 'TimeoutError',
      );
      assert.ok(Date.now() - started < 2_000);
      // 50, 75, 112, 168, 253 ms …: a handful of polls in 700 ms, not one every few milliseconds.
      assert.ok(seen.length >= 3 && seen.length <= 8, `polled ${seen.length} times`);
      assert.ok(seen.every((s) => s === 'ADDED'));
    } finally {
      await slow.close();
    }
  });

  it('reads only the first record of a file for its header, quoted newlines included', async () => {
    const path = file('h.csv', '"Last\nName";Email\nA;b\n');
    assert.deepEqual(await readCsvHeader(path), { columns: ['Last\nName', 'Email'], delimiter: ';' });
  });

  it('names what answered when a host is not Zoho: NETWORK_ERROR for a closed port', async () => {
    const closed = await startTestServer();
    const url = closed.url;
    await closed.close();
    const c = createClient({ apiDomain: url, accountsUrl: url, uploadUrl: url, credentials: 'x', retries: 0 });
    await assert.rejects(c.getJob('1'), (e: unknown) => {
      assert.ok(e instanceof ZohoApiError);
      assert.deepEqual([e.code, e.httpStatus, e.details.cause], ['NETWORK_ERROR', 0, 'ECONNREFUSED']);
      return true;
    });
  });
});
