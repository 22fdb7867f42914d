import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, createJob, uploadCsv } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('the built-in inbox while BULKWRITE_ADMIN_KEY is set', () => {
  let t: TestServer;
  const key = { 'x-bulkwrite-admin-key': 'inbox-k3y' };
  before(async () => {
    t = await startTestServer({ adminKey: 'inbox-k3y' });
  });
  after(() => t.close());

  it("accepts the server's own signed callbacks, and refuses an unsigned or wrongly signed POST", async () => {
    const fileId = await uploadCsv(t, 'Last_Name\nA\n');
    const res = await createJob(t, {
      operation: 'insert',
      callback: { url: `${t.url}/_bulkwrite/inbox/keyed`, method: 'post' },
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    assert.equal(res.status, 201, res.text);
    const got = await call(`${t.url}/_bulkwrite/inbox/keyed?wait_ms=15000`, { headers: key });
    assert.equal(got.status, 200, got.text);
    const messages = got.body.messages as Array<{ body: string; headers: Record<string, string> }>;
    assert.equal(messages.length, 1);
    assert.equal((JSON.parse(messages[0]!.body) as { id: string }).id, (res.body.details as { id: string }).id);
    assert.match(messages[0]!.headers['x-bulkwrite-inbox-signature']!, /^[0-9a-f]{64}$/);

    const unsigned = await call(`${t.url}/_bulkwrite/inbox/keyed`, { method: 'POST', body: '{}' });
    assert.equal(unsigned.status, 401);
    assert.equal(unsigned.body.code, 'ADMIN_KEY_REQUIRED');
    const forged = await call(`${t.url}/_bulkwrite/inbox/keyed`, {
      method: 'POST',
      headers: { 'x-bulkwrite-inbox-signature': messages[0]!.headers['x-bulkwrite-inbox-signature']! },
      body: '{"forged":true}',
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'ADMIN_KEY_INVALID');
    const withBoth = await call(`${t.url}/_bulkwrite/inbox/keyed`, {
      method: 'POST',
      headers: { 'x-bulkwrite-inbox-signature': 'x', 'x-bulkwrite-admin-key': 'wrong' },
      body: '{}',
    });
    assert.equal(withBoth.status, 401);
    assert.equal(
      ((await call(`${t.url}/_bulkwrite/inbox/keyed`, { headers: key })).body.messages as unknown[]).length,
      1,
    );
  });
});
