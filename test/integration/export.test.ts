// Export over a real server and SQLite store: records written by a bulk write job are exported with the
// client's exportRecords() (to a file and to a stream) and with the `bulkwrite export` CLI process, and
// every record is compared with what was written (and with an in-test filter for --where / criteria).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { createClient, ZohoApiError, type BulkWriteClient, type ExportEvent } from '../../src/client/index.js';
import { auth, call, runJob } from '../helpers/api.js';
import { cli, clientEnv } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Lead {
  Last_Name: string;
  Company: string;
  Email: string;
  Annual_Revenue: string;
  Description: string;
}

const N = 240;
const SOURCES = ['Web Download', 'Cold Call', ''];
const leads: Array<Lead & { Lead_Source: string }> = Array.from({ length: N }, (_, i) => ({
  Last_Name: `Name ${i}, "the ${i % 7 === 0 ? 'quoted' : 'plain'}"`,
  Company: `Co ${i % 13}`,
  Email: `lead${i}@export.test`,
  Annual_Revenue: i % 5 === 0 ? '' : String(i * 1000 + 0.5),
  Description: i % 3 === 0 ? `line one of ${i}\nline two, with a comma` : '',
  Lead_Source: SOURCES[i % 3]!,
}));

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const FIELDS = ['Last_Name', 'Company', 'Email', 'Annual_Revenue', 'Description', 'Lead_Source'] as const;

function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  assert.deepEqual(parsed.errors, []);
  return { header: parsed.meta.fields ?? [], rows: parsed.data };
}

/** Every exported row is the lead written with its Email, field by field; and no lead is missing. */
function assertSameRecords(rows: Record<string, string>[], expected: typeof leads, ids: Map<string, string>): void {
  assert.equal(rows.length, expected.length);
  const byEmail = new Map(rows.map((r) => [r.Email, r]));
  assert.equal(byEmail.size, rows.length, 'each record once');
  for (const lead of expected) {
    const row = byEmail.get(lead.Email);
    assert.ok(row, `${lead.Email} exported`);
    assert.equal(row.Id, ids.get(lead.Email));
    for (const f of FIELDS) {
      const want = f === 'Annual_Revenue' && lead[f] !== '' ? String(Number(lead[f])) : lead[f];
      assert.equal(row[f], want, `${lead.Email} ${f}`);
    }
  }
  const inOrder = rows.map((r) => BigInt(r.Id!));
  assert.deepEqual(
    inOrder,
    [...inOrder].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'in id order',
  );
}

