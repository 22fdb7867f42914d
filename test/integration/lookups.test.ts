import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layoutsOf } from '../../src/domain/layouts.js';
import { catalogueFor } from '../../src/domain/org-schema.js';
import { auth, call, createJob, downloadResult, runJob, unzipEntries, uploadCsv } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';
import Papa from 'papaparse';

type Json = Record<string, unknown>;
type Row = Record<string, string>;

/** A v8 parent/child job: Quotes (Subject, Account_Name by id) and its Quoted_Items (Parent_Id, Product_Name, Quantity). */
const quoteWithItems = (fileId: string, productFindBy: string | null): Json[] => [
  {
    type: 'data',
    module: { api_name: 'Quotes' },
    file_id: fileId,
    file_names: ['Quotes.csv'],
    field_mappings: [
      { api_name: 'Subject', index: 1 },
      { api_name: 'Account_Name', index: 2, find_by: 'id' },
    ],
  },
  {
    type: 'data',
    module: { api_name: 'Quoted_Items' },
    file_id: fileId,
    file_names: ['Quoted_Items.csv'],
    field_mappings: [
      { api_name: 'Parent_Id', index: 0, parent_column_index: 0 },
      { api_name: 'Product_Name', index: 1, ...(productFindBy ? { find_by: productFindBy } : {}) },
      { api_name: 'Quantity', index: 2 },
    ],
  },
];

/**
 * Lookups through real HTTP (issue 16.6–16.8, 16.10): find_by on display fields, field_mappings[].module,
 * default_value {name, module}, and Zoho's own parent/child sample. Each case names its source.
 */
