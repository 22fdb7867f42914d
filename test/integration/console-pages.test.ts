import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, seriousViolations, type TestBrowser } from '../helpers/browser.js';
import { startLeadsJob } from '../helpers/faults.js';
import { waitForJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The console's pages in real Chromium against a real server on 127.0.0.1. With
 * BULKWRITE_CONSOLE_SCREENSHOTS=<folder> each page is also saved there as a PNG (docs/images/).
 */
const SHOTS = process.env.BULKWRITE_CONSOLE_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function noSeriousViolations(page: Page, what: string): Promise<void> {
  const found = await seriousViolations(page);
  assert.deepEqual(
    found.map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`),
    [],
    what,
  );
}

/** Waits until `selector` matches exactly `n` elements. */
async function untilCount(page: Page, selector: string, n: number): Promise<void> {
  for (
    const until = Date.now() + 15_000;
    (await page.locator(selector).count()) !== n;
    await page.waitForTimeout(100)
  ) {
    assert.ok(Date.now() < until, `${selector}: ${await page.locator(selector).count()} elements, not ${n}`);
  }
}

/** 40 Leads rows: every 4th has a bad email, every 10th no last name. */
const MIXED = (() => {
  let csv = 'Last_Name,Email,Company\n';
  for (let i = 1; i <= 40; i++) {
    const last = i % 10 === 0 ? '' : `Mixed-${i}`;
    const email = i % 4 === 0 ? `not-an-email-${i}` : `mixed${i}@example.com`;
    csv += `${last},${email},Acme ${i}\n`;
  }
  return csv;
})();

describe('the console pages in a browser', () => {
  let t: TestServer;
  let browser: TestBrowser;
  let dir: string;
  before(async () => {
    t = await startTestServer({ batchSize: 10 });
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-console-files-'));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists a job's skipped rows with their codes, counts each code, and filters to the skipped ones", async () => {
    const jobId = await startLeadsJob(t, MIXED);
    await waitForJob(t, jobId);
    const page = await browser.page();
    await page.goto(`${t.url}/console/#/job/${t.creds.org_id}/${jobId}`);
    await page.locator('#job-status[data-status="COMPLETED"]').waitFor();
    // Rows 4, 8, 12, …, 40 have a bad email (10 rows); rows 10, 20, 30, 40 have no last name (4 rows).
    const codes = page.locator('ul.codes li');
    await codes.first().waitFor();
    const counts = Object.fromEntries(
      await codes.evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-code'), li.textContent] as const)),
    );
    assert.match(String(counts['INVALID_DATA-Email']), /^10 × /);
    assert.match(String(counts['MANDATORY_NOT_FOUND-Last_Name']), /^4 × /);
    assert.equal(await page.locator('#rows tbody tr').count(), 40);
    await page.getByLabel('Skipped only').check();
    await page.locator('#rows tbody tr[data-status="ADDED"]').first().waitFor({ state: 'detached' });
    const skipped = await page
      .locator('#rows tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-row'),
          tr.getAttribute('data-status'),
          tr.querySelector('.errors')?.textContent,
        ]),
      );
    const expected = Array.from({ length: 40 }, (_, i) => i + 1)
      .filter((n) => n % 4 === 0 || n % 10 === 0)
      .map((n) => {
        const errors = [n % 10 === 0 ? 'MANDATORY_NOT_FOUND-Last_Name' : '', n % 4 === 0 ? 'INVALID_DATA-Email' : ''];
        return [String(n), 'SKIPPED', errors.filter(Boolean)];
      });
    assert.deepEqual(
      skipped.map(([row, status, errors]) => [row, status, String(errors).split(':').sort()]),
      expected.map(([row, status, errors]) => [row, status, (errors as string[]).sort()]),
    );
    // One code: only its rows.
    await page.getByRole('button', { name: /rows with MANDATORY_NOT_FOUND-Last_Name/ }).click();
    await page.locator('#code-filter').getByText('MANDATORY_NOT_FOUND-Last_Name').waitFor();
    await untilCount(page, '#rows tbody tr', 4);
    const rows = await page
      .locator('#rows tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-row')));
    assert.deepEqual(rows, ['10', '20', '30', '40']);
    assert.equal(
      await page.locator('#download').getAttribute('href'),
      `/_bulkwrite/console/orgs/${t.creds.org_id}/jobs/${jobId}/result`,
    );
    await shot(page, 'console-job');
    await noSeriousViolations(page, 'job page');
    await page.close();
  });

  it('imports a CSV entirely through the browser: file chooser, mapping, start, COMPLETED, records visible', async () => {
    const csvPath = join(dir, 'people.csv');
    writeFileSync(
      csvPath,
      'Last Name,Work mail,Company,Shoe size\nBrowser-1,b1@example.com,Acme,42\nBrowser-2,b2@example.com,Acme,40\nBrowser-3,b3@example.com,Initech,44\n',
    );
    const page = await browser.page();
    await page.goto(`${t.url}/console/#/import`);
    await page.locator('#imp-module option[value="Leads"]').waitFor({ state: 'attached' });
    await page.locator('#imp-file').setInputFiles(csvPath);
    await page.locator('#imp-map-3').waitFor();
    // Suggested from the module's fields; the unknown column is flagged and left out.
    assert.equal(await page.locator('#imp-map-0').inputValue(), 'Last_Name');
    assert.equal(await page.locator('#imp-map-2').inputValue(), 'Company');
    assert.equal(await page.locator('#imp-map-3').inputValue(), '');
    assert.equal(await page.locator('tr[data-unknown="true"]').count(), 2);
    await page.locator('#imp-map-1').selectOption('Email');
    await page.getByRole('button', { name: 'Add a default value' }).click();
    await page.locator('#imp-default-field-0').selectOption('Lead_Source');
    await page.locator('#imp-default-value-0').fill('Web Download');
    await shot(page, 'console-import');
    await noSeriousViolations(page, 'import page');
    await page.locator('#imp-start').click();
    await page.waitForURL(/#\/job\//);
    await page.locator('#job-status[data-status="COMPLETED"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#rows tbody tr[data-status="ADDED"]').count(), 3);

    await page.goto(`${t.url}/console/#/records`);
    await page.locator('#rec-module option[value="Leads"]').waitFor({ state: 'attached' });
    await page.locator('#rec-field').selectOption('Email');
    await page.locator('#rec-value').fill('b2@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await untilCount(page, 'table.records tbody tr', 1);
    const text = await page.locator('table.records').innerText();
    assert.match(text, /Browser-2/);
    assert.match(text, /Web Download/);
    await page.locator('#rec-value').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('table.records').getByText('Browser-3').first().waitFor();
    await shot(page, 'console-records');
    await noSeriousViolations(page, 'records page');
    await page.close();
  });

  it('makes a fresh token with chosen scopes on the Connect page, with snippets for this server', async () => {
    const page = await browser.page();
    await page.goto(`${t.url}/console/#/connect`);
    await page.getByLabel('ZohoCRM.settings.ALL').uncheck();
    await page.locator('#con-token').click();
    const token = await page.locator('#con-access-token').innerText();
    assert.match(token, /^1000\./);
    const details = await fetch(`${t.url}/crm/v2.1/settings/modules`, {
      headers: { authorization: `Zoho-oauthtoken ${token}` },
    });
    assert.equal(details.status, 401);
    assert.equal(
      ((await details.json()) as { code: string }).code,
      'OAUTH_SCOPE_MISMATCH',
      'the scopes chosen, not settings',
    );
    const jobs = await fetch(`${t.url}/crm/bulk/v2.1/write/4150868000000000001`, {
      headers: { authorization: `Zoho-oauthtoken ${token}` },
    });
    assert.equal(
      ((await jobs.json()) as { code: string }).code,
      'RESOURCE_NOT_FOUND',
      'the token works for bulk calls',
    );
    assert.match(await page.locator('#snip-curl').innerText(), new RegExp(`${t.url}/crm/bulk/v8/write/JOB_ID`));
    assert.match(await page.locator('#snip-cli').innerText(), /BULKWRITE_REFRESH_TOKEN=1000\./);
    await shot(page, 'console-connect');
    await noSeriousViolations(page, 'connect page');
    await page.close();
  });

  it('lists orgs, creates one with a schema and shows it; the jobs page passes axe in dark mode and at phone width', async () => {
    const page = await browser.page();
    await page.goto(`${t.url}/console/#/orgs`);
    await page.locator(`tr[data-org="${t.creds.org_id}"]`).waitFor();
    await page.locator('#org-name').fill('Browser Org');
    await page.locator('#org-zone').fill('Asia/Kolkata');
    await page.locator('#org-schema').fill(
      JSON.stringify({
        modules: [{ api_name: 'Trucks', fields: [{ api_name: 'Plate', data_type: 'text', unique: true }] }],
      }),
    );
    await page.getByRole('button', { name: 'Create the org' }).click();
    const created = page.locator('tr', { hasText: 'Browser Org' });
    await created.waitFor();
    await created.getByRole('button', { name: /schema/i }).click();
    await page.locator('#schema pre').getByText('Trucks').first().waitFor();
    await shot(page, 'console-orgs');
    await noSeriousViolations(page, 'orgs page');

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${t.url}/console/#/jobs`);
    await page.locator('table.jobs tbody tr').first().waitFor();
    const bg = await page
      .locator('body')
      .evaluate((b) => b.ownerDocument.defaultView!.getComputedStyle(b).backgroundColor);
    assert.equal(bg, 'rgb(21, 24, 28)', 'dark colours follow the system');
    await noSeriousViolations(page, 'jobs page, dark');
    await shot(page, 'console-jobs-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('table.jobs tbody tr').first().waitFor();
    const overflow = await page
      .locator('html')
      .evaluate((e) => e.scrollWidth - e.ownerDocument.defaultView!.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at phone width (only tables may)`);
    await noSeriousViolations(page, 'jobs page, phone');
    await shot(page, 'console-jobs-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.reload();
    await page.locator('table.jobs tbody tr').first().waitFor();
    await shot(page, 'console-jobs');
    await page.close();
  });
});

describe('the console behind BULKWRITE_ADMIN_KEY in a browser', () => {
  const KEY = 'browser-admin-key-9876543210';
  let t: TestServer;
  let browser: TestBrowser;
  before(async () => {
    t = await startTestServer({ adminKey: KEY, worker: false });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks for the key once, refuses a wrong one, then keeps the session across reloads', async () => {
    const page = await browser.page();
    await page.goto(`${t.url}/console/`);
    await page.locator('#admin-key').waitFor();
    await noSeriousViolations(page, 'sign-in page');
    await shot(page, 'console-sign-in');
    await page.locator('#admin-key').fill('not the key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That is not the admin key.').waitFor();
    await page.locator('#admin-key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const cookies = await browser.context.cookies(t.url);
    const session = cookies.find((c) => c.name === 'bw_session');
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.ok(!session.value.includes(KEY));
    await page.reload();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    assert.equal(await page.locator('#admin-key').count(), 0);
    await page.close();
  });
});

/** An address of this machine that is not loopback, if it has one. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('the console without a key, reached off loopback', () => {
  const address = outsideAddress();
  let t: TestServer;
  let browser: TestBrowser;
  before(async () => {
    if (!address) return;
    t = await startTestServer({ host: '0.0.0.0', worker: false });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it(
    'is refused with ADMIN_LOOPBACK_ONLY',
    { skip: address ? false : 'this machine has no address but loopback' },
    async () => {
      const page = await browser.page();
      const port = new URL(t.url).port;
      const res = await page.goto(`http://${address}:${port}/console/`);
      assert.equal(res?.status(), 403);
      assert.match(await page.locator('body').innerText(), /ADMIN_LOOPBACK_ONLY/);
      const home = await page.goto(`http://${address}:${port}/`);
      // `/` itself is Zoho's surface: a browser is sent to the console, which refuses it.
      assert.equal(home?.status(), 403);
      await page.close();
    },
  );
});
