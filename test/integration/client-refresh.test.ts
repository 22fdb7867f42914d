import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, ZohoApiError, type ClientOptions } from '../../src/client/index.js';
import { createJob, uploadCsv } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real fetch, counting the calls to the token endpoint. */
function countingFetch() {
  const counter = { token: 0, api: 0 };
  const wrapped: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes('/oauth/v2/token')) counter.token++;
    else counter.api++;
    return fetch(input, init);
  };
  return { counter, fetch: wrapped };
}

describe('the client refreshes access tokens once, even under concurrent calls', () => {
  let t: TestServer;
  let jobId: string;
  before(async () => {
    // Tokens live 2 s, so the test sees them expire.
    t = await startTestServer({ tokenTtlSeconds: 2 });
    // The job's one row is written by the server's own worker: wait for it in the store, not over HTTP,
    // where the 2 s token could run out first on a busy machine.
    const fileId = await uploadCsv(t, 'Last_Name\nOne\n');
    const res = await createJob(t, {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    jobId = (res.body.details as { id: string }).id;
    for (let i = 0; (await t.server.storage.jobs.get(t.creds.org_id, jobId))?.status !== 'COMPLETED'; i++) {
      assert.ok(i < 600, 'the job did not complete in 30 s');
      await sleep(50);
    }
  });
  after(() => t.close());

  const refreshCreds = () => ({
    clientId: t.creds.client_id,
    clientSecret: t.creds.client_secret,
    refreshToken: t.creds.refresh_token,
  });
  const options = (extra: Partial<ClientOptions> = {}): ClientOptions => ({
    apiDomain: t.url,
    accountsUrl: t.creds.accounts_url,
    uploadUrl: t.url,
    orgId: t.creds.org_id,
    credentials: refreshCreds(),
    ...extra,
  });

  it('gets one token for ten concurrent first calls, then one more when the token nears expiry', async () => {
    const { counter, fetch } = countingFetch();
    const client = createClient(options({ fetch }));
    const first = await Promise.all(Array.from({ length: 10 }, () => client.getJob(jobId)));
    assert.ok(first.every((d) => d.id === jobId));
    assert.equal(counter.token, 1);

    // Less than the margin (here half the 2 s lifetime) is left: the next calls refresh first, once.
    await sleep(1_100);
    const second = await Promise.all(Array.from({ length: 10 }, () => client.getJob(jobId)));
    assert.ok(second.every((d) => d.status === 'COMPLETED'));
    assert.equal(counter.token, 2);
    assert.equal(counter.api, 20, 'no call was refused and sent again');
    assert.equal(client.tokens.refreshCount, 2);
  });

  it('retries once after a refresh when the server refuses an expired token, with one refresh for all callers', async () => {
    // A token whose expiry the client was not told (say, from a cache): only the server knows it has expired.
    const expired = (await t.credentials()).access_token;
    await sleep(2_200);
    const { counter, fetch } = countingFetch();
    const client = createClient(options({ fetch, credentials: { ...refreshCreds(), accessToken: expired } }));
    const results = await Promise.all(Array.from({ length: 6 }, () => client.getJob(jobId)));
    assert.ok(results.every((d) => d.id === jobId));
    assert.equal(counter.token, 1, 'one refresh served every refused call');
    assert.equal(counter.api, 6 + 6, 'each call was refused once and sent once more');
  });

  it('refreshes before sending when it knows the token has expired, instead of being refused', async () => {
    const { counter, fetch } = countingFetch();
    const client = createClient(options({ fetch, refreshMarginMs: 0 }));
    await client.getJob(jobId);
    await sleep(2_200);
    await Promise.all(Array.from({ length: 6 }, () => client.getJob(jobId)));
    assert.equal(counter.token, 2);
    assert.equal(counter.api, 7);
  });

  it('replaces a refused token it was given, refreshing once for every caller', async () => {
    const { counter, fetch } = countingFetch();
    const client = createClient(
      options({ fetch, credentials: { ...refreshCreds(), accessToken: '1000.revoked.token' } }),
    );
    const results = await Promise.all(Array.from({ length: 5 }, () => client.getJob(jobId)));
    assert.equal(results.length, 5);
    assert.equal(counter.token, 1);
  });

  it('hands the refreshed token to onRefresh, with its expiry and the API domain the server named', async () => {
    const seen: Array<{ accessToken: string; expiresAt: number | null; apiDomain?: string }> = [];
    const client = createClient(
      options({
        credentials: {
          ...refreshCreds(),
          onRefresh: (tok) => {
            seen.push(tok);
          },
        },
      }),
    );
    const before = Date.now();
    await client.getJob(jobId);
    assert.equal(seen.length, 1);
    assert.match(seen[0]!.accessToken, /^1000\./);
    assert.ok(seen[0]!.expiresAt! >= before + 1_900 && seen[0]!.expiresAt! <= Date.now() + 2_000);
    assert.equal(seen[0]!.apiDomain, t.url);
  });

  it('throws INVALID_TOKEN (HTTP 401) for an expired access token it cannot refresh, without retrying', async () => {
    const creds = await t.credentials();
    const { counter, fetch } = countingFetch();
    const client = createClient(options({ fetch, credentials: creds.access_token }));
    await sleep(2_200);
    await assert.rejects(client.getJob(jobId), (e: unknown) => {
      assert.ok(e instanceof ZohoApiError);
      assert.equal(e.code, 'INVALID_TOKEN');
      assert.equal(e.httpStatus, 401);
      assert.equal(e.step, 'job');
      assert.deepEqual(e.details, {});
      return true;
    });
    assert.equal(counter.token, 0);
    assert.equal(counter.api, 1);
  });

  it("fails every concurrent caller with the accounts server's code when the refresh token is refused", async () => {
    const { counter, fetch } = countingFetch();
    const client = createClient(options({ fetch, credentials: { ...refreshCreds(), refreshToken: '1000.x.y' } }));
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => client.getJob(jobId)));
    for (const o of outcomes) {
      assert.equal(o.status, 'rejected');
      const e = (o as PromiseRejectedResult).reason as ZohoApiError;
      assert.ok(e instanceof ZohoApiError);
      assert.equal(e.code, 'invalid_code');
      assert.equal(e.step, 'token');
    }
    assert.equal(counter.token, 1);
    assert.equal(counter.api, 0);
  });
});
