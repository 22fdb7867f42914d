import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS, egressPolicyOf } from '../../src/config.js';
import { auth, call, createJob, refreshGrant, uploadCsv, waitForJob } from '../helpers/api.js';
import { startCallbackReceiver, type CallbackReceiver } from '../helpers/callback-receiver.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';

type Body = Record<string, unknown>;
const CSV = 'Last_Name,Email\nEgress,egress@example.com\n';
const FAST = { ...DEFAULTS.callback, attempts: 2, timeoutMs: 2000, backoffMs: 10 };

/** A refresh grant: 200 while the refresh token lives, an error once it is revoked. */
async function refreshWorks(t: TestServer): Promise<boolean> {
  const res = await refreshGrant(t);
  return res.status === 200 && typeof res.body.access_token === 'string';
}

async function createWithCallback(t: TestServer, url: string, version = 'v2.1') {
  const fileId = await uploadCsv(t, CSV);
  const body = {
    operation: 'insert',
    callback: { url, method: 'post' },
    resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
  };
  if (version === 'v2.1') return createJob(t, body);
  return call(`${t.url}/crm/bulk/${version}/write`, {
    method: 'POST',
    headers: { ...auth(t.creds.access_token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('callbacks of a server bound off loopback', () => {
  let t: TestServer;
  let hook: CallbackReceiver;
  before(async () => {
    t = await startTestServer({ host: '0.0.0.0', callback: FAST });
    hook = await startCallbackReceiver();
  });
  after(async () => {
    await hook.close();
    await t.close();
  });

  it('refuses, when the job is created, every callback URL that reaches loopback, link-local or metadata addresses', async () => {
    const port = new URL(t.url).port;
    const hookPort = new URL(hook.url).port;
    const refused = [
      `http://127.0.0.1:${port}/oauth/v2/token/revoke?token=${t.creds.refresh_token}`,
      `http://localhost:${port}/oauth/v2/token/revoke?token=${t.creds.refresh_token}`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://metadata.google.internal/computeMetadata/v1/',
      `http://[::ffff:127.0.0.1]:${hookPort}/x`,
      `http://2130706433:${hookPort}/x`,
      `http://0177.0.0.1:${hookPort}/x`,
      hook.url,
    ];
    const before = (await t.server.storage.jobs.list(t.creds.org_id, 1000)).length;
    for (const url of refused) {
      const res = await createWithCallback(t, url);
      assert.equal(res.status, 400, url);
      assert.equal(res.body.code, 'INVALID_DATA', url);
      assert.equal((res.body.details as Body).json_path, '$.callback.url', url);
      assert.match(String((res.body.details as Body).reason), /loopback|link-local|metadata/, url);
    }
    assert.equal((await t.server.storage.jobs.list(t.creds.org_id, 1000)).length, before, 'nothing queued');
    assert.equal(hook.hits.length, 0);
    assert.ok(await refreshWorks(t), 'the refresh token was not revoked');
  });

  it("answers v8's INVALID_CALLBACK_URL, as Zoho's OpenAPI file documents it", async () => {
    const res = await createWithCallback(t, 'http://169.254.169.254/latest/meta-data/', 'v8');
    const golden = JSON.parse(
      readFileSync(new URL('../../../test/fixtures/golden/v8-invalid-callback-url.json', import.meta.url), 'utf8'),
    ) as { httpStatus: number; body: Body };
    assert.equal(res.status, golden.httpStatus);
    assert.equal(res.text, JSON.stringify(golden.body), 'byte for byte as the golden file');
    const malformed = await createWithCallback(t, 'ftp://example.test/x', 'v8');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'INVALID_CALLBACK_URL');
  });
});

describe('callbacks re-checked when they are sent', () => {
  let t: TestServer;
  before(async () => {
    // The API is bound to loopback (it lets 127.0.0.1 through); the worker runs under stricter rules.
    t = await startTestServer({ worker: false, callback: FAST });
  });
  after(() => t.close());

  async function drainWith(policyConfig: typeof t.config): Promise<void> {
    const w = openTestWorker(t, { egress: egressPolicyOf(policyConfig) });
    try {
      await w.worker.drain();
    } finally {
      await w.close();
    }
  }

  it("does not revoke a token through the server's own revoke URL when the sender is bound off loopback", async () => {
    const hook = await startCallbackReceiver();
    try {
      const port = new URL(t.url).port;
      const revoke = await createWithCallback(
        t,
        `http://127.0.0.1:${port}/oauth/v2/token/revoke?token=${t.creds.refresh_token}`,
      );
      assert.equal(revoke.status, 201, 'accepted by the loopback-bound API');
      const plain = await createWithCallback(t, hook.url);
      await drainWith({ ...t.config, host: '0.0.0.0' });
      for (const res of [revoke, plain]) {
        assert.equal((await waitForJob(t, String((res.body.details as Body).id))).status, 'COMPLETED');
      }
      assert.equal(hook.hits.length, 0, 'refused at send time');
      assert.ok(await refreshWorks(t), 'the refresh token was not revoked');
    } finally {
      await hook.close();
    }
  });

  it('checks the address a name resolves to when it connects', async () => {
    const hook = await startCallbackReceiver();
    try {
      const res = await createWithCallback(t, hook.url.replace('127.0.0.1', 'localhost'));
      assert.equal(res.status, 201);
      await drainWith({ ...t.config, callback: { ...t.config.callback, deny: ['127.0.0.0/8', '::1'] } });
      assert.equal(hook.hits.length, 0, 'localhost resolved to a denied address');
      const allowed = await createWithCallback(t, hook.url.replace('127.0.0.1', 'localhost'));
      assert.equal(allowed.status, 201);
      await drainWith(t.config);
      assert.equal(hook.hits.length, 1, 'the same name is called when its address is allowed');
    } finally {
      await hook.close();
    }
  });

  it('never follows a redirect', async () => {
    const target = await startCallbackReceiver();
    const redirecting = await startCallbackReceiver([302], { location: target.url });
    try {
      const res = await createWithCallback(t, redirecting.url);
      assert.equal(res.status, 201);
      await drainWith(t.config);
      assert.equal(redirecting.hits.length, FAST.attempts, 'a redirect counts as a failed try');
      assert.equal(target.hits.length, 0, 'the redirect target is never called');
    } finally {
      await target.close();
      await redirecting.close();
    }
  });
});
