import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job } from '../../src/domain/types.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';

type Method = 'GET' | 'POST' | 'DELETE' | 'HEAD';

async function ask(
  t: TestServer,
  url: string,
  opts: { remoteAddress?: string; headers?: Record<string, string>; method?: Method; body?: string } = {},
) {
  const res = await t.server.app.inject({
    method: opts.method ?? 'GET',
    url,
    remoteAddress: opts.remoteAddress ?? '127.0.0.1',
    headers: opts.headers ?? {},
    ...(opts.body !== undefined ? { payload: opts.body } : {}),
  });
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: res.statusCode, headers: res.headers, text: res.body, body };
}

/** A job as the create-job route stores it (ADDED, nothing processed), with the given head. */
function storedJob(j: Pick<Job, 'id' | 'orgId' | 'createdAt' | 'operation' | 'createdBy'> & { module: string }): Job {
  return {
    id: j.id,
    orgId: j.orgId,
    apiVersion: 'v8',
    operation: j.operation,
    characterEncoding: 'UTF-8',
    ignoreEmpty: false,
    ignoreEmptyGiven: false,
    callback: null,
    resources: [
      {
        type: 'data',
        module: { apiName: j.module, id: '1' },
        fileId: '1',
        findBy: null,
        ignoreEmpty: null,
        fieldMappings: [],
        autoMapped: true,
        csvRows: 10,
      },
    ],
    status: 'ADDED',
    createdAt: j.createdAt,
    createdBy: j.createdBy,
    counts: { added: 0, updated: 0, skipped: 0, total: 0 },
    resourceCounts: null,
    fileName: 'jobs.csv',
    checkpointRow: 0,
    failure: null,
    resultReady: false,
    startedAt: null,
    finishedAt: null,
  };
}

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the console without BULKWRITE_ADMIN_KEY', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer();
  });
  after(() => t.close());

  it('sends a browser asking for / to /console/, and keeps Zoho answers for API clients', async () => {
    const browser = await ask(t, '/', { headers: HTML });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.location, '/console/');
    for (const headers of [{}, { accept: 'application/json' }, { accept: '*/*' }] as Array<Record<string, string>>) {
      const api = await ask(t, '/', { headers });
      assert.equal(api.status, 404, JSON.stringify(headers));
      assert.equal(api.body?.code, 'INVALID_URL_PATTERN');
    }
    // Another method on / and an unknown API path answer as before.
    assert.equal((await ask(t, '/', { method: 'POST', headers: HTML })).body?.code, 'INVALID_URL_PATTERN');
    assert.equal((await ask(t, '/crm/v2.1/nothing/here/at/all', { headers: HTML })).body?.code, 'INVALID_URL_PATTERN');
  });

  it('serves the page and its assets on loopback, with a CSP that allows nothing from elsewhere', async () => {
    const page = await ask(t, '/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.text, /<script type="module" src="app\/main.js"><\/script>/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal((await ask(t, '/console/app/main.js')).status, 200);
    assert.equal((await ask(t, '/console/style.css')).status, 200);
    assert.equal((await ask(t, '/console')).headers.location, '/console/');
  });

  it('refuses every console path off loopback, served or not', async () => {
    for (const path of [
      '/console/',
      '/console/app/main.js',
      '/console/nothing',
      '/_bulkwrite/console/jobs',
      '/_bulkwrite/console/session',
    ]) {
      const res = await ask(t, path, { remoteAddress: '10.1.2.3', headers: HTML });
      assert.equal(res.status, 403, path);
      assert.equal(res.body?.code, 'ADMIN_LOOPBACK_ONLY', path);
    }
  });

  it('asks a browser for the CSRF token on state-changing calls; curl-like clients are not affected', async () => {
    const session = await ask(t, '/_bulkwrite/console/session');
    assert.equal(session.body?.key_required, false);
    const token = String(session.body?.csrf_token);
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    assert.match(String(session.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
    const body = JSON.stringify({ name: 'From the browser' });
    const json = { 'content-type': 'application/json' };
    const origin = { origin: 'http://127.0.0.1:8080' };
    const noToken = await ask(t, '/_bulkwrite/orgs', { method: 'POST', headers: { ...json, ...origin, cookie }, body });
    assert.equal(noToken.status, 403);
    assert.equal(noToken.body?.code, 'CSRF_TOKEN_INVALID');
    const crossSite = await ask(t, '/_bulkwrite/orgs', {
      method: 'POST',
      headers: { ...json, 'sec-fetch-site': 'cross-site', 'x-bulkwrite-csrf': 'guess'.repeat(8) },
      body,
    });
    assert.equal(crossSite.body?.code, 'CSRF_TOKEN_INVALID');
    const ok = await ask(t, '/_bulkwrite/orgs', {
      method: 'POST',
      headers: { ...json, ...origin, cookie, 'x-bulkwrite-csrf': token },
      body,
    });
    assert.equal(ok.status, 201);
    assert.equal((await ask(t, '/_bulkwrite/orgs', { method: 'POST', headers: json, body })).status, 201);
  });

  it('pages every job newest first with a cursor, and filters by org, status, module and operation', async () => {
    const { storage } = t.server;
    const base = Date.UTC(2026, 0, 1);
    const org = t.server.org;
    for (let i = 0; i < 25; i++) {
      await storage.jobs.create(
        storedJob({
          id: String(4150868000000900000n + BigInt(i)),
          orgId: org.id,
          createdAt: base + Math.floor(i / 2) * 1000,
          operation: i % 3 === 0 ? 'upsert' : 'insert',
          module: i % 2 === 0 ? 'Leads' : 'Contacts',
          createdBy: org.user,
        }),
      );
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await ask(t, `/_bulkwrite/console/jobs?limit=10${after ? `&after=${after}` : ''}`);
      assert.equal(page.status, 200);
      const jobs = page.body!.jobs as Array<{ id: string; created_time: number }>;
      assert.ok(jobs.length <= 10);
      seen.push(...jobs.map((j) => j.id));
      after = page.body!.next as string | null;
    } while (after !== null);
    const expected = Array.from({ length: 25 }, (_, i) => String(4150868000000900000n + BigInt(24 - i)));
    assert.deepEqual(seen, expected);
    const leadsUpserts = await ask(t, '/_bulkwrite/console/jobs?module=leads&operation=upsert');
    const ids = (leadsUpserts.body!.jobs as Array<{ id: string }>).map((j) => j.id);
    assert.deepEqual(
      ids,
      [24, 18, 12, 6, 0].map((i) => String(4150868000000900000n + BigInt(i))),
    );
    assert.deepEqual((await ask(t, '/_bulkwrite/console/jobs?status=COMPLETED')).body!.jobs, []);
    assert.equal((await ask(t, `/_bulkwrite/console/jobs?org_id=${org.id}&limit=1`)).body!.next !== null, true);
    assert.equal((await ask(t, '/_bulkwrite/console/jobs?status=DONE')).body?.code, 'INVALID_DATA');
    assert.equal((await ask(t, '/_bulkwrite/console/jobs?after=x')).body?.code, 'INVALID_DATA');
    assert.equal((await ask(t, '/_bulkwrite/console/jobs?limit=100000')).body?.code, 'INVALID_DATA');
  });
});

describe('the console over 10,000 jobs', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer();
  });
  after(() => t.close());

  it('walks every page by cursor, each page read from the index, not by sorting the whole table', async () => {
    const org = t.server.org;
    const base = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 10_000; i++) {
      await t.server.storage.jobs.create(
        storedJob({
          id: String(4150868000001000000n + BigInt(i)),
          orgId: org.id,
          createdAt: base + i,
          operation: 'insert',
          module: 'Leads',
          createdBy: org.user,
        }),
      );
    }
    let after: string | null = null;
    let pages = 0;
    let seen = 0;
    let slowest = 0;
    let last = Infinity;
    do {
      const started = performance.now();
      const page = await ask(t, `/_bulkwrite/console/jobs?limit=200${after ? `&after=${after}` : ''}`);
      slowest = Math.max(slowest, performance.now() - started);
      const jobs = page.body!.jobs as Array<{ created_time: number }>;
      for (const j of jobs) {
        assert.ok(j.created_time < last, 'newest first, no job twice');
        last = j.created_time;
      }
      seen += jobs.length;
      pages++;
      after = page.body!.next as string | null;
    } while (after !== null);
    assert.equal(seen, 10_000);
    assert.equal(pages, 50);
    // Generous for a loaded shared machine (about 80 ms when measured alone).
    assert.ok(slowest < 1000, `slowest page ${Math.round(slowest)} ms`);
  });
});