describe('lookups by display field, mapping module and default {name, module}', () => {
  let t: TestServer;
  const ids: Record<string, string> = {};

  const write = async (module: string, csv: string): Promise<string[]> => {
    const { details } = await runJob(t, csv, { module: { api_name: module } });
    return (await downloadResult(t, details)).rows.map((r) => r.RECORD_ID!);
  };
  const record = async (module: string, id: string) =>
    (await t.server.storage.records.get(t.creds.org_id, module, id))?.data;
  const v8 = async (path: string, init: RequestInit = {}) =>
    call(`${t.url}${path}`, { ...init, headers: { ...auth(t.creds.access_token), ...(init.headers ?? {}) } });
  const waitFor = async (jobId: string): Promise<Json> => {
    const until = Date.now() + 30_000;
    for (;;) {
      const res = await v8(`/crm/bulk/v8/write/${jobId}`);
      if (res.body.status === 'COMPLETED' || res.body.status === 'FAILED') return res.body;
      assert.ok(Date.now() < until, `job ${jobId} still ${String(res.body.status)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  /** Uploads a zip of CSVs on v8, creates the job, waits; returns the job details and each result CSV's rows. */
  const runV8 = async (entries: Record<string, string>, resources: (fileId: string) => Json[]) => {
    const form = new FormData();
    form.append('file', new Blob([await makeZip(entries)], { type: 'application/zip' }), 'job.zip');
    const up = await v8('/crm/v8/upload', {
      method: 'POST',
      headers: { feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
      body: form,
    });
    assert.equal(up.status, 200, up.text);
    const fileId = (up.body.details as { file_id: string }).file_id;
    const res = await v8('/crm/bulk/v8/write', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'insert', resource: resources(fileId) }),
    });
    assert.equal(res.status, 201, res.text);
    const job = await waitFor((res.body.details as { id: string }).id);
    const zip = await fetch((job.result as { download_url: string }).download_url, {
      headers: auth(t.creds.access_token),
    });
    const csvs = new Map<string, Row[]>();
    for (const [name, bytes] of await unzipEntries(Buffer.from(await zip.arrayBuffer()))) {
      csvs.set(name, Papa.parse<Row>(bytes.toString('utf8'), { header: true, skipEmptyLines: true }).data);
    }
    return { job, csvs };
  };

  before(async () => {
    t = await startTestServer({ batchSize: 2 });
    // Two products named Widget: the first written is the one a name points at.
    const [widget, gadget] = await write('Products', 'Product_Name\nWidget\nGadget\nwidget\n');
    const [acme] = await write('Accounts', 'Account_Name\nAcme Lookups\n');
    const [ann, bo] = await write('Contacts', 'First_Name,Last_Name\nAnn,Lee\n,Bo\n');
    Object.assign(ids, { widget, gadget, acme, ann, bo });
  });
  after(() => t.close());

  it('writes line items by Product_Name (the first of two same-named products) beside Zoho’s Email/find_by email sample', async () => {
    // Sources: DOC7 create-job page (find_by may be a display field; the parent/child sample maps
    // {"api_name":"Email","find_by":"email"} and echoes it); Zoho's import help on names shared by
    // several records: "the system will only overwrite the first matching account".
    const { job, csvs } = await runV8(
      {
        'Quotes.csv': `Ref,Subject,Account,Email\nQ1,Quote one,${ids.acme},\n`,
        'Quoted_Items.csv': 'Ref,Product,Qty\nQ1,WIDGET,2\nQ1, Gadget ,1\nQ1,Sprocket,1\n',
      },
      (fileId) => quoteWithItems(fileId, 'Product_Name'),
    );
    const items = csvs.get('Quoted_Items-Quoted_Items.csv')!;
    assert.deepEqual(
      items.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Product_Name'],
      ],
    );
    assert.equal((await record('Quoted_Items', items[0]!.RECORD_ID!))?.Product_Name, ids.widget);
    assert.equal((await record('Quoted_Items', items[1]!.RECORD_ID!))?.Product_Name, ids.gadget);
    const child = (job.resource as Array<{ field_mappings: Json[] }>)[1]!;
    assert.equal(child.field_mappings.find((m) => m.api_name === 'Product_Name')?.find_by, 'Product_Name');
  });

  it('refuses a parent’s line items past its 200th with LIMIT_EXCEEDED-Parent_Id (Zoho’s limitations page)', async () => {
    // Issue 16.12; source: Zoho's bulk-write limitations page, "Subform and line-item CSVs are limited to 200 rows".
    const items = ['Ref,Product,Qty'];
    for (let i = 0; i < 205; i++) items.push(`Q1,${ids.widget},1`);
    items.splice(100, 0, `Q2,${ids.widget},1`, `Q2,${ids.gadget},2`);
    const { csvs } = await runV8(
      {
        'Quotes.csv': `Ref,Subject,Account\nQ1,Big quote,${ids.acme}\nQ2,Small quote,${ids.acme}\n`,
        'Quoted_Items.csv': items.join('\n'),
      },
      (fileId) => quoteWithItems(fileId, null),
    );
    const rows = csvs.get('Quoted_Items-Quoted_Items.csv')!;
    assert.equal(rows.length, 207);
    const outcome = (ref: string) => rows.filter((r) => r.Ref === ref).map((r) => r.ERRORS);
    assert.deepEqual(outcome('Q2'), ['', '']);
    const q1 = outcome('Q1');
    assert.equal(q1.length, 205);
    assert.deepEqual(q1.slice(0, 200), Array<string>(200).fill(''));
    assert.deepEqual(q1.slice(200), Array<string>(5).fill('LIMIT_EXCEEDED-Parent_Id'));
  });

  it('answers v8’s OpenAPI codes for a body that is not JSON, sent as another type, or naming no upload', async () => {
    // Issue 16.13; source: zoho/crm-oas v8.0/bulk_write/bulk_write.yaml, createBulkWriteJob 400 variants.
    const post = (version: string, body: string, type: string) =>
      v8(`/crm/bulk/${version}/write`, { method: 'POST', headers: { 'content-type': type }, body });
    const form = await post('v8', 'operation=insert', 'application/x-www-form-urlencoded');
    assert.deepEqual([form.status, form.body.code], [400, 'REQUEST_BODY_NOT_SUPPORTED']);
    const broken = await post('v8', '{"operation": "insert",', 'application/json');
    assert.deepEqual([broken.status, broken.body.code], [400, 'INVALID_REQUEST']);
    const before = await post('v2.1', '{"operation": "insert",', 'application/json');
    assert.deepEqual([before.status, before.body.code], [400, 'INVALID_DATA']);
    const body = JSON.stringify({
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: '4150868000009999999' }],
    });
    const unknown = await post('v8', body, 'application/json; charset=utf-8');
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'FILE_NOT_FOUND']);
    assert.equal((unknown.body.details as Json).json_path, '$.resource[0].file_id');
  });

  it('accepts and echoes Zoho’s own parent/child mapping {"api_name":"Email","find_by":"email"}', async () => {
    const { job, csvs } = await runV8(
      {
        'Leads.csv': 'Last_Name,Company,Email\nSample,Zylker,sample@lookups.test\n',
      },
      (fileId) => [
        {
          type: 'data',
          module: { api_name: 'Leads' },
          file_id: fileId,
          file_names: ['Leads.csv'],
          field_mappings: [
            { api_name: 'Last_Name', index: 0 },
            { api_name: 'Company', index: 1 },
            { api_name: 'Email', find_by: 'email', index: 2 },
          ],
        },
      ],
    );
    const [lead] = csvs.get('Leads-Leads.csv')!;
    assert.equal(lead!.STATUS, 'ADDED');
    assert.equal((await record('Leads', lead!.RECORD_ID!))?.Email, 'sample@lookups.test');
    const echoed = (job.resource as Array<{ field_mappings: Json[] }>)[0]!.field_mappings;
    assert.equal(echoed.find((m) => m.api_name === 'Email')?.find_by, 'email');
  });

  it('points a Deal at a Contact by Full_Name (First_Name and Last_Name joined)', async () => {
    const { details } = await runJob(t, 'Deal_Name,Contact\nD1,ann lee\nD2,Bo\nD3,Nobody Here\n', {
      module: { api_name: 'Deals' },
      field_mappings: [
        { api_name: 'Deal_Name', index: 0 },
        { api_name: 'Stage', default_value: { value: 'Qualification' } },
        { api_name: 'Contact_Name', index: 1, find_by: 'Full_Name' },
      ],
    });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Contact_Name'],
      ],
    );
    assert.equal((await record('Deals', rows[0]!.RECORD_ID!))?.Contact_Name, ids.ann);
    assert.equal((await record('Deals', rows[1]!.RECORD_ID!))?.Contact_Name, ids.bo);
  });

  it('takes What_Id’s module from the mapping’s module, with no $se_module column', async () => {
    // Source: the wire spec §4.1 (`module`: the related module of a lookup-style mapping); issue 16.7.
    const { details } = await runJob(t, `Subject,What\nCall by name,Acme Lookups\nCall by id,${ids.acme}\n`, {
      module: { api_name: 'Tasks' },
      field_mappings: [
        { api_name: 'Subject', index: 0 },
        { api_name: 'What_Id', index: 1, module: 'Accounts', find_by: 'Account_Name' },
      ],
    });
    const rows = (await downloadResult(t, details)).rows;
    // The second row's cell is an id: matched on Account_Name, it is no account's name.
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-What_Id'],
      ],
    );
    const first = await record('Tasks', rows[0]!.RECORD_ID!);
    assert.deepEqual([first?.What_Id, first?.$se_module], [ids.acme, 'Accounts']);
  });

  it('falls back to the record default_value {name, module} names, and refuses rows when no record has that name', async () => {
    // Source: the v4+ SDKs' DefaultValue {value, name, module} (JAVA40, TS50, TS80); issue 16.8.
    const { details } = await runJob(t, 'Subject,Contact\nWith default,\nGiven,Bo\n', {
      module: { api_name: 'Tasks' },
      field_mappings: [
        { api_name: 'Subject', index: 0 },
        { api_name: 'What_Id', default_value: { name: 'acme lookups', module: 'Accounts' } },
        { api_name: 'Who_Id', index: 1, find_by: 'Full_Name', default_value: { name: 'Ann Lee' } },
      ],
    });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => r.STATUS),
      ['ADDED', 'ADDED'],
    );
    const first = await record('Tasks', rows[0]!.RECORD_ID!);
    assert.deepEqual([first?.What_Id, first?.$se_module, first?.Who_Id], [ids.acme, 'Accounts', ids.ann]);
    assert.equal((await record('Tasks', rows[1]!.RECORD_ID!))?.Who_Id, ids.bo);

    const { details: missing } = await runJob(t, 'Subject\nNo such account\n', {
      module: { api_name: 'Tasks' },
      field_mappings: [
        { api_name: 'Subject', index: 0 },
        { api_name: 'What_Id', default_value: { name: 'Nobody Inc', module: 'Accounts' } },
      ],
    });
    assert.deepEqual(
      (await downloadResult(t, missing)).rows.map((r) => [r.STATUS, r.ERRORS]),
      [['SKIPPED', 'INVALID_DATA-What_Id']],
    );
  });
});

describe('layouts: names in the CSV, ids checked against the org’s layouts (issue 16.9)', () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-layouts-'));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify({ layouts: { Leads: ['Partner Leads'] } }));
    t = await startTestServer({ schemaFile: join(dir, 'schema.json') });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a layout named in the CSV (DOC7) or given by id, refuses an unknown one, and reads back its name', async () => {
    const leads = t.server.storage;
    const catalogue = catalogueFor(t.creds.org_id, await leads.schemas.get(t.creds.org_id));
    const module = catalogue.find({ apiName: 'Leads' })!;
    const [standard, partner] = layoutsOf(module);
    assert.equal(partner!.name, 'Partner Leads');
    const csv = [
      'Last_Name,Layout',
      'A,Standard',
      'B,partner leads',
      `C,${partner!.id}`,
      'D,4150868000000091055',
      'E,Nope',
      'F,',
    ];
    const { details } = await runJob(t, csv.join('\n'), {});
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Layout'],
        ['SKIPPED', 'INVALID_DATA-Layout'],
        ['ADDED', ''],
      ],
    );
    const layoutOf = async (id: string) => {
      const res = await call(`${t.url}/crm/v2.1/Leads/${id}`, { headers: auth(t.creds.access_token) });
      return (res.body as { data: Array<Record<string, unknown>> }).data[0]!.Layout;
    };
    assert.deepEqual(await layoutOf(rows[0]!.RECORD_ID!), { name: 'Standard', id: standard!.id });
    assert.deepEqual(await layoutOf(rows[1]!.RECORD_ID!), { name: 'Partner Leads', id: partner!.id });
    assert.deepEqual(await layoutOf(rows[2]!.RECORD_ID!), { name: 'Partner Leads', id: partner!.id });
    assert.equal(await layoutOf(rows[5]!.RECORD_ID!), null);
  });

  it('refuses a Layout default_value id that is none of the org’s layouts when the job is created', async () => {
    const fileId = await uploadCsv(t, 'Last_Name\nA\n');
    const res = await createJob(t, {
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: { api_name: 'Leads' },
          file_id: fileId,
          field_mappings: [
            { api_name: 'Last_Name', index: 0 },
            { api_name: 'Layout', default_value: { value: '4150868000000091055' } },
          ],
        },
      ],
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.code, 'INVALID_DATA');
    assert.equal((res.body.details as Json).json_path, '$.resource[0].field_mappings[1].default_value.value');
  });
});
