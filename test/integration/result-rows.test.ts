import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { auth, downloadResult, runJob, unzipEntries } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 16 item 5: a row with more or fewer cells than the header. Zoho's download-result page gives
 * the result's columns (the upload's first three mapped columns, then STATUS, RECORD_ID, ERRORS); every line of the result
 * has exactly those, so nothing lands under another column's name. Extra cells are left out of the
 * result (no mapping can name them: an index past the header is COLUMN_INDEX_NOT_FOUND); missing
 * cells are empty.
 */
describe('rows longer or shorter than the header', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  it('keeps STATUS, RECORD_ID and ERRORS under their names whatever a row’s length', async () => {
    const csv = 'Last_Name,Company\nLong,Acme,extra 1,extra 2\nShort\nExact,Globex\n,Empty,x\n';
    const { details } = await runJob(t, csv, {
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Company', index: 1 },
      ],
    });
    const url = (details.result as { download_url: string }).download_url;
    const res = await fetch(url, { headers: auth(t.creds.access_token) });
    const [, bytes] = [...(await unzipEntries(Buffer.from(await res.arrayBuffer())))][0]!;
    const lines = Papa.parse<string[]>(bytes.toString('utf8'), { skipEmptyLines: true }).data;
    assert.deepEqual(lines[0], ['Last_Name', 'Company', 'STATUS', 'RECORD_ID', 'ERRORS']);
    for (const line of lines) assert.equal(line.length, 5, JSON.stringify(line));
    const rows = lines.slice(1);
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2], r[4]]),
      [
        ['Long', 'Acme', 'ADDED', ''],
        ['Short', '', 'ADDED', ''],
        ['Exact', 'Globex', 'ADDED', ''],
        ['', 'Empty', 'SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
      ],
    );
    for (const r of rows.slice(0, 3)) assert.match(r[3]!, /^\d{19}$/);
    const stored = await t.server.storage.records.get(t.creds.org_id, 'Leads', rows[0]![3]!);
    assert.deepEqual([stored?.data.Last_Name, stored?.data.Company], ['Long', 'Acme']);
  });
});

const ZOHO_RESULT_PAGE =
  'zoho.com/crm/developer/docs/api/v8/bulk-write/download-result.html (and v2, v2.1, v7): "the first three mapped columns from the uploaded file", then STATUS, RECORD_ID, ERRORS';

/**
 * Issue 16 item 14: the result CSV in Zoho's shape by default; every input column only with
 * BULKWRITE_RESULT_COLUMNS=all. Each case: the upload, its mappings (none: auto-mapped from the
 * header), the result header expected, each row's echoed cells, and the source.
 */
const SHAPES: Array<{
  name: string;
  csv: string;
  mappings: Array<{ api_name: string; index: number }> | null;
  header: string[];
  echoed: string[][];
  source: string;
}> = [
  {
    name: 'five auto-mapped columns: the first three',
    csv: 'Last_Name,First_Name,Email,Company,Lead_Source\nLee,Ann,ann@shape.example,Acme,Web\n',
    mappings: null,
    header: ['Last_Name', 'First_Name', 'Email'],
    echoed: [['Lee', 'Ann', 'ann@shape.example']],
    source: ZOHO_RESULT_PAGE,
  },
  {
    name: 'a column no mapping reads is not echoed; mapped columns in the file’s order, not the mapping’s',
    csv: 'Note,Company,Last_Name,Skip,Email,Phone\nn1,Globex,Kay,s1,kay@shape.example,555\n',
    mappings: [
      { api_name: 'Email', index: 4 },
      { api_name: 'Last_Name', index: 2 },
      { api_name: 'Phone', index: 5 },
      { api_name: 'Company', index: 1 },
    ],
    header: ['Company', 'Last_Name', 'Email'],
    echoed: [['Globex', 'Kay', 'kay@shape.example']],
    source: `${ZOHO_RESULT_PAGE} ("mapped columns": bulkwrite reads them in the upload's order)`,
  },
  {
    name: 'fewer than three mapped columns: those there are',
    csv: 'Extra,Last_Name\nx,Solo\n',
    mappings: [{ api_name: 'Last_Name', index: 1 }],
    header: ['Last_Name'],
    echoed: [['Solo']],
    source: ZOHO_RESULT_PAGE,
  },
];

describe('the result CSV’s columns (Zoho’s shape by default, every column as an opt-in)', () => {
  let zoho: TestServer;
  let all: TestServer;
  before(async () => {
    zoho = await startTestServer();
    all = await startTestServer({ resultColumns: 'all' });
  });
  after(async () => {
    await zoho.close();
    await all.close();
  });

  for (const c of SHAPES) {
    it(`${c.name} (source: ${c.source})`, async () => {
      const resource = c.mappings ? { field_mappings: c.mappings } : {};
      const res = await downloadResult(zoho, (await runJob(zoho, c.csv, resource)).details);
      assert.deepEqual(res.header, [...c.header, 'STATUS', 'RECORD_ID', 'ERRORS']);
      assert.deepEqual(
        res.rows.map((r) => c.header.map((h) => r[h])),
        c.echoed,
      );
      for (const r of res.rows)
        assert.deepEqual([r.STATUS, /^\d{19}$/.test(r.RECORD_ID!), r.ERRORS], ['ADDED', true, '']);

      // BULKWRITE_RESULT_COLUMNS=all: every column of the upload, as before.
      const full = await downloadResult(all, (await runJob(all, c.csv, resource)).details);
      const uploadHeader = c.csv.split('\n')[0]!.split(',');
      assert.deepEqual(full.header, [...uploadHeader, 'STATUS', 'RECORD_ID', 'ERRORS']);
      assert.deepEqual(
        full.rows.map((r) => uploadHeader.map((h) => r[h])),
        c.csv
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split(',')),
      );
    });
  }
});
