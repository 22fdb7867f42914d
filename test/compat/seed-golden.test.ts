import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { auth, call, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Golden {
  source: string;
  request: { method: string; path: string };
  httpStatus: number;
  body: Record<string, unknown>;
}

const golden = (name: string): Golden =>
  JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/golden/seed-${name}.json`, import.meta.url), 'utf8'),
  ) as Golden;

/** The same keys in the same order, with values of the same JSON type, all the way down. */
function sameShape(actual: unknown, expected: unknown, path = '$'): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  assert.equal(kind(actual), kind(expected), `${path}: type`);
  if (Array.isArray(expected)) {
    assert.ok((actual as unknown[]).length > 0, `${path}: empty array`);
    for (const item of actual as unknown[]) sameShape(item, expected[0], `${path}[]`);
  } else if (kind(expected) === 'object') {
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected as object), `${path}: keys`);
    for (const k of Object.keys(expected as object)) {
      sameShape((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`);
    }
  }
}

describe('the seed: job details success and its five errors', () => {
  let t: TestServer;
  let jobId: string;
  before(async () => {
    t = await startTestServer();
    const csv = 'Last_Name,Mobile,Owner\nOne,555-0100,\nTwo,555-0101,\n,555-0102,\n';
    const { jobId: id } = await runJob(
      t,
      csv,
      {
        field_mappings: [
          { api_name: 'Owner', index: 2 },
          { api_name: 'Last_Name', index: 0 },
          { api_name: 'Mobile', index: 1 },
        ],
      },
      { operation: 'insert', ignore_empty: true, callback: { url: 'http://127.0.0.1:9/', method: 'post' } },
    );
    jobId = id;
  });
  after(() => t.close());

  it('answers a completed job with every key of the seed SUCCESS RESPONSE, in order, with the same types', async () => {
    const g = golden('success-response');
    const res = await call(`${t.url}/crm/bulk/v2.1/write/${jobId}`, {
      headers: { authorization: `Bearer ${t.creds.access_token}` },
    });
    assert.equal(res.status, g.httpStatus);
    sameShape(res.body, g.body);
    assert.match(String(res.body.created_time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    const file = (res.body.resource as Array<{ file: Record<string, number> }>)[0]!.file;
    assert.deepEqual([file.added_count, file.skipped_count, file.updated_count, file.total_count], [2, 1, 0, 3]);
  });

  const cases: Array<[string, string, (t: TestServer) => Promise<RequestInit & { url: string }>]> = [
    [
      'invalid-url-pattern',
      'returns INVALID_URL_PATTERN with HTTP 404 for an unknown path',
      async (t) => ({ url: `${t.url}/crm/bulk/v2.1/writ/4150868000005350003`, headers: auth(t.creds.access_token) }),
    ],
    [
      'invalid-request-method',
      'returns INVALID_REQUEST_METHOD with HTTP 400 for PUT on a job',
      async (t) => ({
        url: `${t.url}/crm/bulk/v2.1/write/4150868000005350003`,
        method: 'PUT',
        headers: auth(t.creds.access_token),
      }),
    ],
    [
      'authentication-failure',
      'returns AUTHENTICATION_FAILURE with HTTP 401 without credentials',
      async (t) => ({ url: `${t.url}/crm/bulk/v2.1/write/4150868000005350003` }),
    ],
    [
      'resource-not-found',
      'returns RESOURCE_NOT_FOUND with HTTP 400 for an unknown job id',
      async (t) => ({ url: `${t.url}/crm/bulk/v2.1/write/415086800000535000`, headers: auth(t.creds.access_token) }),
    ],
    [
      'oauth-scope-mismatch',
      'returns OAUTH_SCOPE_MISMATCH with HTTP 401 for a token without a bulk scope',
      async (t) => ({
        url: `${t.url}/crm/bulk/v2.1/write/4150868000005350003`,
        headers: auth((await t.credentials(['ZohoCRM.modules.ALL'])).access_token),
      }),
    ],
  ];
  for (const [name, title, request] of cases) {
    it(`${title}, byte for byte as the seed`, async () => {
      const g = golden(name);
      const { url, ...init } = await request(t);
      assert.equal(init.method ?? 'GET', g.request.method);
      const res = await call(url, init);
      assert.equal(res.status, g.httpStatus);
      assert.equal(res.text, JSON.stringify(g.body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    });
  }
});
