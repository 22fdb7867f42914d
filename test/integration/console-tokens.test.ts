import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { call, refreshGrant } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The console's Zoho token: one per browser session and org, shared by every tab, and an access token
 * alone, so that opening many tabs (or many sessions) never revokes a refresh token the user holds
 * (Zoho keeps 20 refresh tokens per user and client and revokes the oldest).
 */
describe("the console's Zoho token", () => {
  let t: TestServer;
  let browser: TestBrowser;
  before(async () => {
    t = await startTestServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A browser session: the CSRF cookie and token GET session hands a new browser. */
  const newSession = async () => {
    const s = await call<{ csrf_token: string }>(`${t.url}/_bulkwrite/console/session`);
    const cookie = String(s.headers.get('set-cookie')).split(';')[0]!;
    return { cookie, csrf: s.body.csrf_token };
  };
  const consoleToken = async (s: { cookie: string; csrf: string }) => {
    const res = await call<{ access_token: string; expires_in: number; scopes: string[] }>(
      `${t.url}/_bulkwrite/console/orgs/${t.creds.org_id}/token`,
      { method: 'POST', headers: { cookie: s.cookie, 'x-bulkwrite-csrf': s.csrf, origin: t.url } },
    );
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const leads = (token: string) =>
    call(`${t.url}/crm/v2.1/Leads?per_page=1`, { headers: { authorization: `Zoho-oauthtoken ${token}` } });

  it('gives every tab of a session one token, and 25 sessions 25 tokens, revoking none of the user’s', async () => {
    // 25 sessions of 4 tabs each, all asking at once: more than Zoho's 20 refresh tokens per user.
    const sessions = await Promise.all(Array.from({ length: 25 }, newSession));
    const answers = await Promise.all(sessions.map((s) => Promise.all([1, 2, 3, 4].map(() => consoleToken(s)))));
    for (const tabs of answers) assert.equal(new Set(tabs.map((a) => a.access_token)).size, 1, 'one token per session');
    const tokens = answers.map((tabs) => tabs[0]!.access_token);
    assert.equal(new Set(tokens).size, 25);
    assert.ok(answers[0]![0]!.expires_in > 0);
    assert.ok(answers[0]![0]!.scopes.includes('ZohoCRM.bulk.ALL'));
    for (const token of tokens) assert.equal((await leads(token)).status, 204, 'each token works');
    // The user's own refresh token (the oldest of the org's user) still refreshes, and its token works.
    const refreshed = await refreshGrant(t);
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(typeof refreshed.body.access_token, 'string', refreshed.text);
    assert.equal((await leads(t.creds.access_token)).status, 204);
    // Asked again, a session gets the same token back; signing out revokes it.
    assert.equal((await consoleToken(sessions[3]!)).access_token, tokens[3]);
    const out = await call(`${t.url}/_bulkwrite/console/session`, {
      method: 'DELETE',
      headers: { cookie: sessions[3]!.cookie, 'x-bulkwrite-csrf': sessions[3]!.csrf, origin: t.url },
    });
    assert.equal(out.status, 200, out.text);
    assert.equal((await leads(tokens[3]!)).status, 401);
    assert.equal((await leads(tokens[4]!)).status, 204, "another session's token is untouched");
    // No CSRF token, no console token.
    const refused = await call(`${t.url}/_bulkwrite/console/orgs/${t.creds.org_id}/token`, {
      method: 'POST',
      headers: { cookie: sessions[5]!.cookie, origin: t.url },
    });
    assert.equal(refused.status, 403);
  });

  it('22 tabs of the records page in one browser use one token, and the user’s refresh token still works', async () => {
    const seen = new Set<string>();
    browser.context.on('request', (req) => {
      const auth = req.headers().authorization;
      if (auth !== undefined && req.url().includes('/crm/')) seen.add(auth);
    });
    // Opened four at a time (this machine is shared), every tab kept open.
    const pages = [];
    for (let i = 0; i < 22; i += 4) {
      const group = await Promise.all(Array.from({ length: Math.min(4, 22 - i) }, () => browser.page()));
      await Promise.all(
        group.map(async (p) => {
          await p.goto(`${t.url}/console/#/records`, { timeout: 60_000 });
          await p
            .getByText('Page 1', { exact: true })
            .waitFor({ timeout: 60_000 })
            .catch(async (e: unknown) => {
              throw new Error(`${String(e)}\n${await p.locator('main').innerText()}`);
            });
        }),
      );
      pages.push(...group);
    }
    assert.equal(seen.size, 1, `tabs used ${seen.size} tokens`);
    const refreshed = await refreshGrant(t);
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.equal(typeof refreshed.body.access_token, 'string', refreshed.text);
    await Promise.all(pages.map((p) => p.close()));
  });

  it('a tab whose CSRF token another tab replaced takes the new one and goes on', async () => {
    const p = await browser.page();
    await p.goto(`${t.url}/console/#/orgs`, { timeout: 60_000 });
    await p.getByRole('heading', { name: 'Orgs', exact: true }).waitFor({ timeout: 60_000 });
    // What a tab opened at the same moment leaves behind: the browser now holds another CSRF cookie.
    await browser.context.addCookies([{ name: 'bw_csrf', value: 'A'.repeat(43), url: t.url }]);
    await p.evaluate("window.location.hash = '#/records'");
    await p
      .getByText('Page 1', { exact: true })
      .waitFor({ timeout: 60_000 })
      .catch(async (e: unknown) => {
        throw new Error(`${String(e)}\n${await p.locator('main').innerText()}`);
      });
    await p.close();
  });
});
