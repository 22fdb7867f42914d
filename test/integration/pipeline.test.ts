import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, call } from '../helpers/api.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';

/** Every route that asks for a token, with `{v}` where its URL names the API version. */
const ROUTES: Array<{ method: string; path: string; records?: true }> = [
  { method: 'POST', path: '/crm/{v}/upload' },
  { method: 'POST', path: '/crm/bulk/{v}/write' },
  { method: 'GET', path: '/crm/bulk/{v}/write/4150868000000100000' },
  { method: 'GET', path: '/v2/crm/{org}/bulk-write/4150868000000100000/4150868000000100000.zip' },
  { method: 'GET', path: '/crm/{v}/settings/modules' },
  { method: 'GET', path: '/crm/{v}/settings/fields?module=Leads' },
  { method: 'GET', path: '/crm/{v}/Leads', records: true },
  { method: 'GET', path: '/crm/{v}/Leads/search?email=a@example.com', records: true },
  { method: 'GET', path: '/crm/{v}/Leads/4150868000000100000', records: true },
];

/** The paths the API serves and a method none of them takes. */
const SERVED: Array<[string, string]> = [
  ['PUT', '/oauth/v2/token'],
  ['GET', '/oauth/v2/auth'],
  ['DELETE', '/oauth/v2/token/revoke'],
  ['GET', '/crm/{v}/upload'],
  ['PATCH', '/crm/bulk/{v}/write'],
  ['DELETE', '/crm/bulk/{v}/write/4150868000000100000'],
  ['POST', '/v2/crm/{org}/bulk-write/1/1.zip'],
  ['POST', '/crm/{v}/settings/modules'],
  ['PUT', '/crm/{v}/settings/fields'],
  ['POST', '/crm/{v}/Leads'],
  ['PUT', '/crm/{v}/Leads/search'],
  ['DELETE', '/crm/{v}/Leads/4150868000000100000'],
];

const CODES = {
  INVALID_URL_PATTERN: 404,
  INVALID_REQUEST_METHOD: 400,
  AUTHENTICATION_FAILURE: 401,
  INVALID_TOKEN: 401,
  INVALID_MODULE: 400,
  OAUTH_SCOPE_MISMATCH: 401,
} as const;

describe('the request pipeline: version, then token, then module, then scope', () => {
  let t: TestServer;
  let narrow: string;
  before(async () => {
    t = await injectTestServer(
      {},
      {
        // A route the pipeline has never heard of, added the way any route is.
        extend: (app) =>
          app.get('/crm/:version/probe/:thing', { config: { scope: 'bulk' } }, async (req) => ({
            version: req.apiVersion.name,
            org: req.auth.orgId,
          })),
      },
    );
    // A token that opens none of the routes.
    narrow = (await t.credentials(['ZohoCRM.org.READ'])).access_token;
  });
  after(() => t.close());

  const url = (path: string, version: string) =>
    `${t.url}${path.replace('{v}', version).replace('{org}', t.creds.org_id)}`;

  async function expect(method: string, path: string, headers: Record<string, string>, code: keyof typeof CODES) {
    const res = await call(path, { method, headers });
    assert.equal(res.body.code, code, `${method} ${path}: ${res.text}`);
    assert.equal(res.status, CODES[code], `${method} ${path}`);
  }

  for (const route of ROUTES) {
    const versioned = route.path.includes('{v}');
    it(`answers ${route.method} ${route.path} in the pipeline's order`, async () => {
      if (versioned) await expect(route.method, url(route.path, 'v9'), {}, 'INVALID_URL_PATTERN');
      await expect(route.method, url(route.path, 'v2.1'), {}, 'AUTHENTICATION_FAILURE');
      await expect(route.method, url(route.path, 'v8'), auth('1000.unknown.token'), 'INVALID_TOKEN');
      if (route.records) {
        await expect(route.method, url(route.path.replace('Leads', 'Nope'), 'v8'), auth(narrow), 'INVALID_MODULE');
      }
      await expect(route.method, url(route.path, 'v8'), auth(narrow), 'OAUTH_SCOPE_MISMATCH');
    });
  }

  it('answers a method a served path does not take with INVALID_REQUEST_METHOD, before any token is asked for', async () => {
    for (const [method, path] of SERVED) {
      await expect(method, url(path, 'v2.1'), {}, 'INVALID_REQUEST_METHOD');
      if (path.includes('{v}')) await expect(method, url(path, 'v2.3'), {}, 'INVALID_URL_PATTERN');
    }
    await expect('GET', `${t.url}/crm/bulk/v2.1/writ/1`, {}, 'INVALID_URL_PATTERN');
    await expect('OPTIONS', `${t.url}/crm/bulk/v2.1/write`, {}, 'INVALID_REQUEST_METHOD');
  });

  it('gives a route added to the app the pipeline and the wrong-method answer without listing it anywhere', async () => {
    const path = '/crm/{v}/probe/x';
    const ok = await call(url(path, 'v7'), { headers: auth(t.creds.access_token) });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body, { version: 'v7', org: t.creds.org_id });
    const head = await call(url(path, 'v7'), { method: 'HEAD', headers: auth(t.creds.access_token) });
    assert.equal(head.status, 200);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      await expect(method, url(path, 'v7'), {}, 'INVALID_REQUEST_METHOD');
      await expect(method, url(path, 'v1'), {}, 'INVALID_URL_PATTERN');
    }
    await expect('GET', url(path, 'v1'), auth(t.creds.access_token), 'INVALID_URL_PATTERN');
    await expect('GET', url(path, 'v7'), {}, 'AUTHENTICATION_FAILURE');
    await expect('GET', url(path, 'v7'), auth(narrow), 'OAUTH_SCOPE_MISMATCH');
  });
});
