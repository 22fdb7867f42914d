import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createOrg, issueCredentials } from '../../src/auth/org-setup.js';
import { hashSecret } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { auth, call, createJob, getJob, runJob, uploadCsv, refreshGrant } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The API's caches (storage/read-cache.ts), seen from outside: what they must never get wrong. */

const TTL_MS = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the API says to a token: the job's status, or the error code. */
async function apiSays(t: TestServer, jobId: string, token: string): Promise<string> {
  const res = await getJob(t, jobId, token);
  return String(res.status === 200 ? res.body.status : res.body.code);
}

describe('the API process caches tokens, orgs and finished jobs without serving anything stale or foreign', () => {
  let t: TestServer;
  let jobId: string;
  /** Another process writing to the same data folder, as `bulkwrite org …` or another API process would. */
  let elsewhere: Database.Database;

  before(async () => {
    t = await startTestServer({ cacheTtlMs: TTL_MS });
    ({ jobId } = await runJob(t, 'Last_Name\nCached\n', {}));
    elsewhere = new Database(join(t.dataDir, 'bulkwrite.db'));
  });
  after(async () => {
    elsewhere.close();
    await t.close();
  });

  it('reads BULKWRITE_CACHE_TTL_MS: 5000 by default, 0 turns the caches off', () => {
    assert.equal(loadConfig({}).cacheTtlMs, 5000);
    assert.equal(loadConfig({ BULKWRITE_CACHE_TTL_MS: '0' }).cacheTtlMs, 0);
    assert.throws(() => loadConfig({ BULKWRITE_CACHE_TTL_MS: '-1' }), /BULKWRITE_CACHE_TTL_MS/);
  });

  for (const [revoked, what] of [
    ['access_token', 'an access token at once once this process revoked it, though it was just used'],
    ['refresh_token', 'every access token of a refresh token at once once this process revoked the refresh token'],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const creds = await t.credentials();
      assert.equal(await apiSays(t, jobId, creds.access_token), 'COMPLETED');
      const res = await call(`${t.url}/oauth/v2/token/revoke?token=${creds[revoked]}`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
      assert.equal(await apiSays(t, jobId, creds.access_token), 'INVALID_TOKEN');
    });
  }

  it('refuses at once a used access token that the 31st token of its refresh token revoked', async () => {
    const open = await startTestServer({ cacheTtlMs: TTL_MS, worker: false, tokenRateLimit: 0 });
    try {
      const oldest = open.creds.access_token;
      assert.equal(await apiSays(open, '1', oldest), 'RESOURCE_NOT_FOUND');
      for (let i = 0; i < 30; i++) {
        const res = await refreshGrant(open);
        assert.equal(res.status, 200, res.text);
      }
      assert.equal(await apiSays(open, '1', oldest), 'INVALID_TOKEN');
    } finally {
      await open.close();
    }
  });

  it('refuses a token revoked by another process within the cache TTL', async () => {
    const creds = await t.credentials();
    assert.equal(await apiSays(t, jobId, creds.access_token), 'COMPLETED');
    const other = openSqliteStorage(join(t.dataDir, 'bulkwrite.db'));
    try {
      assert.equal(await other.oauth.revokeAccessToken(hashSecret(creds.access_token), Date.now()), true);
    } finally {
      await other.close();
    }
    await sleep(TTL_MS + 100);
    assert.equal(await apiSays(t, jobId, creds.access_token), 'INVALID_TOKEN');
  });

  it('accepts a token issued by another process at once (unknown tokens are not cached)', async () => {
    const token = '1000.issued.elsewhere';
    assert.equal(await apiSays(t, jobId, token), 'INVALID_TOKEN');
    const other = openSqliteStorage(join(t.dataDir, 'bulkwrite.db'));
    try {
      await other.oauth.saveAccessToken({
        tokenHash: hashSecret(token),
        refreshTokenHash: null,
        clientId: t.creds.client_id,
        orgId: t.server.org.id,
        userId: t.server.org.user.id,
        scopes: ['ZohoCRM.bulk.ALL'],
        issuedAt: Date.now(),
        expiresAt: Date.now() + 60_000,
      });
    } finally {
      await other.close();
    }
    assert.equal(await apiSays(t, jobId, token), 'COMPLETED');
  });

  it("shows an org's time zone changed by another process in created_time within the cache TTL", async () => {
    const before = await getJob(t, jobId);
    assert.match(String(before.body.created_time), /\+00:00$/);
    elsewhere.prepare('UPDATE orgs SET time_zone = ? WHERE id = ?').run('Asia/Kolkata', t.server.org.id);
    try {
      await sleep(TTL_MS + 100);
      const changed = await getJob(t, jobId);
      assert.match(String(changed.body.created_time), /\+05:30$/);
      const { created_time: _a, ...restBefore } = before.body;
      const { created_time: _b, ...restChanged } = changed.body;
      assert.deepEqual(restChanged, restBefore);
    } finally {
      elsewhere.prepare('UPDATE orgs SET time_zone = ? WHERE id = ?').run('UTC', t.server.org.id);
    }
    await sleep(TTL_MS + 100);
    assert.match(String((await getJob(t, jobId)).body.created_time), /\+00:00$/);
  });

  it('answers RESOURCE_NOT_FOUND to another org asking for a job this process has cached', async () => {
    assert.equal((await getJob(t, jobId)).body.status, 'COMPLETED');
    const { org } = await createOrg(t.server.storage, { now: Date.now() });
    const other = await issueCredentials(t.server.storage, org, {
      now: Date.now(),
      tokenTtlSeconds: 3600,
      apiDomain: t.url,
    });
    for (const version of ['v2', 'v2.1', 'v8']) {
      const res = await call(`${t.url}/crm/bulk/${version}/write/${jobId}`, { headers: auth(other.access_token) });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'RESOURCE_NOT_FOUND');
    }
  });

  it('renders a finished job in the version each request asks for, again and again', async () => {
    for (let i = 0; i < 2; i++) {
      const v2 = await call(`${t.url}/crm/bulk/v2/write/${jobId}`, { headers: auth(t.creds.access_token) });
      const v8 = await call(`${t.url}/crm/bulk/v8/write/${jobId}`, { headers: auth(t.creds.access_token) });
      const module2 = (v2.body.resource as Array<{ module: unknown }>)[0]!.module;
      const module8 = (v8.body.resource as Array<{ module: unknown }>)[0]!.module;
      assert.equal(module2, 'Leads');
      assert.deepEqual(Object.keys(module8 as object), ['id', 'api_name']);
      assert.ok('email' in (v8.body.created_by as object));
      assert.ok(!('email' in (v2.body.created_by as object)));
    }
  });

  it('shows every status and count of an unfinished job as the store has it, at once', async () => {
    const idle = await startTestServer({ cacheTtlMs: TTL_MS, worker: false });
    const db = new Database(join(idle.dataDir, 'bulkwrite.db'));
    try {
      const fileId = await uploadCsv(idle, 'Last_Name\nOne\nTwo\nThree\n');
      const created = await createJob(idle, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      const id = (created.body.details as { id: string }).id;
      const states: Array<[string, number, number]> = [
        ['ADDED', 0, 0],
        ['INPROGRESS', 1, 0],
        ['INPROGRESS', 2, 0],
        ['COMPLETED', 3, 1],
      ];
      for (const [status, added, ready] of states) {
        // As the worker (another thread or process) writes it; every poll must see it.
        db.prepare('UPDATE jobs SET status = ?, added = ?, result_ready = ? WHERE id = ?').run(
          status,
          added,
          ready,
          id,
        );
        const res = await getJob(idle, id);
        assert.equal(res.body.status, status);
        const file = (res.body.resource as Array<{ file: Record<string, unknown> }>)[0]!.file;
        if (status !== 'ADDED') assert.equal(file.added_count, added);
        assert.equal('result' in res.body, status === 'COMPLETED');
      }
    } finally {
      db.close();
      await idle.close();
    }
  });
});
