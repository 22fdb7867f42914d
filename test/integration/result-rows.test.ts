import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { auth, runJob, unzipEntries } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 16 item 5: a row with more or fewer cells than the header. Zoho's download-result page gives
 * the result's columns (the upload's columns, then STATUS, RECORD_ID, ERRORS); every line of the result
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
