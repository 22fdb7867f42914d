import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isLoopback } from '../../src/api/admin/admin-access.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** One request to the app as if from `remoteAddress`. */
async function ask(
  t: TestServer,
  url: string,
  opts: { remoteAddress?: string; headers?: Record<string, string>; method?: 'GET' | 'POST' | 'DELETE' } = {},
) {
  const res = await t.server.app.inject({
    method: opts.method ?? 'GET',
    url,
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
    headers: opts.headers ?? {},
  });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : null };
}

describe('the admin surface without BULKWRITE_ADMIN_KEY', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer();
  });
  after(() => t.close());

  it('answers health on loopback with the version, the store and the workers', async () => {
    const res = await ask(t, '/_bulkwrite/health');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', version: VERSION, store: 'sqlite', workers: 0 });
    for (const remoteAddress of ['::1', '::ffff:127.0.0.1', '127.8.9.10']) {
      assert.equal((await ask(t, '/_bulkwrite/health', { remoteAddress })).status, 200, remoteAddress);
    }
  });

  it('refuses every connection that is not loopback with ADMIN_LOOPBACK_ONLY, 403, even with a Zoho token', async () => {
    for (const remoteAddress of ['10.0.0.5', '192.168.1.2', '::ffff:10.1.2.3', '2001:db8::1']) {
      const res = await ask(t, '/_bulkwrite/health', {
        remoteAddress,
        headers: { authorization: `Zoho-oauthtoken ${t.creds.access_token}` },
      });
      assert.equal(res.status, 403, remoteAddress);
      assert.equal(res.body?.code, 'ADMIN_LOOPBACK_ONLY');
      assert.equal(res.body?.status, 'error');
    }
  });

  it('refuses paths under the prefix that do not exist, wrong methods and encoded spellings the same way', async () => {
    for (const [method, url] of [
      ['GET', '/_bulkwrite/no-such-thing'],
      ['DELETE', '/_bulkwrite/health'],
      ['GET', '/%5Fbulkwrite/health'],
      ['GET', '/_BULKWRITE/health'],
      ['GET', '//_bulkwrite/health'],
      ['GET', '/console/'],
    ] as const) {
      const res = await ask(t, url, { method, remoteAddress: '10.0.0.5' });
      assert.equal(res.status, 403, `${method} ${url}`);
      assert.equal(res.body?.code, 'ADMIN_LOOPBACK_ONLY', `${method} ${url}`);
    }
  });

  it('leaves Zoho paths to Zoho rules off loopback', async () => {
    const res = await ask(t, '/crm/bulk/v2.1/write/1', { remoteAddress: '10.0.0.5' });
    assert.equal(res.status, 401);
    assert.equal(res.body?.code, 'AUTHENTICATION_FAILURE');
  });
});

describe('the admin surface with BULKWRITE_ADMIN_KEY', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({ adminKey: 's3cret-admin-key' });
  });
  after(() => t.close());

  it('answers any address that presents the key', async () => {
    for (const remoteAddress of ['127.0.0.1', '10.0.0.5']) {
      const res = await ask(t, '/_bulkwrite/health', {
        remoteAddress,
        headers: { 'x-bulkwrite-admin-key': 's3cret-admin-key' },
      });
      assert.equal(res.status, 200, remoteAddress);
    }
  });

  it('asks for the key even on loopback, and refuses a wrong one or a Zoho token with 401', async () => {
    const none = await ask(t, '/_bulkwrite/health');
    assert.equal(none.status, 401);
    assert.equal(none.body?.code, 'ADMIN_KEY_REQUIRED');
    for (const key of ['s3cret-admin-kez', 's3cret', 's3cret-admin-key-and-more', ' ']) {
      const wrong = await ask(t, '/_bulkwrite/health', { headers: { 'x-bulkwrite-admin-key': key } });
      assert.equal(wrong.status, 401, key);
      assert.equal(wrong.body?.code, 'ADMIN_KEY_INVALID', key);
    }
    const token = await ask(t, '/_bulkwrite/health', {
      headers: { authorization: `Zoho-oauthtoken ${t.creds.access_token}` },
    });
    assert.equal(token.status, 401);
    assert.equal(token.body?.code, 'ADMIN_KEY_REQUIRED');
  });
});

describe('isLoopback', () => {
  it('takes 127.0.0.0/8 and ::1, plain or IPv4-mapped, and nothing else', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '127.0.0.1.evil', '::2', 'fe80::1']) {
      assert.ok(!isLoopback(a), String(a));
    }
  });
});
