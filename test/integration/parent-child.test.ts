import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { auth, call, runJob, downloadResult, unzipEntries, type HttpAnswer } from '../helpers/api.js';
import { createClient } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';
import { makeZip } from '../helpers/zip.js';

type Json = Record<string, unknown>;
type Resource = {
  status: string;
  code: string;
  module: { api_name: string };
  file: Json;
  field_mappings: Json[];
  file_names?: string[];
};

/** Leads with a subform (its rows in the module Secondary) and a multi-select lookup to Products. */
const SCHEMA = {
  fields: {
    Leads: [
      {
        api_name: 'Secondary',
        data_type: 'subform',
        fields: [
          { api_name: 'Secondary_Email', data_type: 'email', mandatory: true },
          { api_name: 'Secondary_Phone', data_type: 'phone' },
        ],
      },
      { api_name: 'Interested_In', data_type: 'multiselectlookup', lookup_module: 'Products' },
      { api_name: 'Reviewers', data_type: 'multiuserlookup' },
    ],
  },
};

/** The parent CSV's column 0 (Ref) is not mapped: it only ties the children to their parents. */
const LEADS = [
  'Ref,Last_Name,Company,Email',
  'L1,Ada,Acme,ada@pc.test',
  'L2,,Globex,nolast@pc.test', // skipped: Last_Name is mandatory
  'L3,Grace,Initech,grace@pc.test',
  'L1,Again,Acme,again@pc.test', // a second L1: children link to the first
].join('\n');
const SECONDARY = [
  'Secondary_Email,Secondary_Phone,Lead',
  'a1@pc.test,111,L1',
  'a2@pc.test,222, L1 ',
  'n1@pc.test,333,L2', // its parent row was skipped
  'g1@pc.test,444,L3',
  'x1@pc.test,555,L9', // no parent row has L9
  ',666,L3', // mandatory Secondary_Email missing
].join('\n');

/** One resource of a parent/child job: a module, the CSV of the zip it reads, and its mappings. */
const resourceOf = (fileId: string, module: string, csv: string, fieldMappings: Json[]) => ({
  type: 'data',
  module: { api_name: module },
  file_id: fileId,
  file_names: [csv],
  field_mappings: fieldMappings,
});
const leadsResource = (fileId: string) =>
  resourceOf(fileId, 'Leads', 'Leads.csv', [
    { api_name: 'Last_Name', index: 1 },
    { api_name: 'Company', index: 2 },
    { api_name: 'Email', index: 3 },
  ]);
/** Leads.csv of `Ref,Last_Name,Company`: Ref only ties the children (linking rows) to their lead. */
const refLeadsResource = (fileId: string) =>
  resourceOf(fileId, 'Leads', 'Leads.csv', [
    { api_name: 'Last_Name', index: 1 },
    { api_name: 'Company', index: 2 },
  ]);
const secondaryResource = (fileId: string) =>
  resourceOf(fileId, 'Secondary', 'Secondary.csv', [
    { api_name: 'Secondary_Email', index: 0 },
    { api_name: 'Secondary_Phone', index: 1 },
    { api_name: 'Parent_Id', index: 2, parent_column_index: 0 },
  ]);

