import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Row = Record<string, string>;
const counts = (details: Record<string, unknown>) => {
  const f = (details.resource as Array<{ file: Record<string, number> }>)[0]!.file;
  return { added: f.added_count, updated: f.updated_count, skipped: f.skipped_count, total: f.total_count };
};
const outcome = (rows: Row[]) => rows.map((r) => [r.STATUS, r.ERRORS]);

describe('processing a bulk write job', () => {
  let t: TestServer;
  // A small batch size so every job here crosses several chunk boundaries.
  before(async () => {
    t = await startTestServer({ batchSize: 3 });
  });
  after(() => t.close());

  const record = async (module: string, id: string) =>
    (await t.server.storage.records.get(t.creds.org_id, module, id))?.data;

  it('inserts rows mapped from the header row and answers every row, in input order', async () => {
    const csv = [
      'Last_Name,First_Name,Email,Company',
      ...Array.from({ length: 8 }, (_, i) => `Last${i},First${i},auto${i}@example.com,Co ${i}`),
    ].join('\n');
    const { details } = await runJob(t, csv, {});
    assert.equal(details.status, 'COMPLETED');
    assert.deepEqual(counts(details), { added: 8, updated: 0, skipped: 0, total: 8 });
    const res = await downloadResult(t, details);
    assert.equal(res.name, 'Leads-leads.csv');
    // Zoho's download-result page: the first three mapped columns of the upload, then the three result columns.
    assert.deepEqual(res.header, ['Last_Name', 'First_Name', 'Email', 'STATUS', 'RECORD_ID', 'ERRORS']);
    assert.deepEqual(
      res.rows.map((r) => r.Last_Name),
      Array.from({ length: 8 }, (_, i) => `Last${i}`),
    );
    for (const r of res.rows) {
      assert.equal(r.STATUS, 'ADDED');
      assert.match(r.RECORD_ID!, /^\d{19}$/);
      assert.equal(r.ERRORS, '');
    }
    const stored = await record('Leads', res.rows[3]!.RECORD_ID!);
    assert.equal(stored?.Email, 'auto3@example.com');
    assert.equal(stored?.Company, 'Co 3');
    assert.equal(stored?.Owner, (await t.server.storage.orgs.get(t.creds.org_id))?.user.id);
  });

  for (const [name, delimiter] of [
    ['semicolon', ';'],
    ['colon', ':'],
    ['pipe', '|'],
  ] as const) {
    it(`detects the ${name} delimiter from the header and keeps quoted delimiters`, async () => {
      const csv = `Last_Name${delimiter}Company${delimiter}Email\n"Smith${delimiter} Jr"${delimiter}Acme${delimiter}d-${name}@example.com\n`;
      const { details } = await runJob(t, csv, {});
      assert.deepEqual(counts(details), { added: 1, updated: 0, skipped: 0, total: 1 });
      const res = await downloadResult(t, details);
      assert.equal((await record('Leads', res.rows[0]!.RECORD_ID!))?.Last_Name, `Smith${delimiter} Jr`);
    });
  }

  it('reads a UTF-8 BOM, CRLF line ends, and quoted fields holding commas, quotes and newlines', async () => {
    const csv =
      '\uFEFFLast_Name,Description,Email\r\n"O""Brien","line one\r\nline two, with comma",bom@example.com\r\nÅsa,"ünïcödé ✓",bom2@example.com\r\n';
    const { details } = await runJob(t, csv, {});
    assert.deepEqual(counts(details), { added: 2, updated: 0, skipped: 0, total: 2 });
    const res = await downloadResult(t, details);
    assert.deepEqual(res.header.slice(0, 3), ['Last_Name', 'Description', 'Email']);
    const first = await record('Leads', res.rows[0]!.RECORD_ID!);
    assert.equal(first?.Last_Name, 'O"Brien');
    assert.equal(first?.Description, 'line one\r\nline two, with comma');
    assert.equal(res.rows[0]!.Description, 'line one\r\nline two, with comma');
    assert.equal((await record('Leads', res.rows[1]!.RECORD_ID!))?.Description, 'ünïcödé ✓');
  });

  it('reads another character encoding when the job names it', async () => {
    const { uploadCsv, createJob, waitForJob } = await import('../helpers/api.js');
    const { makeZip } = await import('../helpers/zip.js');
    const { upload } = await import('../helpers/api.js');
    void uploadCsv;
    const latin1 = Buffer.from('Last_Name,Email\nJosé,latin@example.com\n', 'latin1');
    const up = await upload(t, await makeZip({ 'latin.csv': latin1 }));
    const fileId = (up.body.details as { file_id: string }).file_id;
    const res = await createJob(t, {
      operation: 'insert',
      character_encoding: 'ISO-8859-1',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    const details = await waitForJob(t, (res.body.details as { id: string }).id);
    const rows = await downloadResult(t, details);
    assert.equal((await record('Leads', rows.rows[0]!.RECORD_ID!))?.Last_Name, 'José');
  });

  it('skips rows with missing mandatory fields, bad values and duplicates, with Zoho’s ERRORS format', async () => {
    const csv = [
      'Last_Name,Email,No_of_Employees,Email_Opt_Out,Website',
      'Good,dup@example.com,10,true,www.example.com',
      ',not-an-email,ten,maybe,not a site',
      'Second,DUP@example.com,5,false,',
      'Third,third@example.com,2147483648,1,https://example.com/x',
    ].join('\n');
    const { details } = await runJob(t, csv, {});
    assert.deepEqual(counts(details), { added: 1, updated: 0, skipped: 3, total: 4 });
    const res = await downloadResult(t, details);
    assert.deepEqual(outcome(res.rows), [
      ['ADDED', ''],
      ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Email,No_of_Employees,Email_Opt_Out,Website'],
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ['SKIPPED', 'INVALID_DATA-No_of_Employees'],
    ]);
    assert.equal(res.rows[1]!.RECORD_ID, '');
    const good = await record('Leads', res.rows[0]!.RECORD_ID!);
    assert.deepEqual([good?.No_of_Employees, good?.Email_Opt_Out], [10, true]);
  });

  it('parses dates in the default format, ISO-8601, and a mapping’s Java-style format', async () => {
    const csv = 'Last_Name,Date_of_Birth,Other\nA,12/31/1990,\nB,1991-02-03,\nC,1992/13/01,\nD,02/30/1990,\n';
    const { details } = await runJob(t, csv, {
      module: { api_name: 'Contacts' },
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Date_of_Birth', index: 1 },
      ],
    });
    const res = await downloadResult(t, details);
    assert.deepEqual(outcome(res.rows), [
      ['ADDED', ''],
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-Date_of_Birth'],
      ['SKIPPED', 'INVALID_DATA-Date_of_Birth'],
    ]);
    assert.equal((await record('Contacts', res.rows[0]!.RECORD_ID!))?.Date_of_Birth, '1990-12-31');
    const custom = await runJob(t, 'Last_Name,Date_of_Birth\nE,1993/04/05\nF,04/05/1993\n', {
      module: { api_name: 'Contacts' },
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Date_of_Birth', index: 1, format: 'yyyy/MM/dd' },
      ],
    });
    const customRows = await downloadResult(t, custom.details);
    assert.deepEqual(outcome(customRows.rows), [
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-Date_of_Birth'],
    ]);
    assert.equal((await record('Contacts', customRows.rows[0]!.RECORD_ID!))?.Date_of_Birth, '1993-04-05');
  });

  it('fills empty cells and unmapped fields from default_value', async () => {
    const { details } = await runJob(t, 'Last_Name,Lead_Source\nA,\nB,Web Download\n', {
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Lead_Source', index: 1, default_value: { value: 'Trade Show' } },
        { api_name: 'Company', default_value: { value: 'Default Co' } },
      ],
    });
    const res = await downloadResult(t, details);
    const a = await record('Leads', res.rows[0]!.RECORD_ID!);
    const b = await record('Leads', res.rows[1]!.RECORD_ID!);
    assert.deepEqual([a?.Lead_Source, a?.Company], ['Trade Show', 'Default Co']);
    assert.deepEqual([b?.Lead_Source, b?.Company], ['Web Download', 'Default Co']);
    const echoed = (details.resource as Array<{ field_mappings: Array<Record<string, unknown>> }>)[0]!
      .field_mappings[2]!;
    assert.deepEqual(echoed, {
      api_name: 'Company',
      index: null,
      format: null,
      find_by: null,
      module: null,
      default_value: { value: 'Default Co' },
    });
  });

  it('updates by id, skips ids that match nothing, and honours ignore_empty both ways', async () => {
    const seed = await runJob(t, 'Last_Name,Phone,Email\nKeep,111,keep@example.com\nClear,222,clear@example.com\n', {});
    const [keep, clear] = (await downloadResult(t, seed.details)).rows.map((r) => r.RECORD_ID!);
    const kept = await runJob(
      t,
      `id,Last_Name,Phone\n${keep},Kept,\n4150868999999999999,Ghost,1\nabc,Bad,2\n`,
      {
        find_by: 'id',
        ignore_empty: true,
        field_mappings: [
          { api_name: 'id', index: 0 },
          { api_name: 'Last_Name', index: 1 },
          { api_name: 'Phone', index: 2 },
        ],
      },
      { operation: 'update' },
    );
    assert.deepEqual(counts(kept.details), { added: 0, updated: 1, skipped: 2, total: 3 });
    const keptRows = await downloadResult(t, kept.details);
    assert.deepEqual(outcome(keptRows.rows), [
      ['UPDATED', ''],
      ['SKIPPED', 'RESOURCE_NOT_FOUND-id'],
      ['SKIPPED', 'INVALID_DATA-id'],
    ]);
    assert.equal(keptRows.rows[0]!.RECORD_ID, keep);
    assert.deepEqual(
      [(await record('Leads', keep!))?.Last_Name, (await record('Leads', keep!))?.Phone],
      ['Kept', '111'],
    );

    const cleared = await runJob(
      t,
      `id,Phone\n${clear},\n`,
      {
        find_by: 'id',
        field_mappings: [
          { api_name: 'id', index: 0 },
          { api_name: 'Phone', index: 1 },
        ],
      },
      { operation: 'update', ignore_empty: false },
    );
    assert.deepEqual(counts(cleared.details), { added: 0, updated: 1, skipped: 0, total: 1 });
    const after = await record('Leads', clear!);
    assert.equal(after?.Phone, undefined);
    assert.equal(after?.Last_Name, 'Clear');
  });

  it('upserts on a unique field: updates the matches and inserts the rest', async () => {
    await runJob(t, 'Last_Name,Email\nOld1,u1@example.com\nOld2,u2@example.com\n', {});
    const { details } = await runJob(
      t,
      'Last_Name,Email\nNew1,U1@example.com\nNew3,u3@example.com\nNew2,u2@example.com\n',
      { find_by: 'Email' },
      { operation: 'upsert' },
    );
    assert.deepEqual(counts(details), { added: 1, updated: 2, skipped: 0, total: 3 });
    const res = await downloadResult(t, details);
    assert.deepEqual(
      res.rows.map((r) => r.STATUS),
      ['UPDATED', 'ADDED', 'UPDATED'],
    );
    assert.equal((await record('Leads', res.rows[0]!.RECORD_ID!))?.Last_Name, 'New1');
  });

  it('skips insert rows that match an existing record on find_by', async () => {
    await runJob(t, 'Last_Name,Email\nExisting,exists@example.com\n', {});
    const { details } = await runJob(t, 'Last_Name,Email\nAgain,exists@example.com\nFresh,fresh@example.com\n', {
      find_by: 'Email',
    });
    const res = await downloadResult(t, details);
    assert.deepEqual(outcome(res.rows), [
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ['ADDED', ''],
    ]);
  });

  it('resolves Owner by email or id and lookups by id or a unique field of the target module', async () => {
    const org = await t.server.storage.orgs.get(t.creds.org_id);
    const owner = await runJob(
      t,
      `Last_Name,Owner\nA,${org!.user.email}\nB,${org!.user.id}\nC,nobody@example.com\n`,
      {},
    );
    assert.deepEqual(outcome((await downloadResult(t, owner.details)).rows), [
      ['ADDED', ''],
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-Owner'],
    ]);
    const acct = await runJob(t, 'Account_Name\nZylker\n', { module: { api_name: 'Accounts' } });
    const accountId = (await downloadResult(t, acct.details)).rows[0]!.RECORD_ID!;
    const contacts = await runJob(
      t,
      `Last_Name,Account_Name.id,Email\nById,${accountId},c1@example.com\nGhost,4150868999999999998,c2@example.com\n`,
      { module: { api_name: 'Contacts' } },
    );
    const rows = (await downloadResult(t, contacts.details)).rows;
    assert.deepEqual(outcome(rows), [
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-Account_Name'],
    ]);
    assert.equal((await record('Contacts', rows[0]!.RECORD_ID!))?.Account_Name, accountId);
    const byName = await runJob(t, 'Last_Name,Account_Name.Account_Name\nByName,zylker\n', {
      module: { api_name: 'Contacts' },
    });
    const byNameRow = (await downloadResult(t, byName.details)).rows[0]!;
    assert.equal(byNameRow.STATUS, 'ADDED', byNameRow.ERRORS);
    assert.equal((await record('Contacts', byNameRow.RECORD_ID!))?.Account_Name, accountId);
  });
});
