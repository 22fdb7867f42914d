import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import type * as Testing from '../../src/testing.js';

// Through the package name, as a user's test suite imports it (package.json "exports").
const PACKAGE = 'bulkwrite/testing';
const load = () => import(PACKAGE) as Promise<typeof Testing>;

describe("bulkwrite/testing's startBulkwrite", () => {
  it('starts a server that answers within a second, with credentials that work, and removes its store on stop', async () => {
    const { startBulkwrite } = await load();
    // The first start in a process also loads the server's modules (the SQLite binding, the worker
    // thread's script): its time is shown, the bound holds for the starts a suite makes after it.
    const firstStarted = performance.now();
    await (await startBulkwrite()).stop();
    const first = performance.now() - firstStarted;
    const started = performance.now();
    const bw = await startBulkwrite();
    const health = await bw.admin.health();
    const ms = performance.now() - started;
    try {
      assert.equal(health.status, 'ok');
      assert.ok(ms < 1000, `start to first answer took ${ms.toFixed(0)} ms (the first start ${first.toFixed(0)} ms)`);
      assert.match(bw.apiDomain, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(bw.accountsUrl, bw.apiDomain);
      assert.equal(bw.credentials.org_id, bw.orgId);
      const leads = await fetch(`${bw.apiDomain}/crm/v2.1/Leads`, {
        headers: { authorization: `Zoho-oauthtoken ${bw.credentials.access_token}` },
      });
      assert.equal(leads.status, 204);
      const token = await fetch(`${bw.accountsUrl}/oauth/v2/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: bw.credentials.client_id,
          client_secret: bw.credentials.client_secret,
          refresh_token: bw.credentials.refresh_token,
        }),
      });
      assert.equal(typeof ((await token.json()) as { access_token?: string }).access_token, 'string');
    } finally {
      await bw.stop();
    }
    assert.equal(existsSync(bw.dataDir), false);
  });

  it('hands out the typed admin client: faults, requests, limits, reset, callbacks, inbox, clock, release', async () => {
    const { startBulkwrite, AdminApiError } = await load();
    const bw = await startBulkwrite();
    const { admin, orgId } = bw;
    const token = bw.credentials.access_token;
    const leads = () =>
      fetch(`${bw.apiDomain}/crm/v2.1/Leads`, { headers: { authorization: `Zoho-oauthtoken ${token}` } });
    try {
      const id = await admin.faults.add({
        match: { route: 'records' },
        times: 1,
        respond: { status: 429, code: 'TOO_MANY_REQUESTS' },
      });
      assert.equal((await leads()).status, 429);
      assert.equal((await leads()).status, 204);
      const [rule] = await admin.faults.list();
      assert.deepEqual([rule!.id, rule!.hits, rule!.remaining], [id, 1, 0]);
      assert.deepEqual(await admin.faults.remove(id), { deleted: 1 });
      assert.deepEqual(await admin.faults.clear(), { deleted: 0 });
      assert.deepEqual(
        (await admin.requests({ orgId, route: 'records' })).map((r) => [r.status, r.code]),
        [
          [429, 'TOO_MANY_REQUESTS'],
          [204, null],
        ],
      );
      const limits = await admin.limits.set(orgId, { profile: 'zoho', edition: 'free' });
      assert.deepEqual([limits.limits.daily_credits, limits.enabled], [5000, true]);
      assert.equal((await admin.limits.off(orgId)).enabled, false);
      assert.equal((await admin.clock.advance(60_000)).real_time, false);
      assert.equal((await admin.clock.real()).real_time, true);
      assert.deepEqual(await admin.callbacks({ orgId }), []);
      assert.deepEqual(await admin.inbox.get('nothing'), []);
      assert.match(admin.inbox.url('t1'), /\/_bulkwrite\/inbox\/t1$/);
      await assert.rejects(admin.release('1234'), (e: unknown) => e instanceof AdminApiError && e.status === 404);
      assert.deepEqual(await admin.reset({ orgId }), { reset: 'org', org_id: orgId });
      const fresh = await admin.reset();
      assert.equal(fresh.reset, 'store');
      assert.notEqual(fresh.org_id, orgId);
    } finally {
      await bw.stop();
    }
  });

  it('takes an admin key: the admin client sends it, other callers are refused', async () => {
    const { startBulkwrite } = await load();
    const bw = await startBulkwrite({ adminKey: 'k3y' });
    try {
      assert.equal((await bw.admin.health()).status, 'ok');
      assert.equal((await fetch(`${bw.apiDomain}/_bulkwrite/health`)).status, 401);
    } finally {
      await bw.stop();
    }
  });
});
