// Bulk read over many pages, on SQLite and on PostgreSQL: a server with a small read page size
// (BULKWRITE_READ_PAGE_SIZE) serves what a bulk write job wrote as page 1, 2, 3 … of read jobs, and the
// raw wire, the client's exportRecords(), the `bulkwrite export` CLI and the official v8 SDK each read
// every record exactly once across the pages, with and without criteria, with more_records, count and
// per_page right on every page.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { createClient, type ExportEvent } from '../../src/client/index.js';
import { auth, call, runJob } from '../helpers/api.js';
import { createReadJob, downloadReadResult, getReadJob, runReadJob } from '../helpers/bulk-read.js';
import { cli, clientEnv } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { initSdk80, sdk80Condition, sdk80Query, sdk80ReadPage } from '../helpers/sdk80.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PER_PAGE = 7;
const N = 40; // 5 full pages and one of 5
const ROWS = Array.from({ length: N }, (_, i) => ({
  Last_Name: `Lead ${String(i).padStart(2, '0')}`,
  Email: `page${i}@pages.test`,
  Company: i % 3 === 0 ? 'Initech' : `Company ${i % 4}`,
  No_of_Employees: String(i),
}));
const FIELDS = ['Last_Name', 'Email', 'Company', 'No_of_Employees'];
const CSV = ['Last_Name,Email,Company,No_of_Employees', ...ROWS.map((r) => Object.values(r).join(','))].join('\n');
/** 14 matches: exactly two full pages, so the second says more_records false with a full count. */
const INITECH = { api_name: 'Company', comparator: 'equal' as const, value: 'Initech' };
const initech = ROWS.filter((r) => r.Company === 'Initech');
/** 19 matches: pages of 7, 7 and 5. */
const FEW = { api_name: 'No_of_Employees', comparator: 'less_than' as const, value: 19 };
const few = ROWS.filter((r) => Number(r.No_of_Employees) < 19);

/** The pages a set of matches splits into: the count of each, more_records on all but the last. */
function expectedPages(matches: number): Array<{ count: number; more: boolean }> {
  const pages = Math.max(1, Math.ceil(matches / PER_PAGE));
  return Array.from({ length: pages }, (_, i) => ({
    count: Math.min(PER_PAGE, matches - i * PER_PAGE),
    more: i < pages - 1,
  }));
}

/** Rows read across pages are the expected records, each once, in id order, with the ids stored. */
function assertExactlyOnce(rows: Record<string, string>[], expected: typeof ROWS, ids: Map<string, string>): void {
  const got = rows.map((r) => r.Id!);
  assert.equal(new Set(got).size, got.length, 'no record twice');
  assert.deepEqual(
    got,
    [...got].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)),
    'in id order across pages',
  );
  assert.deepEqual(
    rows.map((r) => ({
      Id: r.Id,
      Last_Name: r.Last_Name,
      Email: r.Email,
      Company: r.Company,
      No_of_Employees: r.No_of_Employees,
    })),
    expected.map((r) => ({ Id: ids.get(r.Email), ...r })),
  );
}

function parseCsv(text: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  assert.deepEqual(parsed.errors, []);
  return parsed.data;
}

