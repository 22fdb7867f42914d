import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, seriousViolations, type TestBrowser } from '../helpers/browser.js';
import { addFault, leadsCsv, startLeadsJob } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The console in real Chromium against a real server on 127.0.0.1. */
describe('the console in a browser', () => {
  let t: TestServer;
  let browser: TestBrowser;
  before(async () => {
    t = await startTestServer({ batchSize: 10 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a running job on the jobs page, its counts rising, then COMPLETED, without a reload', async () => {
    await addFault(t.url, { match: { org_id: t.creds.org_id }, times: 1, job: { rows_per_second: 16 } });
    const jobId = await startLeadsJob(t, leadsCsv(80, 'Live'));
    const page = await browser.page();
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${t.url}/`);
    assert.equal(new URL(page.url()).pathname, '/console/');
    const row = page.locator(`tr[data-job="${jobId}"]`);
    await row.waitFor();
    const seen = new Set<number>();
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const status = await row.getAttribute('data-status');
      const done = Number((await row.locator('[data-count="processed"]').innerText()).replace(/\D/g, ''));
      seen.add(done);
      if (status === 'COMPLETED') break;
      await page.waitForTimeout(200);
    }
    assert.equal(await row.getAttribute('data-status'), 'COMPLETED');
    assert.equal(await row.locator('[data-count="processed"]').innerText(), '80');
    const between = [...seen].filter((n) => n > 0 && n < 80);
    assert.ok(between.length >= 2, `counts seen while running: ${[...seen].join(', ')}`);
    assert.equal(loads, 1, 'the page was never reloaded');
    assert.deepEqual(await seriousViolations(page), []);
    await page.close();
  });
});
