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
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/golden/${name}.json`, import.meta.url), 'utf8')) as Golden;

describe('the records and metadata APIs’ answers, pinned byte for byte', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await runJob(t, 'Last_Name\nGolden\n', {});
  });
  after(() => t.close());

  for (const name of ['records-unknown-record-id', 'records-invalid-module', 'records-required-param-missing']) {
    it(`answers ${name} exactly as the golden file`, async () => {
      const g = golden(name);
      const res = await call(`${t.url}${g.request.path}`, {
        method: g.request.method,
        headers: auth(t.creds.access_token),
      });
      assert.equal(res.status, g.httpStatus);
      assert.equal(res.headers.get('content-type'), 'application/json;charset=utf-8');
      assert.equal(res.text, JSON.stringify(g.body));
    });
  }

  it('answers a list with data first and info {per_page, count, page, more_records}, in that order', async () => {
    const res = await call(`${t.url}/crm/v2.1/Leads`, { headers: auth(t.creds.access_token) });
    assert.deepEqual(Object.keys(res.body), ['data', 'info']);
    assert.equal(JSON.stringify(res.body.info), '{"per_page":200,"count":1,"page":1,"more_records":false}');
  });
});