for (const store of ['SQLite', 'PostgreSQL'] as const) {
  describe(`bulk read over many pages (${store}, ${PER_PAGE} records a page)`, () => {
    let t: TestServer;
    let db: TestDatabase | null = null;
    let dir: string;
    const ids = new Map<string, string>();

    before(async () => {
      if (store === 'PostgreSQL') db = await createTestDatabase('bulkwrite_read_pages');
      t = await startTestServer({ readPageSize: PER_PAGE, ...(db ? { databaseUrl: db.url } : {}) });
      dir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-pages-'));
      const written = await runJob(t, CSV, { module: { api_name: 'Leads' } });
      assert.equal(written.details.status, 'COMPLETED');
      const res = await call<{ data: Array<{ id: string; Email: string }> }>(
        `${t.url}/crm/v2.1/Leads?per_page=200&fields=Email`,
        { headers: auth(t.creds.access_token) },
      );
      for (const r of res.body.data) ids.set(r.Email, r.id);
      assert.equal(ids.size, N);
    });
    after(async () => {
      await t.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const [name, criteria, expected] of [
      ['every record', undefined, ROWS],
      ['criteria, two full pages', INITECH, initech],
      ['criteria, pages of 7, 7 and 5', FEW, few],
    ] as const) {
      it(`the wire: page 1, 2 … until more_records is false (${name})`, async () => {
        const rows: Record<string, string>[] = [];
        const pages = expectedPages(expected.length);
        for (let page = 1; page <= pages.length; page++) {
          const query = {
            module: { api_name: 'Leads' },
            fields: FIELDS,
            ...(criteria ? { criteria } : {}),
            page,
          };
          const read = await runReadJob(t, { query });
          assert.deepEqual(
            read.details.result,
            {
              page,
              count: pages[page - 1]!.count,
              download_url: `/crm/bulk/v2.1/read/${read.id}/result`,
              per_page: PER_PAGE,
              more_records: pages[page - 1]!.more,
            },
            `page ${page}`,
          );
          assert.equal(read.rows.length, pages[page - 1]!.count);
          rows.push(...read.rows);
        }
        assertExactlyOnce(rows, expected, ids);
        // The page after the last holds nothing and says so.
        const past = await runReadJob(t, {
          query: { module: { api_name: 'Leads' }, ...(criteria ? { criteria } : {}), page: pages.length + 1 },
        });
        assert.deepEqual(
          [past.details.result!.count, past.details.result!.more_records, past.rows.length],
          [0, false, 0],
        );
      });
    }

    it('v7+: result.next_page_token, sent back as query.page_token, reads the next page until more_records is false', async () => {
      for (const [criteria, expected] of [
        [undefined, ROWS],
        [FEW, few],
      ] as const) {
        const rows: Record<string, string>[] = [];
        const pages = expectedPages(expected.length);
        let token: string | undefined;
        for (let page = 1; ; page++) {
          const query = {
            module: { api_name: 'Leads' },
            fields: FIELDS,
            ...(criteria ? { criteria } : {}),
            ...(token ? { page_token: token } : {}),
          };
          const read = await runReadJob(t, { query }, { version: page % 2 ? 'v7' : 'v8' });
          const result = read.details.result!;
          assert.deepEqual(
            [result.page, result.count, result.per_page, result.more_records],
            [page, pages[page - 1]!.count, PER_PAGE, pages[page - 1]!.more],
            `page ${page}`,
          );
          const echoed = read.details.query as { page: number; page_token?: string };
          assert.deepEqual([echoed.page, echoed.page_token], [page, token]);
          rows.push(...read.rows);
          if (!result.more_records) {
            assert.equal(result.next_page_token, null);
            break;
          }
          assert.match(result.next_page_token!, /^[A-Za-z0-9_-]{20,}$/);
          token = result.next_page_token!;
          assert.ok(page < 10, 'more_records never became false');
        }
        assertExactlyOnce(rows, expected, ids);
      }
      // Before v7 there is no token, and the key is not read.
      const v6 = await runReadJob(t, { query: { module: { api_name: 'Leads' }, page_token: 'x' } }, { version: 'v6' });
      assert.deepEqual([v6.details.result!.page, 'next_page_token' in v6.details.result!], [1, false]);
    });

    it('v7+: a page_token that is not a read job’s, or a page that disagrees with it, is refused', async () => {
      const first = await runReadJob(t, { query: { module: { api_name: 'Leads' } } }, { version: 'v8' });
      const token = first.details.result!.next_page_token!;
      const list = await call<{ info: { next_page_token: string } }>(`${t.url}/crm/v8/Leads?per_page=5&fields=Email`, {
        headers: auth(t.creds.access_token),
      });
      const before = (await t.server.storage.jobs.list(t.server.org.id, 1000)).length;
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ module: { api_name: 'Leads' }, page_token: 'not-a-token' }, 'INVALID_REQUEST'],
        [{ module: { api_name: 'Leads' }, page_token: list.body.info.next_page_token }, 'INVALID_REQUEST'],
        [{ module: { api_name: 'Contacts' }, page_token: token }, 'INVALID_REQUEST'],
        [{ module: { api_name: 'Leads' }, page_token: token, page: 3 }, 'INVALID_REQUEST'],
        [{ module: { api_name: 'Leads' }, page_token: 7 }, 'QUERY_NOT_SUPPORTED'],
      ];
      for (const [query, code] of cases) {
        const res = await createReadJob(t, { query }, { version: 'v8' });
        assert.equal(res.status, 400, `${JSON.stringify(query)}: ${res.text}`);
        const data =
          (res.body.data as Array<{ code: string; details: { api_name: string } }> | undefined)?.[0] ?? res.body;
        assert.equal((data as { code: string }).code, code, `${JSON.stringify(query)}: ${res.text}`);
      }
      assert.equal((await t.server.storage.jobs.list(t.server.org.id, 1000)).length, before, 'nothing queued');
      // The page the token reads, given beside it, is taken.
      const second = await runReadJob(
        t,
        { query: { module: { api_name: 'Leads' }, page_token: token, page: 2 } },
        { version: 'v8' },
      );
      assert.deepEqual(
        second.rows.map((r) => r.Id),
        ROWS.slice(PER_PAGE, 2 * PER_PAGE).map((r) => ids.get(r.Email)),
      );
    });

    it('a job keeps the page size it was created with; the setting applies to jobs created after it', async () => {
      const seven = await runReadJob(t, { query: { module: { api_name: 'Leads' }, page: 2 } }, { version: 'v8' });
      assert.deepEqual([seven.details.result!.per_page, seven.details.result!.count], [PER_PAGE, PER_PAGE]);
      t.config.readPageSize = 3;
      try {
        const three = await runReadJob(t, { query: { module: { api_name: 'Leads' }, page: 2 } }, { version: 'v8' });
        assert.deepEqual(
          [three.details.result!.per_page, three.details.result!.count, three.details.result!.more_records],
          [3, 3, true],
        );
        assert.deepEqual(
          three.rows.map((r) => r.Id),
          ROWS.slice(3, 6).map((r) => ids.get(r.Email)),
        );
        const again = (await getReadJob(t, seven.id, { version: 'v8' })).body.data[0]!;
        assert.deepEqual([again.result!.per_page, again.result!.count], [PER_PAGE, PER_PAGE]);
        assert.deepEqual(
          (await downloadReadResult(t, again)).rows.map((r) => r.Id),
          ROWS.slice(PER_PAGE, 2 * PER_PAGE).map((r) => ids.get(r.Email)),
        );
      } finally {
        t.config.readPageSize = PER_PAGE;
      }
    });

    it('client: exportRecords() follows more_records over every page, with and without criteria', async () => {
      const client = createClient({ apiDomain: t.url, credentials: t.creds.access_token });
      for (const [criteria, expected] of [
        [undefined, ROWS],
        [FEW, few],
        [INITECH, initech],
      ] as const) {
        const sink = new PassThrough();
        const chunks: Buffer[] = [];
        sink.on('data', (c: Buffer) => chunks.push(c));
        const listening = ['error', 'close', 'finish', 'drain', 'unpipe'].map((e) => sink.listenerCount(e));
        const events: ExportEvent[] = [];
        const outcome = await client.exportRecords(sink, {
          module: 'Leads',
          fields: FIELDS,
          ...(criteria ? { criteria } : {}),
          intervalMs: 10,
          onEvent: (e) => events.push(e),
        });
        const pages = expectedPages(expected.length);
        assert.deepEqual(
          ['error', 'close', 'finish', 'drain', 'unpipe'].map((e) => sink.listenerCount(e)),
          listening,
          'the pages leave no listeners on the stream they were written to',
        );
        assert.equal(outcome.pages, pages.length);
        assert.equal(outcome.records, expected.length);
        assert.equal(outcome.moreRecords, false);
        assert.equal(new Set(outcome.jobIds).size, pages.length);
        let records = 0;
        assert.deepEqual(
          events.filter((e) => e.type === 'page'),
          pages.map((p, i) => ({
            type: 'page',
            page: i + 1,
            jobId: outcome.jobIds[i],
            count: p.count,
            moreRecords: p.more,
            records: (records += p.count),
          })),
        );
        const text = Buffer.concat(chunks).toString('utf8');
        assert.equal(text.split('\n').filter((l) => l.startsWith('Id,')).length, 1, 'one header line');
        assertExactlyOnce(parseCsv(text), expected, ids);
      }
    });

    it('CLI: bulkwrite export writes every page to one file, with and without --where', async () => {
      const env = clientEnv(t, dir);
      const all = await cli(['export', 'Leads', '--fields', FIELDS.join(','), '--out', 'all.csv'], env, dir);
      assert.equal(all.code, 0, all.stderr);
      for (let page = 1; page <= 6; page++) assert.match(all.stderr, new RegExp(`page ${page}: read job \\d+`));
      assert.match(all.stderr, new RegExp(`page 6: 5 records \\(${N} in all\\)`));
      assert.match(all.stdout, new RegExp(`exported ${N} Leads records in 6 pages to all\\.csv`));
      assertExactlyOnce(parseCsv(readFileSync(join(dir, 'all.csv'), 'utf8')), ROWS, ids);

      const where = await cli(
        [
          'export',
          'Leads',
          '--fields',
          FIELDS.join(','),
          '--where',
          'Company:equal:Initech',
          '--out',
          'i.csv',
          '--json',
        ],
        env,
        dir,
      );
      assert.equal(where.code, 0, where.stderr);
      const summary = JSON.parse(where.stdout) as Record<string, unknown>;
      assert.deepEqual([summary.records, summary.pages, summary.more_records], [initech.length, 2, false]);
      assertExactlyOnce(parseCsv(readFileSync(join(dir, 'i.csv'), 'utf8')), initech, ids);
    });

    it('@zohocrm/typescript-sdk-8.0: creates a job with page 2, 3 … until more_records is false', async () => {
      const sdkDir = mkdtempSync(join(dir, 'sdk80-'));
      await initSdk80(t, sdkDir);
      for (const [criteria, expected] of [
        [undefined, ROWS],
        [FEW, few],
      ] as const) {
        const rows: Record<string, string>[] = [];
        const pages = expectedPages(expected.length);
        for (let page = 1; ; page++) {
          const condition = criteria && sdk80Condition(criteria.api_name, criteria.comparator, criteria.value);
          const read = await sdk80ReadPage(sdk80Query({ module: 'Leads', fields: FIELDS, criteria: condition, page }));
          const result = read.job.getResult();
          assert.equal(result.getPage(), page);
          assert.equal(result.getPerPage(), PER_PAGE);
          assert.equal(result.getCount(), pages[page - 1]!.count, `page ${page} count`);
          assert.equal(result.getMoreRecords(), pages[page - 1]!.more, `page ${page} more_records`);
          rows.push(...read.page.rows);
          if (!result.getMoreRecords()) break;
          assert.ok(page < 10, 'more_records never became false');
        }
        assert.equal(rows.length, expected.length);
        assertExactlyOnce(rows, expected, ids);
      }
      // The same pages through the SDK's page token: Query.setPageToken(Result.getNextPageToken()).
      const rows: Record<string, string>[] = [];
      let token: string | undefined;
      for (let page = 1; ; page++) {
        const read = await sdk80ReadPage(sdk80Query({ module: 'Leads', fields: FIELDS, pageToken: token }));
        const result = read.job.getResult();
        assert.deepEqual([result.getPage(), result.getCount()], [page, expectedPages(N)[page - 1]!.count]);
        rows.push(...read.page.rows);
        if (!result.getMoreRecords()) break;
        token = result.getNextPageToken();
        assert.ok(token && page < 10, 'no next_page_token while more_records');
      }
      assertExactlyOnce(rows, ROWS, ids);
    });
  });
}