describe('export: bulk read through the client and the CLI', () => {
  let t: TestServer;
  let client: BulkWriteClient;
  let dir: string;
  let env: Record<string, string>;
  const ids = new Map<string, string>();

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-export-'));
    const csv = [FIELDS.join(','), ...leads.map((l) => FIELDS.map((f) => csvCell(l[f])).join(','))].join('\n');
    const written = await runJob(t, csv, { module: { api_name: 'Leads' } });
    assert.equal(written.details.status, 'COMPLETED');
    for (let page = 1; ; page++) {
      const res = await call<{ data: Array<{ id: string; Email: string }>; info: { more_records: boolean } }>(
        `${t.url}/crm/v2.1/Leads?per_page=200&page=${page}&fields=Email`,
        { headers: auth(t.creds.access_token) },
      );
      for (const r of res.body.data) ids.set(r.Email, r.id);
      if (!res.body.info.more_records) break;
    }
    assert.equal(ids.size, N);
    client = createClient({ apiDomain: t.url, credentials: t.creds.access_token });
    env = clientEnv(t, dir);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('client: exports every record to a file, header once, with page events; one page ends at more_records=false', async () => {
    const path = join(dir, 'client.csv');
    const events: ExportEvent[] = [];
    const outcome = await client.exportRecords(path, {
      module: 'Leads',
      fields: [...FIELDS],
      intervalMs: 20,
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(outcome.header, ['Id', ...FIELDS]);
    assert.equal(outcome.records, N);
    assert.equal(outcome.pages, 1);
    assert.equal(outcome.moreRecords, false);
    assert.equal(outcome.jobIds.length, 1);
    assert.deepEqual(
      events.filter((e) => e.type !== 'progress'),
      [
        { type: 'created', page: 1, jobId: outcome.jobIds[0] },
        { type: 'page', page: 1, jobId: outcome.jobIds[0], count: N, moreRecords: false, records: N },
      ],
    );
    assert.ok(events.some((e) => e.type === 'progress' && e.state === 'COMPLETED'));
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split('\n').filter((l) => l.startsWith('Id,')).length, 1, 'one header line');
    const { header, rows } = parseCsv(text);
    assert.deepEqual(header, ['Id', ...FIELDS]);
    assertSameRecords(rows, leads, ids);
    assert.ok(!existsSync(`${path}.partial`));
  });

  it('client: streams a criteria export into a Writable, matching an in-test filter', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const outcome = await client.exportRecords(sink, {
      module: 'Leads',
      fields: [...FIELDS],
      criteria: {
        group_operator: 'and',
        group: [
          { api_name: 'Lead_Source', comparator: 'equal', value: 'Web Download' },
          { api_name: 'Annual_Revenue', comparator: 'greater_than', value: '100000' },
        ],
      },
      intervalMs: 20,
    });
    const expected = leads.filter(
      (l) => l.Lead_Source === 'Web Download' && l.Annual_Revenue !== '' && Number(l.Annual_Revenue) > 100000,
    );
    assert.ok(expected.length > 10 && expected.length < N);
    assert.equal(outcome.records, expected.length);
    assertSameRecords(parseCsv(Buffer.concat(chunks).toString('utf8')).rows, expected, ids);
  });

  it('client: an aborted export stops, and leaves no file behind', async () => {
    const path = join(dir, 'aborted.csv');
    const controller = new AbortController();
    const outcome = client.exportRecords(path, {
      module: 'Leads',
      intervalMs: 20,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'created') controller.abort(new Error('stop'));
      },
    });
    await assert.rejects(outcome, /stop/);
    assert.ok(!existsSync(path) && !existsSync(`${path}.partial`));
  });

  it("client: a refused criteria is a ZohoApiError with Zoho's code", async () => {
    await assert.rejects(
      client.exportRecords(new PassThrough(), {
        module: 'Leads',
        criteria: { api_name: 'Annual_Revenue', comparator: 'starts_with', value: '1' },
      }),
      (e: unknown) => e instanceof ZohoApiError && e.code === 'FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED',
    );
  });

  it('CLI: exports every record with progress on stderr and exits 0', async () => {
    const r = await cli(['export', 'Leads', '--fields', FIELDS.join(','), '--out', 'all.csv'], env, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /page 1: read job \d+/);
    assert.match(r.stderr, new RegExp(`page 1: ${N} records \\(${N} in all\\)`));
    assert.match(r.stdout, new RegExp(`exported ${N} Leads records in 1 page to all\\.csv`));
    const { header, rows } = parseCsv(readFileSync(join(dir, 'all.csv'), 'utf8'));
    assert.deepEqual(header, ['Id', ...FIELDS]);
    assertSameRecords(rows, leads, ids);
  });

  it('CLI: --where (repeated, and-ed) and --json', async () => {
    const r = await cli(
      [
        'export',
        'Leads',
        '--fields',
        FIELDS.join(','),
        '--where',
        'Lead_Source:equal:Cold Call',
        '--where',
        'Company:in:Co 1,Co 2,Co 3',
        '--out',
        'cold.csv',
        '--json',
      ],
      env,
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const expected = leads.filter((l) => l.Lead_Source === 'Cold Call' && ['Co 1', 'Co 2', 'Co 3'].includes(l.Company));
    assert.ok(expected.length > 0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(summary.records, expected.length);
    assert.equal(summary.pages, 1);
    assert.equal(summary.more_records, false);
    assert.deepEqual(summary.header, ['Id', ...FIELDS]);
    assert.equal(r.stderr, '');
    assertSameRecords(parseCsv(readFileSync(join(dir, 'cold.csv'), 'utf8')).rows, expected, ids);
  });

  it('CLI: a bad --where is a clear error, and no file is written', async () => {
    const before = readdirSync(dir).sort();
    const usage = await cli(['export', 'Leads', '--where', 'Last_Name:like:x', '--out', 'bad.csv'], env, dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown comparator "like"/);
    const shape = await cli(['export', 'Leads', '--where', 'Last_Name=Smith', '--out', 'bad.csv'], env, dir);
    assert.equal(shape.code, 2);
    assert.match(shape.stderr, /--where takes 'Field:comparator:value'/);
    const field = await cli(['export', 'Leads', '--where', 'No_Such_Field:equal:x', '--out', 'bad.csv'], env, dir);
    assert.equal(field.code, 5, field.stderr);
    assert.match(field.stderr, /FIELD_IN_CRITERIA_NOT_SUPPORTED/);
    const cmp = await cli(['export', 'Leads', '--where', 'Annual_Revenue:contains:1', '--out', 'bad.csv'], env, dir);
    assert.equal(cmp.code, 5, cmp.stderr);
    assert.match(cmp.stderr, /FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED/);
    const module = await cli(['export', 'Nope', '--out', 'bad.csv'], env, dir);
    assert.equal(module.code, 5, module.stderr);
    assert.deepEqual(readdirSync(dir).sort(), before);
  });
});
