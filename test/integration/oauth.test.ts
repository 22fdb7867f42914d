import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, call } from '../helpers/api.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';

describe('POST /oauth/v2/token', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({ worker: false });
  });
  after(() => t.close());

  const refreshFields = () => ({
    grant_type: 'refresh_token',
    client_id: t.creds.client_id,
    client_secret: t.creds.client_secret,
    refresh_token: t.creds.refresh_token,
  });

  const senders: Array<
    [
      string,
      (fields: Record<string, string>) => Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>,
    ]
  > = [
    ['the query string', (f) => call(`${t.url}/oauth/v2/token?${new URLSearchParams(f)}`, { method: 'POST' })],
    ['an urlencoded form', (f) => call(`${t.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(f) })],
    [
      'a multipart form, as the official SDK sends it',
      (f) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(f)) form.append(k, v);
        return call(`${t.url}/oauth/v2/token`, { method: 'POST', body: form });
      },
    ],
  ];
  for (const [how, send] of senders) {
    it(`issues an access token for a refresh token sent in ${how}`, async () => {
      const res = await send(refreshFields());
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(String(res.body.access_token), /^1000\.[0-9a-f]{32}\.[0-9a-f]{32}$/);
      assert.equal(res.body.expires_in, 3600);
      assert.equal('expires_in_sec' in res.body, false);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.api_domain, t.url);
      assert.equal(res.body.refresh_token, undefined);
      const use = await call(`${t.url}/crm/bulk/v2.1/write/1`, {
        headers: { authorization: `Bearer ${String(res.body.access_token)}` },
      });
      assert.equal(use.body.code, 'RESOURCE_NOT_FOUND');
    });
  }

  it('exchanges a grant code once for an access token and a refresh token', async () => {
    const creds = await t.credentials();
    const fields = {
      grant_type: 'authorization_code',
      client_id: creds.client_id,
      client_secret: creds.client_secret,
      code: creds.grant_code,
      redirect_uri: 'http://127.0.0.1/cb',
    };
    const first = await call(`${t.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(fields) });
    assert.equal(first.status, 200);
    assert.match(String(first.body.refresh_token), /^1000\./);
    assert.equal(first.body.expires_in, 3600);
    const again = await call(`${t.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(fields) });
    assert.deepEqual(again.body, { error: 'invalid_code' });
    const refreshed = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: creds.client_id,
        client_secret: creds.client_secret,
        refresh_token: String(first.body.refresh_token),
      }),
    });
    assert.match(String(refreshed.body.access_token), /^1000\./);
  });

  it('issues a token for client credentials with soid=ZohoCRM.<zgid>, and says missing_org_info without it', async () => {
    const base = {
      grant_type: 'client_credentials',
      client_id: t.creds.client_id,
      client_secret: t.creds.client_secret,
      scope: 'ZohoCRM.bulk.ALL,ZohoCRM.modules.ALL',
    };
    const ok = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({ ...base, soid: `ZohoCRM.${t.creds.org_id}` }),
    });
    assert.match(String(ok.body.access_token), /^1000\./);
    const missing = await call(`${t.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(base) });
    assert.deepEqual(missing.body, { error: 'missing_org_info' });
  });

  const errors: Array<[string, Record<string, string>, string]> = [
    ['an unknown refresh token', { refresh_token: '1000.nope.nope' }, 'invalid_code'],
    ['an unknown client id', { client_id: '1000.NOPE' }, 'invalid_client'],
    ['a wrong client secret', { client_secret: 'wrong' }, 'invalid_client_secret'],
    ['an unsupported grant type', { grant_type: 'password' }, 'unsupported_grant_type'],
  ];
  for (const [what, change, code] of errors) {
    it(`answers HTTP 200 {"error":"${code}"} for ${what}, as Zoho does`, async () => {
      const res = await call(`${t.url}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({ ...refreshFields(), ...change }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { error: code });
    });
  }

  it('answers INVALID_REQUEST_METHOD for GET on the token endpoint', async () => {
    const res = await call(`${t.url}/oauth/v2/token`);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'INVALID_REQUEST_METHOD');
  });

  it('accepts the Zoho-oauthtoken and Bearer schemes in any case, and nothing else', async () => {
    for (const header of [
      `Zoho-oauthtoken ${t.creds.access_token}`,
      `bearer ${t.creds.access_token}`,
      `ZOHO-OAUTHTOKEN ${t.creds.access_token}`,
    ]) {
      const res = await call(`${t.url}/crm/bulk/v2.1/write/1`, { headers: { authorization: header } });
      assert.equal(res.body.code, 'RESOURCE_NOT_FOUND', header);
    }
    for (const header of [`Basic ${t.creds.access_token}`, t.creds.access_token, 'Bearer']) {
      const res = await call(`${t.url}/crm/bulk/v2.1/write/1`, { headers: { authorization: header } });
      assert.equal(res.body.code, 'AUTHENTICATION_FAILURE', header);
    }
    assert.equal(
      (await call(`${t.url}/crm/bulk/v2.1/write/1`, { headers: auth('1000.x.y') })).body.code,
      'INVALID_TOKEN',
    );
  });
});