describe('the console with BULKWRITE_ADMIN_KEY', () => {
  const KEY = 'console-test-key-0123456789';
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({ adminKey: KEY });
  });
  after(() => t.close());

  it('serves the sign-in page from anywhere, but no data without the key', async () => {
    assert.equal((await ask(t, '/console/', { remoteAddress: '10.1.2.3' })).status, 200);
    const session = await ask(t, '/_bulkwrite/console/session', { remoteAddress: '10.1.2.3' });
    assert.deepEqual({ ...session.body, now: 0 }, { key_required: true, signed_in: false, csrf_token: null, now: 0 });
    const jobs = await ask(t, '/_bulkwrite/console/jobs', { remoteAddress: '10.1.2.3' });
    assert.equal(jobs.status, 401);
    assert.equal(jobs.body?.code, 'ADMIN_KEY_REQUIRED');
  });

  it('signs in once with the key: an HttpOnly SameSite=Strict cookie that stands for it, Secure over TLS', async () => {
    const json = { 'content-type': 'application/json' };
    const wrong = await ask(t, '/_bulkwrite/console/session', {
      method: 'POST',
      headers: json,
      body: '{"key":"nope"}',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body?.code, 'ADMIN_KEY_INVALID');
    assert.equal(wrong.headers['set-cookie'], undefined);
    const signIn = await ask(t, '/_bulkwrite/console/session', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ key: KEY }),
      remoteAddress: '10.1.2.3',
    });
    assert.equal(signIn.status, 200);
    const setCookie = String(signIn.headers['set-cookie']);
    assert.match(setCookie, /^bw_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.ok(!setCookie.includes(KEY));
    const cookie = setCookie.split(';')[0]!;
    const csrf = String(signIn.body?.csrf_token);
    const jobs = await ask(t, '/_bulkwrite/console/jobs', { remoteAddress: '10.1.2.3', headers: { cookie } });
    assert.equal(jobs.status, 200);
    const tls = await ask(t, '/_bulkwrite/console/session', {
      method: 'POST',
      headers: { ...json, 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ key: KEY }),
    });
    // Fastify reports https only when it terminates TLS or trusts the proxy; this app does neither.
    assert.doesNotMatch(String(tls.headers['set-cookie']), /Secure/);
    // The cookie is a session, not the key: tampering with it is refused.
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.equal(
      (await ask(t, '/_bulkwrite/console/jobs', { headers: { cookie: forged } })).body?.code,
      'ADMIN_KEY_REQUIRED',
    );
    // State-changing calls riding the cookie need the CSRF token.
    const body = JSON.stringify({ name: 'x' });
    const noCsrf = await ask(t, '/_bulkwrite/orgs', { method: 'POST', headers: { ...json, cookie }, body });
    assert.equal(noCsrf.body?.code, 'CSRF_TOKEN_INVALID');
    const withCsrf = await ask(t, '/_bulkwrite/orgs', {
      method: 'POST',
      headers: { ...json, cookie, 'x-bulkwrite-csrf': csrf },
      body,
    });
    assert.equal(withCsrf.status, 201);
    // The key header itself still works without a cookie or a token, as for every admin client.
    const keyed = await ask(t, '/_bulkwrite/orgs', {
      method: 'POST',
      headers: { ...json, 'x-bulkwrite-admin-key': KEY },
      body,
    });
    assert.equal(keyed.status, 201);
    const out = await ask(t, '/_bulkwrite/console/session', {
      method: 'DELETE',
      headers: { cookie, 'x-bulkwrite-csrf': csrf },
    });
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
  });
});

describe('the console turned off (--no-console)', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({ console: false });
  });
  after(() => t.close());

  it('serves no page and sends no browser away from /', async () => {
    assert.equal((await ask(t, '/', { headers: HTML })).body?.code, 'INVALID_URL_PATTERN');
    assert.equal((await ask(t, '/console/')).status, 404);
    assert.equal((await ask(t, '/_bulkwrite/console/jobs')).status, 404);
  });
});