describe('parent/child jobs (v6+): one zip, a CSV per module, the parent first', () => {
  let t: TestServer;
  let dir: string;
  const productIds: string[] = [];

  const uploadZip = async (entries: Record<string, string>, version = 'v8'): Promise<HttpAnswer> => {
    const form = new FormData();
    form.append('file', new Blob([await makeZip(entries)], { type: 'application/zip' }), 'leads.zip');
    return call(`${t.url}/crm/${version}/upload`, {
      method: 'POST',
      headers: { ...auth(t.creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
      body: form,
    });
  };
  const fileIdOf = async (entries: Record<string, string>, version = 'v8') => {
    const res = await uploadZip(entries, version);
    assert.equal(res.status, 200, res.text);
    return (res.body.details as { file_id: string }).file_id;
  };
  const create = (body: unknown, version = 'v8') =>
    call(`${t.url}/crm/bulk/${version}/write`, {
      method: 'POST',
      headers: { ...auth(t.creds.access_token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const waitFor = async (jobId: string, on: TestServer = t): Promise<Json> => {
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await call(`${on.url}/crm/bulk/v8/write/${jobId}`, { headers: auth(on.creds.access_token) });
      assert.equal(res.status, 200, res.text);
      if (res.body.status === 'COMPLETED' || res.body.status === 'FAILED') return res.body;
      assert.ok(Date.now() < until, `job ${jobId} still ${String(res.body.status)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const resultCsvs = async (job: Json, on: TestServer = t) => {
    const res = await fetch((job.result as { download_url: string }).download_url, {
      headers: auth(on.creds.access_token),
    });
    assert.equal(res.status, 200);
    const out = new Map<string, Array<Record<string, string>>>();
    for (const [name, bytes] of await unzipEntries(Buffer.from(await res.arrayBuffer()))) {
      out.set(
        name,
        Papa.parse<Record<string, string>>(bytes.toString('utf8'), { header: true, skipEmptyLines: true }).data,
      );
    }
    return out;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-pc-'));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    t = await startTestServer({ schemaFile: join(dir, 'schema.json') });
    const { details: done } = await runJob(t, 'Product_Name\nWidget\nGadget\n', {
      module: { api_name: 'Products' },
    });
    for (const r of (await downloadResult(t, done)).rows) productIds.push(r.RECORD_ID!);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the parent, then links each child row to the record its parent row became', async () => {
    const fileId = await fileIdOf({ 'Leads.csv': LEADS, 'Secondary.csv': SECONDARY });
    const res = await create({ operation: 'insert', resource: [leadsResource(fileId), secondaryResource(fileId)] });
    assert.equal(res.status, 201, res.text);
    const job = await waitFor((res.body.details as { id: string }).id);
    assert.equal(job.status, 'COMPLETED');

    const [leads, secondary] = job.resource as Resource[];
    assert.deepEqual(
      [leads!.status, leads!.code, leads!.module.api_name, leads!.file_names],
      ['COMPLETED', 'COMPLETED', 'Leads', ['Leads.csv']],
    );
    assert.deepEqual(leads!.file, {
      status: 'COMPLETED',
      name: 'Leads.csv',
      added_count: 3,
      skipped_count: 1,
      updated_count: 0,
      total_count: 4,
    });
    assert.deepEqual(secondary!.file, {
      status: 'COMPLETED',
      name: 'Secondary.csv',
      added_count: 3,
      skipped_count: 3,
      updated_count: 0,
      total_count: 6,
    });
    assert.deepEqual(
      secondary!.field_mappings.map((m) => [m.api_name, m.index, m.parent_column_index]),
      [
        ['Secondary_Email', 0, null],
        ['Secondary_Phone', 1, null],
        ['Parent_Id', 2, 0],
      ],
    );

    const csvs = await resultCsvs(job);
    assert.deepEqual([...csvs.keys()], ['Leads-Leads.csv', 'Secondary-Secondary.csv']);
    const leadRows = csvs.get('Leads-Leads.csv')!;
    // Zoho's download-result page: the first three mapped columns. `Ref` is only the children's key, not
    // a field mapping of the parent, so it is not echoed.
    assert.deepEqual(Object.keys(leadRows[0]!), ['Last_Name', 'Company', 'Email', 'STATUS', 'RECORD_ID', 'ERRORS']);
    assert.deepEqual(
      leadRows.map((r) => [r.Email, r.STATUS, r.ERRORS]),
      [
        ['ada@pc.test', 'ADDED', ''],
        ['nolast@pc.test', 'SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['grace@pc.test', 'ADDED', ''],
        ['again@pc.test', 'ADDED', ''],
      ],
    );
    const subRows = csvs.get('Secondary-Secondary.csv')!;
    assert.deepEqual(
      subRows.map((r) => [r.Secondary_Email, r.STATUS, r.ERRORS]),
      [
        ['a1@pc.test', 'ADDED', ''],
        ['a2@pc.test', 'ADDED', ''],
        ['n1@pc.test', 'SKIPPED', 'RESOURCE_NOT_FOUND-Parent_Id'],
        ['g1@pc.test', 'ADDED', ''],
        ['x1@pc.test', 'SKIPPED', 'RESOURCE_NOT_FOUND-Parent_Id'],
        ['', 'SKIPPED', 'MANDATORY_NOT_FOUND-Secondary_Email'],
      ],
    );
    // The typed client reads every CSV of the result, the parent's first.
    const client = createClient({
      apiDomain: t.url,
      accountsUrl: t.url,
      uploadUrl: t.url,
      credentials: t.creds.access_token,
    });
    const files = await client.downloadResultFiles(String(job.id));
    assert.deepEqual(
      files.map((f) => [f.csvName, f.rows.map((r) => r.status)]),
      [
        ['Leads-Leads.csv', ['ADDED', 'SKIPPED', 'ADDED', 'ADDED']],
        ['Secondary-Secondary.csv', ['ADDED', 'ADDED', 'SKIPPED', 'ADDED', 'SKIPPED', 'SKIPPED']],
      ],
    );
    assert.deepEqual(files[1]!.rows[2]!.errors, [{ code: 'RESOURCE_NOT_FOUND', columns: ['Parent_Id'] }]);
    assert.equal((await client.downloadResultRows(String(job.id))).csvName, 'Leads-Leads.csv');
    // Each subform row points at the first lead of its Ref, as stored.
    const parentOf = async (id: string) =>
      (await t.server.storage.records.get(t.creds.org_id, 'Secondary', id))?.data.Parent_Id;
    assert.equal(await parentOf(subRows[0]!.RECORD_ID!), leadRows[0]!.RECORD_ID);
    assert.equal(await parentOf(subRows[1]!.RECORD_ID!), leadRows[0]!.RECORD_ID);
    assert.equal(await parentOf(subRows[3]!.RECORD_ID!), leadRows[2]!.RECORD_ID);
  });

  it('fills a multi-select lookup through its linking module, the other side found by id', async () => {
    const fileId = await fileIdOf({
      'Leads.csv': 'Ref,Last_Name,Company\nM1,Mia,Acme\nM2,Max,Acme\n',
      'LeadsXProducts.csv': `Products,Leads\n${productIds[0]},M1\n${productIds[1]},M1\n${productIds[1]},M2\n999,M2\n`,
    });
    const res = await create({
      operation: 'insert',
      resource: [
        refLeadsResource(fileId),
        resourceOf(fileId, 'LeadsXProducts', 'LeadsXProducts.csv', [
          { api_name: 'Products', find_by: 'id', index: 0 },
          { api_name: 'Leads', parent_column_index: 0, index: 1 },
        ]),
      ],
    });
    assert.equal(res.status, 201, res.text);
    const job = await waitFor((res.body.details as { id: string }).id);
    const csvs = await resultCsvs(job);
    const leads = csvs.get('Leads-Leads.csv')!;
    const links = csvs.get('LeadsXProducts-LeadsXProducts.csv')!;
    assert.deepEqual(
      links.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Products'],
      ],
    );
    const pair = async (id: string) => (await t.server.storage.records.get(t.creds.org_id, 'LeadsXProducts', id))?.data;
    assert.deepEqual(await pair(links[2]!.RECORD_ID!), { Products: productIds[1], Leads: leads[1]!.RECORD_ID });
  });

  it('fills a multi-user lookup through its linking module Leads_X_Users, users by id or email, and reads it back', async () => {
    // Sources: Zoho's limitations page ("modules that have subforms, line items, multi-select lookup, and
    // multi-user lookup" take several CSVs in one zip); Zoho's fields metadata sample for a
    // `multiuserlookup` field (linking module `Leads_X_Users`).
    const org = (await t.server.storage.orgs.get(t.creds.org_id))!;
    const fileId = await fileIdOf({
      'Leads.csv': 'Ref,Last_Name,Company\nU1,Una,Acme\nU2,Ugo,Acme\n',
      'Leads_X_Users.csv': `Lead,User\nU1,${org.user.id}\nU2,${org.user.email}\nU2,nobody@nowhere.test\n`,
    });
    const res = await create({
      operation: 'insert',
      resource: [
        refLeadsResource(fileId),
        resourceOf(fileId, 'Leads_X_Users', 'Leads_X_Users.csv', [
          { api_name: 'Leads', parent_column_index: 0, index: 0 },
          { api_name: 'Users', index: 1 },
        ]),
      ],
    });
    assert.equal(res.status, 201, res.text);
    const job = await waitFor((res.body.details as { id: string }).id);
    const csvs = await resultCsvs(job);
    const leads = csvs.get('Leads-Leads.csv')!;
    assert.deepEqual(
      csvs.get('Leads_X_Users-Leads_X_Users.csv')!.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Users'],
      ],
    );
    const get = (path: string) => call<Json>(`${t.url}${path}`, { headers: auth(t.creds.access_token) });
    // The field's metadata names its linking module; the parent record reads its users back.
    const fields = (await get('/crm/v8/settings/fields?module=Leads')).body.fields as Json[];
    const meta = fields.find((f) => f.api_name === 'Reviewers')!;
    assert.equal(meta.data_type, 'multiuserlookup');
    assert.equal((meta.multiuserlookup as Json).linking_module, 'Leads_X_Users');
    const lead = ((await get(`/crm/v8/Leads/${leads[1]!.RECORD_ID}`)).body.data as Json[])[0]!;
    const reviewers = lead.Reviewers as Json[];
    assert.deepEqual(
      reviewers.map((r) => [(r.Users as Json).id, (r.Users as Json).email, (r.Leads as Json).id]),
      [[org.user.id, org.user.email, leads[1]!.RECORD_ID]],
    );
    // The linking module is a module of its own in the records API, as Zoho's linking-module API says.
    const pairs = (await get('/crm/v8/Leads_X_Users?fields=Users,Leads')).body.data as Json[];
    assert.equal(pairs.length, 2);
    // The field itself cannot be mapped in the parent's resource: its pairs are rows of the linking module.
    const direct = await create({
      operation: 'insert',
      resource: [
        resourceOf(fileId, 'Leads', 'Leads.csv', [
          { api_name: 'Last_Name', index: 1 },
          { api_name: 'Reviewers', index: 2 },
        ]),
      ],
    });
    assert.equal(direct.body.code, 'INVALID_FIELD', direct.text);
  });

  it('writes a quote with its line items (Quoted_Items), each item keyed on Parent_Id', async () => {
    const { details: accounts } = await runJob(t, 'Account_Name\nLine Items Ltd\n', {
      module: { api_name: 'Accounts' },
    });
    const accountId = (await downloadResult(t, accounts)).rows[0]!.RECORD_ID!;
    const fileId = await fileIdOf({
      'Quotes.csv': `Quote_Ref;Subject;Account_Name\nQ-1;First quote;${accountId}\n`,
      'Quoted_Items.csv': `Quote_Ref;Product;Qty;Price\nQ-1;${productIds[0]};2;9.5\nQ-1;${productIds[1]};1;100\nQ-1;${productIds[1]};many;1\n`,
    });
    const res = await create({
      operation: 'insert',
      resource: [
        resourceOf(fileId, 'Quotes', 'Quotes.csv', [
          { api_name: 'Subject', index: 1 },
          { api_name: 'Account_Name', index: 2, find_by: 'id' },
        ]),
        resourceOf(fileId, 'Quoted_Items', 'Quoted_Items.csv', [
          { api_name: 'Parent_Id', index: 0, parent_column_index: 0 },
          { api_name: 'Product_Name', index: 1, find_by: 'id' },
          { api_name: 'Quantity', index: 2 },
          { api_name: 'List_Price', index: 3 },
        ]),
      ],
    });
    assert.equal(res.status, 201, res.text);
    const job = await waitFor((res.body.details as { id: string }).id);
    const csvs = await resultCsvs(job);
    const quoteId = csvs.get('Quotes-Quotes.csv')![0]!.RECORD_ID!;
    const items = csvs.get('Quoted_Items-Quoted_Items.csv')!;
    assert.deepEqual(
      items.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Quantity'],
      ],
    );
    assert.deepEqual((await t.server.storage.records.get(t.creds.org_id, 'Quoted_Items', items[0]!.RECORD_ID!))?.data, {
      Parent_Id: quoteId,
      Product_Name: productIds[0],
      Quantity: 2,
      List_Price: 9.5,
    });
  });

  it('shows each resource in turn as the job runs, and counts each on its own', async () => {
    const quiet = await startTestServer({ worker: false, schemaFile: join(dir, 'schema.json') });
    try {
      const form = new FormData();
      const zip = await makeZip({ 'Leads.csv': LEADS, 'Secondary.csv': SECONDARY });
      form.append('file', new Blob([zip], { type: 'application/zip' }), 'pc.zip');
      const up = await call(`${quiet.url}/crm/v8/upload`, {
        method: 'POST',
        headers: { ...auth(quiet.creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': quiet.creds.org_id },
        body: form,
      });
      const fileId = (up.body.details as { file_id: string }).file_id;
      const res = await call(`${quiet.url}/crm/bulk/v8/write`, {
        method: 'POST',
        headers: { ...auth(quiet.creds.access_token), 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'insert', resource: [leadsResource(fileId), secondaryResource(fileId)] }),
      });
      assert.equal(res.status, 201, res.text);
      const jobId = (res.body.details as { id: string }).id;
      const look = async () =>
        (
          (await call(`${quiet.url}/crm/bulk/v8/write/${jobId}`, { headers: auth(quiet.creds.access_token) })).body
            .resource as Resource[]
        ).map((r) => [r.status, r.file.total_count ?? null]);
      assert.deepEqual(await look(), [
        ['ADDED', null],
        ['ADDED', null],
      ]);

      // Three rows per chunk; the first worker stops after each chunk, a fresh one resumes.
      const seen: unknown[] = [];
      for (let round = 0; round < 10; round++) {
        let stopping: Promise<void> | undefined;
        const w = openTestWorker(quiet, {
          batchSize: 3,
          onChunk: async () => {
            seen.push(await look());
            stopping ??= w.worker.stop();
          },
        });
        await w.worker.drain();
        await stopping;
        await w.close();
        const job = (await call(`${quiet.url}/crm/bulk/v8/write/${jobId}`, { headers: auth(quiet.creds.access_token) }))
          .body;
        if (job.status === 'COMPLETED') break;
      }
      // Chunks never span two CSVs: rows 1–3, 4, then 5–7 and 8–10 of the child.
      assert.deepEqual(seen, [
        [
          ['INPROGRESS', 3],
          ['ADDED', null],
        ],
        [
          ['COMPLETED', 4],
          ['INPROGRESS', 0],
        ],
        [
          ['COMPLETED', 4],
          ['INPROGRESS', 3],
        ],
        [
          ['COMPLETED', 4],
          ['COMPLETED', 6],
        ],
      ]);
      const job = await waitFor(jobId, quiet);
      // Resumed three times, the children still found their parents, and every row is in the result once.
      const csvs = await resultCsvs(job, quiet);
      assert.deepEqual(
        csvs.get('Secondary-Secondary.csv')!.map((r) => r.ERRORS),
        [
          '',
          '',
          'RESOURCE_NOT_FOUND-Parent_Id',
          '',
          'RESOURCE_NOT_FOUND-Parent_Id',
          'MANDATORY_NOT_FOUND-Secondary_Email',
        ],
      );
      assert.equal(csvs.get('Leads-Leads.csv')!.length, 4);
      assert.equal(await quiet.server.storage.records.count(quiet.creds.org_id, 'Secondary'), 3);
      assert.equal(await quiet.server.storage.records.count(quiet.creds.org_id, 'Leads'), 3);
    } finally {
      await quiet.close();
    }
  });

  it('refuses a job whose resources do not make a parent and its children, naming the key', async () => {
    const fileId = await fileIdOf({ 'Leads.csv': LEADS, 'Secondary.csv': SECONDARY });
    const leads = leadsResource(fileId);
    const sub = secondaryResource(fileId);
    const subMappings = sub.field_mappings;
    const cases: Array<[string, unknown[], string, string]> = [
      [
        'a child without parent_column_index',
        [leads, { ...sub, field_mappings: [subMappings[0], subMappings[1], { api_name: 'Parent_Id', index: 2 }] }],
        'MANDATORY_NOT_FOUND',
        '$.resource[1].field_mappings',
      ],
      [
        'parent_column_index on the parent',
        [
          {
            ...leads,
            field_mappings: [
              ...leads.field_mappings.slice(0, 2),
              { api_name: 'Email', index: 3, parent_column_index: 0 },
            ],
          },
          sub,
        ],
        'INVALID_DATA',
        '$.resource[0].field_mappings[2].parent_column_index',
      ],
      [
        'a link through a field that does not point at the parent',
        [
          leads,
          {
            ...sub,
            field_mappings: [
              { api_name: 'Secondary_Email', index: 0, parent_column_index: 0 },
              { api_name: 'Parent_Id', index: 2 },
            ],
          },
        ],
        'INVALID_DATA',
        '$.resource[1].field_mappings[0].parent_column_index',
      ],
      [
        'a parent column the parent CSV does not have',
        [
          leads,
          { ...sub, field_mappings: [subMappings[0], { api_name: 'Parent_Id', index: 2, parent_column_index: 4 }] },
        ],
        'COLUMN_INDEX_NOT_FOUND',
        '$.resource[1].field_mappings[1].parent_column_index',
      ],
      [
        'a child without field_mappings',
        [leads, { ...sub, field_mappings: undefined }],
        'MANDATORY_NOT_FOUND',
        '$.resource[1].field_mappings',
      ],
      [
        'two resources on one CSV',
        [leads, { ...sub, file_names: ['Leads.csv'] }],
        'INVALID_DATA',
        '$.resource[1].file_names',
      ],
      [
        'no file_names in a zip of two CSVs',
        [{ ...leads, file_names: undefined }, sub],
        'MANDATORY_NOT_FOUND',
        '$.resource[0].file_names',
      ],
      [
        'a linking module on its own',
        [{ ...sub, module: { api_name: 'LeadsXProducts' }, field_mappings: [{ api_name: 'Products', index: 0 }] }, sub],
        'INVALID_DATA',
        '$.resource[0].module',
      ],
    ];
    for (const [why, resource, code, path] of cases) {
      const res = await create({ operation: 'insert', resource });
      assert.equal(res.status, 400, `${why}: ${res.text}`);
      assert.equal(res.body.code, code, `${why}: ${res.text}`);
      assert.equal((res.body.details as Json).json_path, path, `${why}: ${res.text}`);
    }
  });

  it('takes a zip of several CSVs only on v6+ paths, where each resource names its CSV', async () => {
    const older = await uploadZip({ 'Leads.csv': LEADS, 'Secondary.csv': SECONDARY }, 'v2.1');
    assert.equal(older.body.code, 'FILE_NOT_SUPPORTED', older.text);
    // Uploaded through v8, the zip cannot feed a v2.1 job, which reads one CSV.
    const fileId = await fileIdOf({ 'Leads.csv': LEADS, 'Secondary.csv': SECONDARY });
    const { file_names: _names, ...plain } = leadsResource(fileId);
    const res = await create({ operation: 'insert', resource: [plain] }, 'v2.1');
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'INVALID_DATA');
    assert.deepEqual((res.body.details as Json).file_names_in_zip, ['Leads.csv', 'Secondary.csv']);
    // On v8 one resource may read one CSV of the zip and leave the rest.
    const one = await create({
      operation: 'insert',
      resource: [
        {
          ...leadsResource(fileId),
          field_mappings: [
            { api_name: 'Last_Name', index: 1 },
            { api_name: 'Company', index: 2 },
          ],
        },
      ],
    });
    assert.equal(one.status, 201, one.text);
    const job = await waitFor((one.body.details as { id: string }).id);
    assert.deepEqual(
      (job.resource as Resource[]).map((r) => r.file.total_count),
      [4],
    );
    assert.deepEqual([...(await resultCsvs(job)).keys()], ['Leads-Leads.csv']);
  });
});
