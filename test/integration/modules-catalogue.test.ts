import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { mandatoryFields, MODULES } from '../../src/domain/modules.js';
import { auth, call, createJob, downloadResult, runJob, uploadCsv } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;
const csvOf = (rows: string[][]) => Papa.unparse(rows, { newline: '\n' }) + '\n';

describe('the module catalogue', () => {
  let t: TestServer;
  let accountId: string;
  let vendorId: string;

  const firstRowId = async (module: string, csv: string) => {
    const { details } = await runJob(t, csv, { module: { api_name: module } });
    const row = (await downloadResult(t, details)).rows[0]!;
    assert.equal(row.STATUS, 'ADDED', `${module}: ${row.ERRORS}`);
    return row.RECORD_ID!;
  };

  before(async () => {
    t = await startTestServer();
    accountId = await firstRowId('Accounts', 'Account_Name\nCatalogue Corp\n');
    vendorId = await firstRowId('Vendors', 'Vendor_Name\nParts Inc\n');
  });
  after(() => t.close());

  it('lists the fifteen modules Zoho documents for bulk write, each with a stable 19-digit id', () => {
    assert.deepEqual(
      MODULES.map((m) => m.apiName),
      [
        'Leads',
        'Contacts',
        'Accounts',
        'Deals',
        'Campaigns',
        'Tasks',
        'Cases',
        'Solutions',
        'Products',
        'Vendors',
        'Price_Books',
        'Quotes',
        'Sales_Orders',
        'Purchase_Orders',
        'Invoices',
      ],
    );
    for (const m of MODULES) assert.match(m.id, /^\d{19}$/, m.apiName);
    assert.equal(new Set(MODULES.map((m) => m.id)).size, MODULES.length);
    // Lookup targets all exist in the catalogue.
    for (const m of MODULES) {
      for (const f of m.fields.values()) {
        for (const target of [f.lookupModule, ...(f.lookupModules ?? [])].filter(Boolean)) {
          assert.ok(
            MODULES.some((x) => x.apiName === target),
            `${m.apiName}.${f.apiName} → ${target}`,
          );
        }
      }
    }
  });

  it('is described field by field in docs/modules.md', () => {
    const doc = readFileSync(new URL('../../../docs/modules.md', import.meta.url), 'utf8');
    for (const m of MODULES) {
      assert.ok(doc.includes(`### ${m.apiName}\n`), `docs/modules.md has a section for ${m.apiName}`);
      assert.ok(doc.includes(`\`${m.id}\``), `docs/modules.md names ${m.apiName}'s id`);
      for (const f of m.fields.values()) {
        assert.ok(doc.includes(`\`${f.apiName}\``), `docs/modules.md names ${m.apiName}.${f.apiName}`);
      }
    }
  });

  for (const module of MODULES) {
    it(`inserts a ${module.apiName} record with its mandatory fields and reads it back`, async () => {
      const fields = mandatoryFields(module);
      const values = fields.map((f) => {
        if (f.type === 'lookup') return f.lookupModule === 'Vendors' ? vendorId : accountId;
        if (f.type === 'picklist') return f.picklist!.find((v) => v !== '-None-')!;
        return `${module.apiName} sample`;
      });
      const id = await firstRowId(module.apiName, csvOf([fields.map((f) => f.apiName), values]));
      const res = await call<Json>(`${t.url}/crm/v2.1/${module.apiName}/${id}`, {
        headers: auth(t.creds.access_token),
      });
      assert.equal(res.status, 200, res.text);
      const record = (res.body.data as Json[])[0]!;
      fields.forEach((f, i) => {
        const got = record[f.apiName];
        if (f.type === 'lookup') assert.equal((got as Json).id, values[i]);
        else assert.equal(got, values[i]);
      });
    });
  }

  const createError = async (module: string, header: string, mappings: Array<[string, number]> | null) => {
    const fileId = await uploadCsv(t, `${header}\nx,y,z\n`);
    const res = await createJob(t, {
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: { api_name: module },
          file_id: fileId,
          ...(mappings ? { field_mappings: mappings.map(([api_name, index]) => ({ api_name, index })) } : {}),
        },
      ],
    });
    return res;
  };

  for (const module of ['Notes', 'Attachments', 'Events', 'Calls', 'Activities', 'Users', 'Visits']) {
    it(`refuses ${module}, which Zoho does not take in bulk write, with MODULE_NOT_AVAILABLE`, async () => {
      const res = await createError(module, 'Subject,a,b', null);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'MODULE_NOT_AVAILABLE');
      assert.equal(res.body.message, `Requested module '${module}' is not available.`);
    });
  }

  for (const [module, field, mandatory] of [
    ['Leads', 'Created_Time', 'Last_Name'],
    ['Leads', 'Full_Name', 'Last_Name'],
    ['Cases', 'Case_Number', 'Subject'],
    ['Quotes', 'Grand_Total', 'Subject'],
    ['Quotes', 'Product_Details', 'Subject'],
    ['Products', 'Record_Image', 'Product_Name'],
    ['Price_Books', 'Pricing_Details', 'Price_Book_Name'],
    ['Tasks', 'Closed_Time', 'Subject'],
  ] as const) {
    it(`refuses a mapping to ${module}.${field}, which bulk write cannot set, with INVALID_FIELD`, async () => {
      const res = await createError(module, `${mandatory},${field},z`, [
        [mandatory, 0],
        [field, 1],
      ]);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_FIELD');
      assert.equal((res.body.details as Json).api_name, field);
    });
  }

  it('resolves Tasks’ What_Id in the module each row names in $se_module', async () => {
    const csv = csvOf([
      ['Subject', 'What_Id', '$se_module', 'Who_Id'],
      ['Call the account', accountId, 'Accounts', ''],
      ['Wrong module', accountId, 'Deals', ''],
      ['No module', accountId, '', ''],
      ['Unknown module', accountId, 'Bogus', ''],
      ['Vendor task', vendorId, 'vendors', ''],
    ]);
    const { details } = await runJob(t, csv, { module: { api_name: 'Tasks' } });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-What_Id'],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-$se_module'],
        ['SKIPPED', 'INVALID_DATA-$se_module'],
        ['ADDED', ''],
      ],
    );
    const stored = await t.server.storage.records.get(t.creds.org_id, 'Tasks', rows[4]!.RECORD_ID!);
    assert.deepEqual([stored?.data.What_Id, stored?.data.$se_module], [vendorId, 'Vendors']);
    const read = await call<Json>(`${t.url}/crm/v2.1/Tasks/${rows[0]!.RECORD_ID}`, {
      headers: auth(t.creds.access_token),
    });
    assert.deepEqual((read.body.data as Json[])[0]!.What_Id, { name: 'Catalogue Corp', id: accountId });
  });

  it('refuses What_Id mapped without $se_module with MANDATORY_FIELDS_NOT_MAPPED', async () => {
    const res = await createError('Tasks', 'Subject,What_Id,z', [
      ['Subject', 0],
      ['What_Id', 1],
    ]);
    assert.equal(res.body.code, 'MANDATORY_FIELDS_NOT_MAPPED');
    assert.equal((res.body.details as Json).api_name, '$se_module');
  });
});
