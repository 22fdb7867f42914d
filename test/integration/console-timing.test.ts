import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { call } from '../helpers/api.js';
import { addFault, clearFaults, leadsCsv, startLeadsJob } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface ConsoleJob {
  job: {
    status: string;
    created_time: number;
    started_time: number | null;
    finished_time: number | null;
    counts: { processed: number };
  };
}

/**
 * A job's timing on the console: the start is when a worker first took the job (stored, on the emulator
 * clock), so a job that waited in the queue shows its rows per second from the start, not from its creation.
 */
describe('the console shows when a job started and its rows per second from then', () => {
  let t: TestServer;
  let browser: TestBrowser;
  before(async () => {
    t = await startTestServer({ batchSize: 25 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const consoleJob = async (jobId: string) => {
    const res = await call<ConsoleJob>(`${t.url}/_bulkwrite/console/orgs/${t.creds.org_id}/jobs/${jobId}`);
    assert.equal(res.status, 200, res.text);
    return res.body.job;
  };

  it('a job held in the queue for two hours of the clock starts when it is let go', async () => {
    await addFault(t.url, { job: { hold: true } });
    const jobId = await startLeadsJob(t, leadsCsv(200, 'Timing'));
    const page = await browser.page();
    await page.goto(`${t.url}/console/#/job/${t.creds.org_id}/${jobId}`);
    await page.locator('#job-status[data-status="ADDED"]').waitFor();
    await page.locator('dd', { hasText: 'waiting for a worker' }).waitFor();
    const queued = await consoleJob(jobId);
    assert.equal(queued.started_time, null);

    // Two hours pass on the emulator clock while the job is held; then it is let go and runs.
    const clock = await call(`${t.url}/_bulkwrite/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_ms: 2 * 3_600_000 }),
    });
    assert.equal(clock.status, 200, clock.text);
    // The worker thread reads the moved clock again before each claim, at least every poll (50 ms here):
    // let it poll a few times first, or a claim right after a read that began before the move could
    // stamp the start with the old clock (docs/admin-api.md, "The clock").
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await clearFaults(t.url)).status, 200);
    await page.locator('#job-status[data-status="COMPLETED"]').waitFor({ timeout: 30_000 });

    const done = await consoleJob(jobId);
    assert.equal(done.counts.processed, 200);
    assert.ok(done.started_time !== null && done.finished_time !== null);
    assert.ok(done.started_time - done.created_time >= 2 * 3_600_000, 'started after the two hours in the queue');
    assert.ok(done.finished_time > done.started_time, '8 chunks take more than a millisecond');
    const expected = Math.round((200 * 1000) / (done.finished_time - done.started_time));
    const fromCreation = Math.round((200 * 1000) / (done.finished_time - done.created_time));
    assert.equal(fromCreation, 0, 'from its creation the rate would round to nothing');
    // The page's rate runs from the start; "Started" is shown as a time, not "waiting".
    const rate = page.locator('#rows-per-second');
    await rate.waitFor();
    assert.equal(Number(await rate.getAttribute('data-rate')), expected);
    const started = page.locator('dt', { hasText: /^Started$/ }).locator('xpath=following-sibling::dd[1]');
    assert.doesNotMatch(String(await started.textContent()), /waiting|not recorded/);
    assert.match(String(await started.textContent()), /\d/);
    await page.close();
    await call(`${t.url}/_bulkwrite/clock`, { method: 'DELETE' });
  });
});
