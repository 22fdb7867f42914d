import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CreateJobRequestSchema,
  DATA_CENTRES,
  JobDetailsSchema,
  SchemaError,
  TokenResponseSchema,
  UploadResponseSchema,
  createClient,
  jobProgress,
  parseRowErrors,
  preset,
  tokenUrlOf,
} from '../../src/client/index.js';

const seedBody = () =>
  (
    JSON.parse(
      readFileSync(new URL('../../../test/fixtures/golden/seed-success-response.json', import.meta.url), 'utf8'),
    ) as { body: Record<string, unknown> }
  ).body;

describe('the client schema', () => {
  it("parses the seed's job details response unchanged, every key in its order", () => {
    const body = seedBody();
    const parsed = JobDetailsSchema.parse(structuredClone(body));
    assert.deepEqual(parsed, body);
    assert.deepEqual(Object.keys(parsed), Object.keys(body));
    assert.equal(parsed.resource[0]!.file!.added_count, 9);
  });

  it('keeps keys it does not know, so a newer Zoho response loses nothing', () => {
    const body = { ...seedBody(), new_key: { a: 1 } };
    assert.deepEqual((JobDetailsSchema.parse(body) as Record<string, unknown>).new_key, { a: 1 });
  });

  it('turns a job id sent as a JSON number into a string, and rejects a non-numeric id with its path', () => {
    assert.equal(JobDetailsSchema.parse({ ...seedBody(), id: 4150868000 }).id, '4150868000');
    assert.throws(
      () => JobDetailsSchema.parse({ ...seedBody(), id: 'job_abc' }),
      (e: unknown) => e instanceof SchemaError && e.path === '$.id',
    );
  });

  it('reads counts sent as digit strings, as the SDK does with parseInt', () => {
    const body = seedBody() as { resource: Array<{ file: Record<string, unknown> }> };
    body.resource[0]!.file.skipped_count = '2';
    assert.equal(JobDetailsSchema.parse(body).resource[0]!.file!.skipped_count, 2);
  });

  it('accepts an upload success and rejects an error body that would pass as one', () => {
    const ok = UploadResponseSchema.parse({
      status: 'success',
      code: 'FILE_UPLOAD_SUCCESS',
      message: 'file uploaded.',
      details: { file_id: '111111000001492610', created_time: '2018-12-31T12:00:00-12:00' },
    });
    assert.equal(ok.details.file_id, '111111000001492610');
    assert.throws(() =>
      UploadResponseSchema.parse({ status: 'error', code: 'INVALID_FILE_FORMAT', message: 'x', details: {} }),
    );
  });

  it('checks a create-job request before it is sent, naming the bad key', () => {
    assert.throws(
      () =>
        CreateJobRequestSchema.parse({
          operation: 'merge',
          resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: '1' }],
        }),
      (e: unknown) => e instanceof SchemaError && e.path === '$.operation',
    );
    assert.throws(
      () =>
        CreateJobRequestSchema.parse({ operation: 'insert', resource: [{ type: 'data', module: {}, file_id: 'x' }] }),
      (e: unknown) => e instanceof SchemaError && e.path === '$.resource[0].file_id',
    );
  });

  it('reads a token answer in seconds, and an accounts error as Zoho sends it (HTTP 200, {error})', () => {
    assert.equal(TokenResponseSchema.parse({ access_token: '1000.a.b', expires_in: 3600 }).expires_in, 3600);
    assert.equal(TokenResponseSchema.parse({ error: 'invalid_code' }).error, 'invalid_code');
  });
});

describe('result rows and progress', () => {
  it('splits an ERRORS cell into codes and columns (codes by ":", columns by ",")', () => {
    assert.deepEqual(parseRowErrors('MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email'), [
      { code: 'MANDATORY_NOT_FOUND', columns: ['Company', 'Last_Name'] },
      { code: 'DUPLICATE_DATA', columns: ['Email'] },
    ]);
    assert.deepEqual(parseRowErrors(''), []);
  });

  it('sums the counts of every resource into the progress', () => {
    const details = JobDetailsSchema.parse(seedBody());
    const p = jobProgress(details);
    assert.deepEqual([p.status, p.added, p.updated, p.skipped, p.total], ['COMPLETED', 9, 0, 2, 11]);
  });

  it('counts a queued job whose file has no counts yet as zero', () => {
    const body = { ...seedBody(), status: 'ADDED' } as Record<string, unknown>;
    body.resource = [{ status: 'ADDED', file: { status: 'ADDED', name: 'a.csv' } }];
    const p = jobProgress(JobDetailsSchema.parse(body));
    assert.deepEqual([p.added, p.updated, p.skipped, p.total], [0, 0, 0, 0]);
  });
});

describe('data centre presets', () => {
  it('has every Zoho data centre and a local bulkwrite, each with three http(s) hosts', () => {
    assert.deepEqual(Object.keys(DATA_CENTRES), ['US', 'EU', 'IN', 'AU', 'JP', 'CN', 'CA', 'SA', 'local']);
    for (const [name, hosts] of Object.entries(DATA_CENTRES)) {
      for (const url of Object.values(hosts))
        assert.match(url, name === 'local' ? /^http:\/\/127\.0\.0\.1:8080$/ : /^https:\/\//);
    }
    assert.deepEqual(preset('eu'), DATA_CENTRES.EU);
    assert.equal(preset('mars'), undefined);
  });

  it('takes an API domain alone for all three hosts, as on a bulkwrite, and a dc for the others', () => {
    const single = createClient({ apiDomain: 'http://127.0.0.1:9000/', credentials: 'x' });
    assert.deepEqual(single.endpoints, {
      apiDomain: 'http://127.0.0.1:9000',
      accountsUrl: 'http://127.0.0.1:9000',
      uploadUrl: 'http://127.0.0.1:9000',
    });
    const mixed = createClient({ dc: 'EU', apiDomain: 'https://proxy.example', credentials: 'x' });
    assert.deepEqual(mixed.endpoints, { ...DATA_CENTRES.EU, apiDomain: 'https://proxy.example' });
    assert.deepEqual(createClient({ credentials: 'x' }).endpoints, DATA_CENTRES.local);
    assert.throws(() => createClient({ dc: 'XX', credentials: 'x' }), /unknown data centre "XX"/);
  });

  it('builds the token URL from the accounts server, and keeps a full token URL as it is', () => {
    assert.equal(tokenUrlOf('https://accounts.zoho.eu'), 'https://accounts.zoho.eu/oauth/v2/token');
    assert.equal(tokenUrlOf('https://accounts.zoho.eu/'), 'https://accounts.zoho.eu/oauth/v2/token');
    assert.equal(tokenUrlOf('http://127.0.0.1:9/oauth/v2/token'), 'http://127.0.0.1:9/oauth/v2/token');
  });
});
