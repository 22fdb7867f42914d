// Bulk read over HTTP against a real server and SQLite store: what a bulk write job wrote is read back
// by a read job (every record, every column as Zoho renders it), the job details and result as Zoho
// answers them, and every invalid request refused with Zoho's code and nothing queued.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, issueCredentials } from '../../src/auth/org-setup.js';
import { auth, call, runJob } from '../helpers/api.js';
import { createReadJob, getReadJob, runReadJob, waitForReadJob } from '../helpers/bulk-read.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const LEADS = [
  'Last_Name,First_Name,Company,Email,Annual_Revenue,No_of_Employees,Email_Opt_Out,Lead_Source',
  'Gibbons,Peter,Initech,peter@initech.test,125000.5,40,true,Cold Call',
  'Bolton,Michael,Initech,michael@initech.test,,12,false,Web Download',
  'Smykowski,Tom,"Jumpin, Inc",tom@jumpin.test,99,,,',
].join('\n');

describe('bulk read: create, run, details, result', () => {
  let t: TestServer;
  let ids: string[];

  before(async () => {
    t = await startTestServer();
    const written = await runJob(t, LEADS, { module: { api_name: 'Leads' } });
    assert.equal(written.details.status, 'COMPLETED');
    const records = await call<{ data: Array<{ id: string }> }>(`${t.url}/crm/v2.1/Leads?per_page=200`, {
      headers: auth(t.creds.access_token),
    });
    ids = records.body.data.map((r) => r.id).sort();
    assert.equal(ids.length, 3);
  });
  after(() => t.close());

  it('answers the create as Zoho does and reads every record back, in id order', async () => {
    const res = await createReadJob(t, { query: { module: { api_name: 'Leads' } } });
    assert.equal(res.status, 201);
    const data = res.body.data as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(res.body), ['data', 'info']);
    assert.equal(data[0]!.code, 'ADDED_SUCCESSFULLY');
    assert.equal(data[0]!.status, 'success');
    assert.equal(data[0]!.message, 'Added successfully.');
    const details = data[0]!.details as Record<string, unknown>;
    assert.equal(details.operation, 'read');
    assert.equal(details.state, 'ADDED');
    assert.deepEqual(Object.keys(details), ['id', 'operation', 'state', 'created_by', 'created_time']);
    assert.match(String(details.created_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);

    const done = await waitForReadJob(t, String(details.id));
    assert.equal(done.state, 'COMPLETED');
    assert.deepEqual(done.result, {
      page: 1,
      count: 3,
      download_url: `/crm/bulk/v2.1/read/${String(details.id)}/result`,
      per_page: 200000,
      more_records: false,
    });
    assert.deepEqual(done.query, { module: { id: '4150868000000002175', api_name: 'Leads' }, page: 1 });
    assert.equal(done.file_type, 'csv');
  });

  it('renders the chosen fields as Zoho does: Id first, booleans, numbers, owner as an id', async () => {
    const { rows, header, name, id } = await runReadJob(t, {
      query: {
        module: { api_name: 'Leads' },
        fields: ['Last_Name', 'Company', 'Annual_Revenue', 'No_of_Employees', 'Email_Opt_Out', 'Owner', 'Lead_Source'],
      },
    });
    assert.equal(name, `${id}.csv`);
    assert.deepEqual(header, [
      'Id',
      'Last_Name',
      'Company',
      'Annual_Revenue',
      'No_of_Employees',
      'Email_Opt_Out',
      'Owner',
      'Lead_Source',
    ]);
    assert.deepEqual(
      rows.map((r) => r.Id),
      ids,
    );
    const byName = new Map(rows.map((r) => [r.Last_Name, r]));
    assert.deepEqual(byName.get('Gibbons'), {
      Id: byName.get('Gibbons')!.Id,
      Last_Name: 'Gibbons',
      Company: 'Initech',
      Annual_Revenue: '125000.5',
      No_of_Employees: '40',
      Email_Opt_Out: 'true',
      Owner: t.server.org.user.id,
      Lead_Source: 'Cold Call',
    });
    assert.equal(byName.get('Smykowski')!.Company, 'Jumpin, Inc');
    assert.equal(byName.get('Smykowski')!.Email_Opt_Out, 'false');
    assert.equal(byName.get('Smykowski')!.No_of_Employees, '');
  });

  it('filters with criteria and echoes them in the query', async () => {
    const criteria = {
      group_operator: 'or',
      group: [
        { api_name: 'Last_Name', comparator: 'starts_with', value: 'gib' },
        {
          group_operator: 'and',
          group: [
            { api_name: 'Company', comparator: 'equal', value: 'initech' },
            { field: { api_name: 'No_of_Employees' }, comparator: 'less_than', value: 20 },
          ],
        },
      ],
    };
    const { rows, details } = await runReadJob(t, {
      query: { module: { api_name: 'Leads' }, fields: ['Last_Name'], criteria },
    });
    assert.deepEqual(rows.map((r) => r.Last_Name).sort(), ['Bolton', 'Gibbons']);
    assert.deepEqual((details.query as { criteria: unknown }).criteria, criteria);
  });

  it('a read job is unknown to another org, at the write path, and a write job at the read path', async () => {
    const res = await createReadJob(t, { query: { module: { api_name: 'Leads' } } });
    const id = (res.body.data as Array<{ details: { id: string } }>)[0]!.details.id;
    await waitForReadJob(t, id);
    const { org } = await createOrg(t.server.storage, { name: 'Other', timeZone: 'UTC', now: Date.now() });
    const other = await issueCredentials(t.server.storage, org, {
      now: Date.now(),
      tokenTtlSeconds: 3600,
      apiDomain: t.url,
    });
    for (const path of [`/crm/bulk/v2.1/read/${id}`, `/crm/bulk/v2.1/read/${id}/result`]) {
      const answer = await call(`${t.url}${path}`, { headers: auth(other.access_token) });
      assert.equal(answer.status, 400, path);
      assert.equal(answer.body.code, 'RESOURCE_NOT_FOUND', path);
    }
    const asWrite = await call(`${t.url}/crm/bulk/v2.1/write/${id}`, { headers: auth(t.creds.access_token) });
    assert.equal(asWrite.body.code, 'RESOURCE_NOT_FOUND');
    const written = await runJob(t, 'Last_Name\nX\n', { module: { api_name: 'Contacts' } });
    const asRead = await getReadJob(t, written.jobId);
    assert.equal((asRead.body as unknown as { code: string }).code, 'RESOURCE_NOT_FOUND');
  });

  it('serves every version; v2 takes and echoes the module as a string', async () => {
    for (const version of ['v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8']) {
      const module = version === 'v2' ? 'Leads' : { api_name: 'Leads' };
      const res = await createReadJob(t, { query: { module, fields: ['Last_Name'] } }, { version });
      assert.equal(res.status, 201, `${version}: ${res.text}`);
      const id = (res.body.data as Array<{ details: { id: string } }>)[0]!.details.id;
      await waitForReadJob(t, id);
      const details = (await getReadJob(t, id, { version })).body.data[0]!;
      assert.deepEqual(
        (details.query as { module: unknown }).module,
        version === 'v2' ? 'Leads' : { id: '4150868000000002175', api_name: 'Leads' },
      );
      assert.equal(details.result!.download_url, `/crm/bulk/${version}/read/${id}/result`);
      assert.equal(details.result!.count, 3);
    }
  });

  it('asks for ZohoCRM.bulk.READ (or ALL) and read access to the module', async () => {
    const body = { query: { module: { api_name: 'Leads' } } };
    const cases: Array<[string[], number]> = [
      [['ZohoCRM.bulk.READ', 'ZohoCRM.modules.leads.READ'], 201],
      [['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL'], 201],
      [['ZohoCRM.bulk.read', 'ZohoCRM.modules.leads.ALL'], 201],
      [['ZohoCRM.bulk.READ'], 401],
      [['ZohoCRM.modules.ALL'], 401],
      [['ZohoCRM.bulk.CREATE', 'ZohoCRM.modules.ALL'], 401],
      [['ZohoCRM.bulk.READ', 'ZohoCRM.modules.contacts.READ'], 401],
    ];
    for (const [scopes, status] of cases) {
      const creds = await t.credentials(scopes);
      const res = await createReadJob(t, body, { token: creds.access_token });
      assert.equal(res.status, status, `${scopes.join(' ')}: ${res.text}`);
      if (status === 401) assert.equal(res.body.code, 'OAUTH_SCOPE_MISMATCH');
    }
  });

  it('opens a read job’s details and result with ZohoCRM.bulk.READ (or ALL), or with read access to its module', async () => {
    const { id } = await runReadJob(t, { query: { module: { api_name: 'Leads' } } });
    const cases: Array<[string[], number]> = [
      [['ZohoCRM.bulk.READ'], 200],
      [['ZohoCRM.bulk.read'], 200],
      [['ZohoCRM.bulk.ALL'], 200],
      [['ZohoCRM.modules.leads.READ'], 200],
      [['ZohoCRM.modules.Leads.ALL'], 200],
      [['ZohoCRM.modules.ALL'], 200],
      [['ZohoCRM.modules.contacts.READ'], 401],
      [['ZohoCRM.modules.leads.CREATE'], 401],
      [['ZohoCRM.bulk.CREATE'], 401],
      [['ZohoFiles.files.ALL'], 401],
    ];
    for (const [scopes, status] of cases) {
      const { access_token } = await t.credentials(scopes);
      for (const path of [id, `${id}/result`]) {
        const res = await call(`${t.url}/crm/bulk/v8/read/${path}`, { headers: auth(access_token) });
        assert.equal(res.status, status, `${scopes.join(' ')} ${path}: ${res.text.slice(0, 200)}`);
        if (status === 401) assert.equal(res.body.code, 'OAUTH_SCOPE_MISMATCH');
        else if (path === id) assert.equal((res.body.data as Array<{ id: string }>)[0]!.id, id);
        else assert.equal(res.headers.get('content-type'), 'application/zip');
      }
    }
    // An unknown job is unknown to a module scope too; a token no scope of which opens read jobs is refused first.
    const contacts = await t.credentials(['ZohoCRM.modules.contacts.READ']);
    const unknown = await call(`${t.url}/crm/bulk/v8/read/1234`, { headers: auth(contacts.access_token) });
    const asBulk = await call(`${t.url}/crm/bulk/v8/read/1234`, { headers: auth(t.creds.access_token) });
    assert.deepEqual([unknown.status, unknown.body.code], [asBulk.status, 'RESOURCE_NOT_FOUND']);
    const write = await t.credentials(['ZohoCRM.bulk.CREATE', 'ZohoFiles.files.ALL']);
    const refused = await call(`${t.url}/crm/bulk/v8/read/1234`, { headers: auth(write.access_token) });
    assert.deepEqual([refused.status, refused.body.code], [401, 'OAUTH_SCOPE_MISMATCH']);
  });

  it('refuses every invalid request with Zoho’s code, and queues nothing', async () => {
    const before = (await t.server.storage.jobs.list(t.server.org.id, 1000)).length;
    const leads = { api_name: 'Leads' };
    const cases: Array<[unknown, string, string?]> = [
      ['', 'REQUEST_BODY_IS_EMPTY'],
      ['{nope', 'REQUEST_BODY_NOT_READABLE'],
      [{}, 'MANDATORY_NOT_FOUND'],
      [{ query: {} }, 'MANDATORY_NOT_FOUND'],
      [{ query: { module: { api_name: 'Nope' } } }, 'MODULE_NOT_AVAILABLE'],
      [{ query: { module: { api_name: 'Quoted_Items' } } }, 'MODULE_NOT_SUPPORTED'],
      [{ query: { module: leads, fields: ['Nope'] } }, 'FIELD_NOT_SUPPORTED'],
      // Joins through a lookup or the owner are not served (docs/bulk-read.md#not-served).
      [{ query: { module: leads, fields: ['Last_Name', 'Owner.last_name'] } }, 'FIELD_NOT_SUPPORTED'],
      [{ query: { module: leads, fields: ['Owner.id'] } }, 'FIELD_NOT_SUPPORTED'],
      [
        { query: { module: leads, criteria: { api_name: 'Owner.id', comparator: 'equal', value: '1' } } },
        'FIELD_IN_CRITERIA_NOT_SUPPORTED',
      ],
      [{ query: { module: leads, fields: 'Last_Name' } }, 'QUERY_NOT_SUPPORTED'],
      [{ query: { module: leads, cvid: '4150868000000087501' } }, 'CVID_NOT_SUPPORTED'],
      [{ query: { module: leads, page: 0 } }, 'PAGE_NOT_SUPPORTED'],
      [{ query: { module: leads, page: 1.5 } }, 'PAGE_NOT_SUPPORTED'],
      [{ query: { module: leads, page: 51 } }, 'PAGE_RANGE_EXCEEDED'],
      [{ query: { module: leads }, file_type: 'ics' }, 'NOT_SUPPORTED_FEATURE'],
      [{ query: { module: leads }, file_type: 'xlsx' }, 'QUERY_NOT_SUPPORTED'],
      [{ query: { module: leads }, callback: { url: 'ftp://x.test/', method: 'post' } }, 'INVALID_DATA'],
      [{ query: { module: leads }, callback: { url: 'https://x.test/', method: 'get' } }, 'INVALID_DATA'],
      [{ query: { module: leads, criteria: 'x' } }, 'INVALID_CRITERIA'],
      [
        { query: { module: leads, criteria: { api_name: 'Nope', comparator: 'equal', value: 'x' } } },
        'FIELD_IN_CRITERIA_NOT_SUPPORTED',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'Description', comparator: 'equal', value: 'x' } } },
        'FIELD_IN_CRITERIA_NOT_SUPPORTED',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'Email_Opt_Out', comparator: 'contains', value: 'x' } } },
        'FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'Last_Name', comparator: 'like', value: 'x' } } },
        'FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'Last_Name', comparator: 'in', value: 'x' } } },
        'COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'No_of_Employees', comparator: 'between', value: [1] } } },
        'COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE',
      ],
      [
        { query: { module: leads, criteria: { api_name: 'No_of_Employees', comparator: 'equal', value: 'ten' } } },
        'FIELD_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE',
      ],
      [
        {
          query: { module: leads, criteria: { api_name: 'Last_Name', comparator: 'in', value: Array(101).fill('x') } },
        },
        'VALUE_LIMIT_EXCEEDED_IN_CRITERIA',
      ],
      [
        {
          query: {
            module: leads,
            criteria: {
              group_operator: 'xor',
              group: [
                { api_name: 'Last_Name', comparator: 'equal', value: 'a' },
                { api_name: 'Last_Name', comparator: 'equal', value: 'b' },
              ],
            },
          },
        },
        'GROUP_OPERATOR_NOT_SUPPORTED',
      ],
      [
        {
          query: {
            module: leads,
            criteria: { group_operator: 'and', group: [{ api_name: 'Last_Name', comparator: 'equal', value: 'a' }] },
          },
        },
        'AMBIGUOUS_GROUP_IN_CRITERIA',
      ],
      [
        {
          query: {
            module: leads,
            criteria: { group_operator: 'and', api_name: 'Last_Name', comparator: 'equal', value: 'a' },
          },
        },
        'AMBIGUOUS_CRITERIA',
      ],
      [
        {
          query: {
            module: leads,
            criteria: {
              group_operator: 'and',
              group: Array.from({ length: 26 }, () => ({ api_name: 'Last_Name', comparator: 'equal', value: 'a' })),
            },
          },
        },
        'CRITERIA_LIMIT_EXCEEDED',
      ],
    ];
    for (const [body, code] of cases) {
      const res = await createReadJob(t, body);
      assert.equal(res.body.code, code, `${JSON.stringify(body).slice(0, 200)} → ${res.text}`);
      assert.equal(res.body.status, 'error');
      assert.ok(res.status === 400, `${code}: HTTP ${res.status}`);
    }
    assert.equal((await t.server.storage.jobs.list(t.server.org.id, 1000)).length, before, 'nothing was queued');
  });
});
