import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdminApiError, BulkwriteAdmin } from '../../src/client/admin.js';
import { auth, call, CREDENTIAL_KEYS } from '../helpers/api.js';
import { injectTestServer } from '../helpers/inject.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The admin call's refusal: its status, code and the field it names. */
async function refusal(
  p: Promise<unknown>,
): Promise<{ status: number; code: string; field: unknown; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AdminApiError, String(e));
    return { status: e.status, code: e.code, field: e.details.field, message: e.message };
  }
  assert.fail('the admin call was accepted');
}

const modules = (url: string, token: string) => call(`${url}/crm/v2.1/settings/modules`, { headers: auth(token) });

describe('admin API: orgs, tokens and the clock, over real HTTP', () => {
  let t: TestServer;
  let admin: BulkwriteAdmin;
  before(async () => {
    t = await startTestServer();
    admin = new BulkwriteAdmin({ url: t.url });
  });
  after(async () => {
    await admin.clock.real().catch(() => undefined);
    await t.close();
  });

  it('creates an org with the keys of `bulkwrite credentials --json`, whose token works, and lists it', async () => {
    const org = await admin.createOrg({ name: 'Acme', time_zone: 'Asia/Kolkata' });
    for (const key of CREDENTIAL_KEYS)
      assert.equal(typeof (org as unknown as Record<string, unknown>)[key], 'string', key);
    assert.equal(org.api_domain, t.url);
    assert.equal(org.token_url, `${t.url}/oauth/v2/token`);
    assert.equal(org.time_zone, 'Asia/Kolkata');
    assert.equal((await modules(t.url, org.access_token)).status, 200);
    // The refresh token and the client work at the token endpoint, and the grant code once.
    const refreshed = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: org.client_id,
        client_secret: org.client_secret,
        refresh_token: org.refresh_token,
      }),
    });
    assert.equal(typeof refreshed.body.access_token, 'string', refreshed.text);
    const orgs = await admin.orgs();
    assert.deepEqual(
      orgs.map((o) => [o.org_id, o.default]),
      [
        [t.creds.org_id, true],
        [org.org_id, false],
      ],
    );
    assert.equal(orgs[1]!.name, 'Acme');
  });

  it('applies a schema document at creation, and refuses a bad one without leaving an org behind', async () => {
    const schema = { modules: [{ api_name: 'Vendors_X', fields: [{ api_name: 'Code', data_type: 'text' }] }] };
    const org = await admin.createOrg({ schema });
    assert.equal(org.schema_version, 1);
    const res = await modules(t.url, org.access_token);
    const names = (res.body.modules as Array<{ api_name: string }>).map((m) => m.api_name);
    assert.ok(names.includes('Vendors_X'), names.join(','));

    const before = (await admin.orgs()).length;
    const bad = await refusal(admin.createOrg({ schema: { modules: 'nope' } }));
    assert.deepEqual([bad.status, bad.code, bad.field], [400, 'INVALID_DATA', 'schema']);
    assert.match(bad.message, /modules must be an array/);
    assert.equal((await admin.orgs()).length, before);
  });

  it('names the wrong field of a body', async () => {
    for (const [body, field] of [
      [{ time_zone: 'Mars/Olympus' }, 'time_zone'],
      [{ name: 42 }, 'name'],
      [{ colour: 'red' }, 'colour'],
    ] as const) {
      const r = await refusal(admin.createOrg(body as never));
      assert.deepEqual([r.status, r.code, r.field], [400, 'INVALID_DATA', field], JSON.stringify(body));
    }
    const notJson = await call(`${t.url}/_bulkwrite/orgs`, { method: 'POST', body: '{"name":' });
    assert.deepEqual([notJson.status, notJson.body.code], [400, 'INVALID_DATA']);
    assert.equal((notJson.body.details as { field: string }).field, '$');
    for (const [body, field] of [
      [{ expires_in: 0 }, 'expires_in'],
      [{ expires_in: 1.5 }, 'expires_in'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['ZohoCRM.bulk.ALL', 'not a scope'] }, 'scopes'],
    ] as const) {
      const r = await refusal(admin.token(t.creds.org_id, body as never));
      assert.deepEqual([r.status, r.code, r.field], [400, 'INVALID_DATA', field], JSON.stringify(body));
    }
    const missing = await refusal(admin.token('123456789012'));
    assert.deepEqual([missing.status, missing.code], [404, 'RESOURCE_NOT_FOUND']);
    assert.match(missing.message, /123456789012/);
  });

  it('issues a token with a chosen scope set', async () => {
    const token = await admin.token(t.creds.org_id, { scopes: ['ZohoCRM.settings.modules.READ'] });
    assert.deepEqual(token.scopes, ['ZohoCRM.settings.modules.READ']);
    assert.equal((await modules(t.url, token.access_token)).status, 200);
    const job = await call(`${t.url}/crm/bulk/v2.1/write/4150868000000100000`, { headers: auth(token.access_token) });
    assert.deepEqual([job.status, job.body.code], [401, 'OAUTH_SCOPE_MISMATCH']);
  });

  it('expires an access token by advance_ms, and a short-lived one by its own expires_in', async () => {
    const short = await admin.token(t.creds.org_id, { expires_in: 2 });
    assert.equal(short.expires_in, 2);
    const hour = await admin.token(t.creds.org_id);
    assert.equal((await modules(t.url, short.access_token)).status, 200);

    const moved = await admin.clock.advance(3_000);
    assert.equal(moved.offset_ms, 3_000);
    assert.equal(moved.real_time, false);
    const expired = await modules(t.url, short.access_token);
    assert.deepEqual([expired.status, expired.body.code], [401, 'INVALID_TOKEN']);
    assert.equal((await modules(t.url, hour.access_token)).status, 200);

    await admin.clock.advance(3600_000);
    assert.equal((await modules(t.url, hour.access_token)).body.code, 'INVALID_TOKEN');
    // A token issued now lives an hour from the moved clock.
    const fresh = await admin.token(t.creds.org_id);
    assert.equal((await modules(t.url, fresh.access_token)).status, 200);

    const real = await admin.clock.real();
    assert.deepEqual([real.offset_ms, real.real_time], [0, true]);
    assert.equal((await modules(t.url, hour.access_token)).status, 200, 'valid again in real time');
    assert.equal((await modules(t.url, fresh.access_token)).status, 200, 'issued an hour ahead');
  });

  it('expires a grant code by the clock, and stamps created_time with it', async () => {
    const org = await admin.createOrg();
    await admin.clock.advance(11 * 60_000);
    const exchange = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: org.client_id,
        client_secret: org.client_secret,
        code: org.grant_code,
      }),
    });
    assert.equal(exchange.body.error, 'invalid_code');

    const set = await admin.clock.set('2031-02-03T04:05:06Z');
    assert.ok(Math.abs(Date.parse(set.now) - Date.parse('2031-02-03T04:05:06Z')) < 2_000, set.now);
    assert.equal((await admin.clock.get()).offset_ms, set.offset_ms);
    const token = await admin.token(org.org_id);
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('PK\u0005\u0006' + '\0'.repeat(18), 'latin1')]), 'x.zip');
    const res = await call(`${t.url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { ...auth(token.access_token), feature: 'bulk-write', 'X-CRM-ORG': org.org_id },
      body: form,
    });
    assert.match(String((res.body.details as { created_time: string }).created_time), /^2031-02-03T04:0[56]/, res.text);
    await admin.clock.real();
  });

  it('refuses a clock body that is not exactly one of advance_ms or set', async () => {
    for (const [body, field] of [
      [{}, 'advance_ms'],
      [{ advance_ms: 1, set: '2030-01-01T00:00:00Z' }, 'set'],
      [{ advance_ms: '5' }, 'advance_ms'],
      [{ set: 'tomorrow' }, 'set'],
      [{ advance_ms: 1e15 }, 'advance_ms'],
    ] as const) {
      const r = await refusal(admin.call('POST', '/clock', body));
      assert.deepEqual([r.status, r.code, r.field], [400, 'INVALID_DATA', field], JSON.stringify(body));
    }
    assert.equal((await admin.clock.get()).offset_ms, 0);
  });
});

describe('admin API: orgs, tokens and the clock follow the admin rule', () => {
  const CALLS = [
    ['POST', '/_bulkwrite/orgs', '{}'],
    ['GET', '/_bulkwrite/orgs', undefined],
    ['POST', '/_bulkwrite/orgs/{org}/tokens', '{}'],
    ['GET', '/_bulkwrite/clock', undefined],
    ['POST', '/_bulkwrite/clock', '{"advance_ms":3600000}'],
    ['DELETE', '/_bulkwrite/clock', undefined],
  ] as const;

  const ask = (t: TestServer, [method, url, payload]: (typeof CALLS)[number], remoteAddress: string, headers = {}) =>
    t.server.app.inject({
      method,
      url: url.replace('{org}', t.creds.org_id),
      remoteAddress,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload } : {}),
    });

  it('without a key: off loopback refused with 403 even with a Zoho token, and nothing changes', async () => {
    const t = await injectTestServer();
    try {
      for (const c of CALLS) {
        const res = await ask(t, c, '10.0.0.5', auth(t.creds.access_token));
        assert.equal(res.statusCode, 403, `${c[0]} ${c[1]}`);
        assert.equal(res.json<{ code: string }>().code, 'ADMIN_LOOPBACK_ONLY');
      }
      assert.equal((await t.server.storage.orgs.list()).length, 1);
      assert.equal(await t.server.storage.emulator.clockOffset(), 0);
    } finally {
      await t.close();
    }
  });

  it('with a key: a Zoho token alone or a wrong key refused with 401; the key is enough from anywhere', async () => {
    const t = await injectTestServer({ adminKey: 'k-123' });
    try {
      for (const c of CALLS) {
        const token = await ask(t, c, '127.0.0.1', auth(t.creds.access_token));
        assert.deepEqual([token.statusCode, token.json<{ code: string }>().code], [401, 'ADMIN_KEY_REQUIRED'], c[1]);
        const wrong = await ask(t, c, '127.0.0.1', { 'x-bulkwrite-admin-key': 'k-124' });
        assert.deepEqual([wrong.statusCode, wrong.json<{ code: string }>().code], [401, 'ADMIN_KEY_INVALID'], c[1]);
      }
      assert.equal((await t.server.storage.orgs.list()).length, 1);
      assert.equal(await t.server.storage.emulator.clockOffset(), 0);
      for (const c of CALLS) {
        const ok = await ask(t, c, '10.0.0.5', { 'x-bulkwrite-admin-key': 'k-123' });
        assert.ok(ok.statusCode === 200 || ok.statusCode === 201, `${c[0]} ${c[1]}: ${ok.statusCode} ${ok.body}`);
      }
    } finally {
      await t.close();
    }
  });
});
