import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient, createOrg, issueGrantCode, type Credentials } from '../../src/auth/org-setup.js';
import { hashSecret } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { auth, call, type HttpAnswer } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ALL = ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL', 'ZohoFiles.files.ALL'];
const THROTTLED = {
  error_description: 'Token creation throttle limit reached. Please reuse the valid tokens you currently have.',
  error: 'Access Denied',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function token(t: TestServer, fields: Record<string, string>, path = '/oauth/v2/token'): Promise<HttpAnswer> {
  return call(`${t.url}${path}`, { method: 'POST', body: new URLSearchParams(fields) });
}

function refresh(t: TestServer, creds: Credentials, refreshToken = creds.refresh_token): Promise<HttpAnswer> {
  return token(t, {
    grant_type: 'refresh_token',
    client_id: creds.client_id,
    client_secret: creds.client_secret,
    refresh_token: refreshToken,
  });
}

/** What the API says about a token: RESOURCE_NOT_FOUND for a usable one (the job id is unknown), else its error. */
async function apiSays(t: TestServer, accessToken: string): Promise<string> {
  const res = await call(`${t.url}/crm/bulk/v2.1/write/1`, { headers: auth(accessToken) });
  return String(res.body.code);
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function cliJson<T = Record<string, unknown>>(args: string[]): T {
  const run = cli(args);
  assert.equal(run.status, 0, `bulkwrite ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

describe('the accounts server: revocation, grant codes, token limits, client credentials', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ worker: false });
  });
  after(() => t.close());

  it('revokes a refresh token and every access token issued from it', async () => {
    const creds = await t.credentials();
    const second = String((await refresh(t, creds)).body.access_token);
    assert.equal(await apiSays(t, second), 'RESOURCE_NOT_FOUND');

    const res = await call(`${t.url}/oauth/v2/token/revoke?token=${creds.refresh_token}`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.body, { status: 'success' });

    assert.equal(await apiSays(t, creds.access_token), 'INVALID_TOKEN');
    assert.equal(await apiSays(t, second), 'INVALID_TOKEN');
    assert.deepEqual((await refresh(t, creds)).body, { error: 'invalid_code' });
    const again = await call(`${t.url}/oauth/v2/token/revoke?token=${creds.refresh_token}`, { method: 'POST' });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, { error: 'invalid_token' });
  });

  it('revokes one access token, sent as the official SDK sends it (multipart), and leaves its refresh token working', async () => {
    const creds = await t.credentials();
    const form = new FormData();
    form.append('token', creds.access_token);
    const res = await call(`${t.url}/oauth/v2/token/revoke`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'success' });
    assert.equal(await apiSays(t, creds.access_token), 'INVALID_TOKEN');
    const fresh = await refresh(t, creds);
    assert.equal(await apiSays(t, String(fresh.body.access_token)), 'RESOURCE_NOT_FOUND');
  });

  it('answers HTTP 400 {"error":"invalid_token"} for an unknown token or none, and INVALID_REQUEST_METHOD for GET', async () => {
    for (const url of [`${t.url}/oauth/v2/token/revoke?token=1000.nope.nope`, `${t.url}/oauth/v2/token/revoke`]) {
      const res = await call(url, { method: 'POST', body: new URLSearchParams({}) });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { error: 'invalid_token' });
    }
    const get = await call(`${t.url}/oauth/v2/token/revoke?token=x`);
    assert.equal(get.status, 400);
    assert.equal(get.body.code, 'INVALID_REQUEST_METHOD');
  });

  it('exchanges a grant code once, for its own client only, and not after it expired', async () => {
    const org = t.server.org;
    // Only a secret's hash is stored: the Self Client's secret is the one the test credentials showed.
    const self = { ...(await t.server.storage.oauth.clientsOf(org.id))[0]!, clientSecret: t.creds.client_secret };
    const other = await createClient(t.server.storage, org, { now: Date.now() });
    const exchange = (code: string, client = self) =>
      token(t, {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
      });

    const once = await issueGrantCode(t.server.storage, org, self, { scopes: ALL, now: Date.now() });
    const first = await exchange(once.code);
    assert.match(String(first.body.access_token), /^1000\./);
    assert.match(String(first.body.refresh_token), /^1000\./);
    assert.equal(first.body.scope, ALL.join(' '));
    assert.deepEqual((await exchange(once.code)).body, { error: 'invalid_code' }, 'single use');

    const wrongClient = await issueGrantCode(t.server.storage, org, self, { scopes: ALL, now: Date.now() });
    assert.deepEqual((await exchange(wrongClient.code, other)).body, { error: 'invalid_code' });

    const short = await issueGrantCode(t.server.storage, org, self, { scopes: ALL, expiresInMs: 200, now: Date.now() });
    await sleep(300);
    assert.deepEqual((await exchange(short.code)).body, { error: 'invalid_code' }, 'expired');
  });

  it('refuses a server-based client’s grant code with another redirect_uri: invalid_redirect_uri', async () => {
    const client = await createClient(t.server.storage, t.server.org, {
      redirectUri: 'https://app.example.test/callback',
      now: Date.now(),
    });
    const code = (await issueGrantCode(t.server.storage, t.server.org, client, { scopes: ALL, now: Date.now() })).code;
    const fields = {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
    };
    const wrong = await token(t, { ...fields, redirect_uri: 'https://evil.example.test/' });
    assert.deepEqual(wrong.body, { error: 'invalid_redirect_uri' });
    const right = await token(t, { ...fields, redirect_uri: 'https://app.example.test/callback' });
    assert.match(String(right.body.refresh_token), /^1000\./);
  });

  it('refuses the 11th access token from one refresh token within 10 minutes with "Access Denied", HTTP 200, as Zoho', async () => {
    assert.equal(t.config.tokenRateLimit, 10, "Zoho's limit is the default");
    const creds = await t.credentials(); // its access token is the first of the ten
    for (let i = 2; i <= 10; i++) {
      const ok = await refresh(t, creds);
      assert.match(String(ok.body.access_token), /^1000\./, `token ${i}: ${JSON.stringify(ok.body)}`);
    }
    const refused = await refresh(t, creds);
    assert.equal(refused.status, 200);
    assert.equal(refused.text, JSON.stringify(THROTTLED));
    assert.equal(await apiSays(t, creds.access_token), 'RESOURCE_NOT_FOUND', 'the tokens already issued still work');
    const other = await t.credentials();
    assert.match(String((await refresh(t, other)).body.access_token), /^1000\./, 'the limit is per refresh token');
  });

  it('counts only the access tokens of the last 10 minutes towards the limit', async () => {
    const creds = await t.credentials();
    const base = {
      refreshTokenHash: hashSecret(creds.refresh_token),
      clientId: creds.client_id,
      orgId: creds.org_id,
      userId: t.server.org.user.id,
      scopes: ALL,
    };
    const now = Date.now();
    for (let i = 0; i < 10; i++) {
      const issuedAt = now - 10 * 60_000 - 1000 - i;
      await t.server.storage.oauth.saveAccessToken({ ...base, tokenHash: `old-${i}`, issuedAt, expiresAt: now + 1 });
    }
    assert.match(String((await refresh(t, creds)).body.access_token), /^1000\./, 'eleven tokens, but nine are old');
    for (let i = 0; i < 8; i++) {
      await t.server.storage.oauth.saveAccessToken({
        ...base,
        tokenHash: `new-${i}`,
        issuedAt: now - 60_000,
        expiresAt: now + 1,
      });
    }
    assert.deepEqual((await refresh(t, creds)).body, THROTTLED);
  });

  it('reads BULKWRITE_TOKEN_RATE_LIMIT: 10 by default, 0 turns the limit off', () => {
    assert.equal(loadConfig({}).tokenRateLimit, 10);
    assert.equal(loadConfig({ BULKWRITE_TOKEN_RATE_LIMIT: '0' }).tokenRateLimit, 0);
    assert.equal(loadConfig({ BULKWRITE_TOKEN_RATE_LIMIT: '25' }).tokenRateLimit, 25);
    assert.throws(() => loadConfig({ BULKWRITE_TOKEN_RATE_LIMIT: '-1' }), /BULKWRITE_TOKEN_RATE_LIMIT/);
  });

  it('keeps at most 30 live access tokens per refresh token (limit off): the 31st revokes the oldest', async () => {
    const open = await startTestServer({ worker: false, tokenRateLimit: 0 });
    try {
      const creds = open.creds;
      const issued: string[] = [creds.access_token];
      for (let i = 0; i < 30; i++) issued.push(String((await refresh(open, creds)).body.access_token));
      assert.equal(new Set(issued).size, 31);
      assert.equal(await apiSays(open, issued[0]!), 'INVALID_TOKEN', 'the oldest is revoked');
      for (const access of [issued[1]!, issued[15]!, issued[30]!])
        assert.equal(await apiSays(open, access), 'RESOURCE_NOT_FOUND');
    } finally {
      await open.close();
    }
  });

  it('keeps at most 20 refresh tokens per user of a client: the 21st revokes the oldest with its access tokens', async () => {
    const client = await createClient(t.server.storage, t.server.org, { name: 'limits', now: Date.now() });
    const pairs: Array<{ refresh: string; access: string }> = [];
    for (let i = 0; i < 21; i++) {
      const { code } = await issueGrantCode(t.server.storage, t.server.org, client, { scopes: ALL, now: Date.now() });
      const res = await token(t, {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
      });
      pairs.push({ refresh: String(res.body.refresh_token), access: String(res.body.access_token) });
    }
    const viaClient = { ...t.creds, client_id: client.clientId, client_secret: client.clientSecret };
    assert.deepEqual((await refresh(t, viaClient, pairs[0]!.refresh)).body, { error: 'invalid_code' });
    assert.equal(await apiSays(t, pairs[0]!.access), 'INVALID_TOKEN');
    assert.match(String((await refresh(t, viaClient, pairs[1]!.refresh)).body.access_token), /^1000\./);
    assert.equal(await apiSays(t, pairs[20]!.access), 'RESOURCE_NOT_FOUND');
    assert.equal(await apiSays(t, t.creds.access_token), 'RESOURCE_NOT_FOUND', 'another client’s tokens are untouched');
  });

  for (const path of ['/oauth/v2/token', '/oauth/v2/auth']) {
    it(`issues client_credentials tokens on ${path} for the org named by soid=ZohoCRM.<zgid>`, async () => {
      const base = {
        grant_type: 'client_credentials',
        client_id: t.creds.client_id,
        client_secret: t.creds.client_secret,
        scope: 'ZohoFiles.files.ALL,ZohoCRM.bulk.ALL',
      };
      const ok = await token(t, { ...base, soid: `ZohoCRM.${t.creds.org_id}` }, path);
      assert.equal(ok.status, 200);
      assert.deepEqual(Object.keys(ok.body), ['access_token', 'scope', 'api_domain', 'token_type', 'expires_in']);
      assert.equal(ok.body.scope, 'ZohoFiles.files.ALL ZohoCRM.bulk.ALL');
      assert.equal(ok.body.api_domain, t.url);
      assert.equal(ok.body.expires_in, 3600);
      const form = new FormData();
      form.append('file', new Blob([await makeZip({ 'l.csv': 'Last_Name\nA\n' })]), 'l.zip');
      const up = await call(`${t.url}/crm/v8/upload`, {
        method: 'POST',
        headers: { ...auth(String(ok.body.access_token)), feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
        body: form,
      });
      assert.equal(up.status, 200, up.text);

      const { org } = await createOrg(t.server.storage, { name: 'elsewhere', now: Date.now() });
      const cases: Array<[Record<string, string>, string]> = [
        [base, 'missing_org_info'],
        [{ ...base, soid: `ZohoCRM.${org.id}` }, 'invalid_client'],
        [{ ...base, soid: t.creds.org_id }, 'missing_org_info'],
        [{ ...base, soid: `ZohoCRM.${t.creds.org_id}`, client_secret: 'nope' }, 'invalid_client_secret'],
        [{ ...base, soid: `ZohoCRM.${t.creds.org_id}`, client_id: '1000.UNKNOWN' }, 'invalid_client'],
      ];
      for (const [fields, error] of cases) {
        const res = await token(t, fields, path);
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { error }, JSON.stringify(fields));
      }
    });
  }

  describe('admin commands, run as the bulkwrite CLI against the data folder of the running server', () => {
    it('creates an org, a server-based client and a grant code (--json) that the running server exchanges', async () => {
      const org = cliJson<{
        org_id: string;
        name: string;
        time_zone: string;
        user: { email: string };
        client: Record<string, string>;
      }>([
        'org',
        'create',
        '--name',
        'Acme EU',
        '--time-zone',
        'Europe/Berlin',
        '--user-email',
        'ops@acme.example',
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.match(org.org_id, /^\d{9}$/);
      assert.equal(org.name, 'Acme EU');
      assert.equal(org.time_zone, 'Europe/Berlin');
      assert.equal(org.user.email, 'ops@acme.example');
      assert.equal(org.client.client_type, 'self');

      const list = cliJson<Array<{ org_id: string; default: boolean }>>([
        'org',
        'list',
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.equal(list[0]!.org_id, t.creds.org_id, 'the default org first');
      assert.deepEqual(
        list.map((o) => o.default),
        list.map((_, i) => i === 0),
      );
      assert.ok(list.some((o) => o.org_id === org.org_id));

      const client = cliJson<Record<string, string>>([
        'client',
        'create',
        '--org',
        org.org_id,
        '--redirect-uri',
        'https://app.example.test/cb',
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.equal(client.client_type, 'server');
      assert.equal(client.org_id, org.org_id);
      assert.equal(client.redirect_uri, 'https://app.example.test/cb');
      const clients = cliJson<Array<Record<string, string>>>([
        'client',
        'list',
        '--org',
        org.org_id,
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.deepEqual(
        clients.map((c) => c.client_type),
        ['self', 'server'],
      );

      const grant = cliJson<{ code: string; scopes: string[]; token_url: string; expires_in: number; org_id: string }>([
        'grant-code',
        '--org',
        org.org_id,
        '--client',
        client.client_id!,
        '--scopes',
        'ZohoCRM.bulk.ALL,ZohoFiles.files.ALL',
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.deepEqual(grant.scopes, ['ZohoCRM.bulk.ALL', 'ZohoFiles.files.ALL']);
      assert.equal(grant.expires_in, 600);
      assert.equal(grant.org_id, org.org_id);
      assert.equal(grant.token_url, `${t.url}/oauth/v2/token`);

      const exchanged = await call(grant.token_url, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: client.client_id!,
          client_secret: client.client_secret!,
          redirect_uri: 'https://app.example.test/cb',
          code: grant.code,
        }),
      });
      const access = String(exchanged.body.access_token);
      assert.match(access, /^1000\./, exchanged.text);
      const form = new FormData();
      form.append('file', new Blob([await makeZip({ 'l.csv': 'Last_Name\nA\n' })]), 'l.zip');
      const up = await call(`${t.url}/crm/v2.1/upload`, {
        method: 'POST',
        headers: { ...auth(access), feature: 'bulk-write', 'X-CRM-ORG': org.org_id },
        body: form,
      });
      assert.equal(up.status, 200, up.text);
      assert.match(String((up.body.details as { created_time: string }).created_time), /\+0[12]:00$/, 'Berlin time');
    });

    it('issues a grant code that expires after --expires-in seconds', async () => {
      const grant = cliJson<{ code: string; client_id: string }>([
        'grant-code',
        '--org',
        t.creds.org_id,
        '--expires-in',
        '1',
        '--json',
        '--data-dir',
        t.dataDir,
      ]);
      assert.equal(grant.client_id, t.creds.client_id, 'the org’s Self Client by default');
      await sleep(1200);
      const res = await token(t, {
        grant_type: 'authorization_code',
        client_id: t.creds.client_id,
        client_secret: t.creds.client_secret,
        code: grant.code,
      });
      assert.deepEqual(res.body, { error: 'invalid_code' });
    });

    it('exits 2 with one clear message on usage errors, never touching another org’s client', async () => {
      const { org } = await createOrg(t.server.storage, { name: 'other', now: Date.now() });
      const foreign = (await t.server.storage.oauth.clientsOf(org.id))[0]!;
      const cases: Array<[string[], RegExp]> = [
        [['grant-code'], /--org is required/],
        [['grant-code', '--org', '123'], /no org 123/],
        [['grant-code', '--org', t.creds.org_id, '--expires-in', '0'], /--expires-in/],
        [['grant-code', '--org', t.creds.org_id, '--expires-in', '601'], /--expires-in/],
        [['grant-code', '--org', t.creds.org_id, '--client', foreign.clientId], /no client .* in org/],
        [['org', 'rename'], /takes create or list/],
        [['org', 'create', '--time-zone', 'Mars/Olympus'], /IANA time zone/],
        [['client', 'create', '--org', t.creds.org_id, '--redirect-uri', 'not a url'], /absolute URL/],
        [['client', 'create'], /--org is required/],
        [['org', 'list', '--bogus'], /bogus/],
      ];
      for (const [args, message] of cases) {
        const run = cli([...args, '--data-dir', t.dataDir]);
        assert.equal(run.status, 2, `${args.join(' ')}: ${run.stdout}${run.stderr}`);
        assert.match(run.stderr, message, args.join(' '));
        assert.equal(run.stdout, '');
      }
    });

    it('prints help with examples for org, client and grant-code', () => {
      for (const command of ['org', 'client', 'grant-code']) {
        const run = cli([command, '--help']);
        assert.equal(run.status, 0);
        assert.match(run.stdout, /^Usage: bulkwrite /);
        assert.match(run.stdout, /Examples:\n {2}bulkwrite /);
        assert.match(run.stdout, /--data-dir/);
      }
      const main = cli(['--help']);
      for (const command of ['org', 'client', 'grant-code'])
        assert.match(main.stdout, new RegExp(`\\n {2}${command} `));
    });
  });
});
