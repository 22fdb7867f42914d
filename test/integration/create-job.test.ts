import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOrg, issueCredentials } from '../../src/auth/org-setup.js';
import { call, createJob, uploadCsv } from '../helpers/api.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';
import { DEFAULTS } from '../../src/config.js';

describe('POST /crm/bulk/v2.1/write', () => {
  let t: TestServer;
  let fileId: string;
  let wideFileId: string;
  let longFileId: string;
  const leads = (extra: Record<string, unknown> = {}) => ({
    type: 'data',
    module: { api_name: 'Leads' },
    file_id: fileId,
    field_mappings: [
      { api_name: 'Last_Name', index: 0 },
      { api_name: 'Email', index: 1 },
    ],
    ...extra,
  });

  before(async () => {
    t = await injectTestServer({
      worker: false,
      limits: { ...DEFAULTS.limits, maxRows: 3, maxColumns: 5 },
    });
    fileId = await uploadCsv(t, 'Last_Name,Email,Phone\nOne,one@example.com,555\n');
    wideFileId = await uploadCsv(t, 'a,b,c,d,e,f\n1,2,3,4,5,6\n');
    longFileId = await uploadCsv(t, 'Last_Name\na\nb\nc\nd\n');
  });
  after(() => t.close());

  it('accepts a valid request with 201 and the success body, and queues the job as ADDED', async () => {
    const res = await createJob(t, { operation: 'insert', resource: [leads()] });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), ['status', 'code', 'message', 'details']);
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.code, 'SUCCESS');
    assert.equal(res.body.message, 'success');
    const details = res.body.details as { id: string; created_by: { id: string; name: string } };
    assert.match(details.id, /^\d{19}$/);
    assert.match(details.created_by.id, /^\d+$/);
    assert.equal(typeof details.created_by.name, 'string');
    const job = await t.server.storage.jobs.get(t.creds.org_id, details.id);
    assert.equal(job?.status, 'ADDED');
  });

  it('accepts module as a plain string, a module id, callBack spelled as in the docs, and a form-encoded JSON body from curl -d', async () => {
    for (const body of [
      { operation: 'insert', resource: [leads({ module: 'Leads' })] },
      { operation: 'insert', resource: [leads({ module: { id: '4150868000000002175' } })] },
      { operation: 'insert', callBack: { url: 'http://127.0.0.1:9/hook', method: 'post' }, resource: [leads()] },
    ]) {
      const res = await createJob(t, body);
      assert.equal(res.status, 201, res.text);
    }
    const curlStyle = await call(`${t.url}/crm/bulk/v2.1/write`, {
      method: 'POST',
      headers: {
        authorization: `Zoho-oauthtoken ${t.creds.access_token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: JSON.stringify({ operation: 'insert', resource: [leads()] }),
    });
    assert.equal(curlStyle.status, 201, curlStyle.text);
  });

  const cases: Array<[string, () => unknown, string, string?]> = [
    ['a body that is not JSON', () => '{"operation": ', 'INVALID_DATA'],
    ['no operation', () => ({ resource: [leads()] }), 'MANDATORY_NOT_FOUND', 'operation'],
    ['an unknown operation', () => ({ operation: 'delete', resource: [leads()] }), 'INVALID_DATA', 'operation'],
    ['no resource', () => ({ operation: 'insert' }), 'MANDATORY_NOT_FOUND', 'resource'],
    ['an empty resource array', () => ({ operation: 'insert', resource: [] }), 'INVALID_DATA', 'resource'],
    [
      'a resource without type',
      () => ({ operation: 'insert', resource: [leads({ type: undefined })] }),
      'MANDATORY_NOT_FOUND',
      'type',
    ],
    [
      'a resource type other than data',
      () => ({ operation: 'insert', resource: [leads({ type: 'meta' })] }),
      'INVALID_DATA',
      'type',
    ],
    [
      'no module',
      () => ({ operation: 'insert', resource: [leads({ module: undefined })] }),
      'MANDATORY_NOT_FOUND',
      'module',
    ],
    [
      'an unknown module',
      () => ({ operation: 'insert', resource: [leads({ module: { api_name: 'Widgets' } })] }),
      'MODULE_NOT_AVAILABLE',
      'module',
    ],
    [
      'no file_id',
      () => ({ operation: 'insert', resource: [leads({ file_id: undefined })] }),
      'MANDATORY_NOT_FOUND',
      'file_id',
    ],
    [
      'an unknown file_id',
      () => ({ operation: 'insert', resource: [leads({ file_id: '4150868000009999999' })] }),
      'INVALID_FILE_ID',
      'file_id',
    ],
    [
      'a file_id that is not a number',
      () => ({ operation: 'insert', resource: [leads({ file_id: 'abc' })] }),
      'INVALID_FILE_ID',
      'file_id',
    ],
    ['update without find_by', () => ({ operation: 'update', resource: [leads()] }), 'MANDATORY_NOT_FOUND', 'find_by'],
    ['upsert without find_by', () => ({ operation: 'upsert', resource: [leads()] }), 'MANDATORY_NOT_FOUND', 'find_by'],
    [
      'a find_by that is no field',
      () => ({ operation: 'upsert', resource: [leads({ find_by: 'Nope' })] }),
      'INVALID_FIELD',
      'Nope',
    ],
    [
      'a find_by on a field that is not unique',
      () => ({ operation: 'upsert', resource: [leads({ find_by: 'Last_Name' })] }),
      'INVALID_DATA',
      'find_by',
    ],
    [
      'a find_by field that is not mapped',
      () => ({ operation: 'upsert', resource: [leads({ find_by: 'id' })] }),
      'MANDATORY_FIELDS_NOT_MAPPED',
      'id',
    ],
    [
      'a mapping without api_name',
      () => ({
        operation: 'insert',
        resource: [leads({ field_mappings: [{ api_name: 'Last_Name', index: 0 }, { index: 1 }] })],
      }),
      'MANDATORY_NOT_FOUND',
      'api_name',
    ],
    [
      'a mapping to an unknown field',
      () => ({
        operation: 'insert',
        resource: [
          leads({
            field_mappings: [
              { api_name: 'Last_Name', index: 0 },
              { api_name: 'ast_Name', index: 1 },
            ],
          }),
        ],
      }),
      'INVALID_FIELD',
      'ast_Name',
    ],
    [
      'a mapping to a read-only field',
      () => ({
        operation: 'insert',
        resource: [
          leads({
            field_mappings: [
              { api_name: 'Last_Name', index: 0 },
              { api_name: 'Created_Time', index: 1 },
            ],
          }),
        ],
      }),
      'INVALID_FIELD',
      'Created_Time',
    ],
    [
      'a mapping without index or default_value',
      () => ({
        operation: 'insert',
        resource: [leads({ field_mappings: [{ api_name: 'Last_Name', index: 0 }, { api_name: 'Company' }] })],
      }),
      'MANDATORY_NOT_FOUND',
      'index',
    ],
    [
      'a negative index',
      () => ({ operation: 'insert', resource: [leads({ field_mappings: [{ api_name: 'Last_Name', index: -1 }] })] }),
      'COLUMN_INDEX_NOT_FOUND',
      'Last_Name',
    ],
    [
      'an index past the last column',
      () => ({ operation: 'insert', resource: [leads({ field_mappings: [{ api_name: 'Last_Name', index: 3 }] })] }),
      'COLUMN_INDEX_NOT_FOUND',
      'Last_Name',
    ],
    [
      'a date format on a text field',
      () => ({
        operation: 'insert',
        resource: [leads({ field_mappings: [{ api_name: 'Last_Name', index: 0, format: 'yyyy-MM-dd' }] })],
      }),
      'INVALID_FORMAT',
      'Last_Name',
    ],
    [
      'the mandatory Last_Name not mapped',
      () => ({ operation: 'insert', resource: [leads({ field_mappings: [{ api_name: 'Email', index: 1 }] })] }),
      'MANDATORY_FIELDS_NOT_MAPPED',
      'Last_Name',
    ],
    [
      'more mappings than the column limit',
      () => ({
        operation: 'insert',
        resource: [
          leads({
            field_mappings: ['Last_Name', 'Email', 'Phone', 'Mobile', 'Fax', 'City'].map((api_name) => ({
              api_name,
              index: 0,
            })),
          }),
        ],
      }),
      'HEADER_LIMIT_EXCEEDED',
      'field_mappings',
    ],
    [
      'a file with more columns than the limit',
      () => ({ operation: 'insert', resource: [leads({ file_id: wideFileId })] }),
      'HEADER_LIMIT_EXCEEDED',
      'file_id',
    ],
    [
      'a file with more rows than the limit',
      () => ({
        operation: 'insert',
        resource: [leads({ file_id: longFileId, field_mappings: [{ api_name: 'Last_Name', index: 0 }] })],
      }),
      'LIMIT_EXCEEDED',
      'file_id',
    ],
    [
      'ignore_empty that is not a boolean',
      () => ({ operation: 'insert', ignore_empty: 'yes', resource: [leads()] }),
      'INVALID_DATA',
      'ignore_empty',
    ],
    [
      'a callback without url',
      () => ({ operation: 'insert', callback: { method: 'post' }, resource: [leads()] }),
      'MANDATORY_NOT_FOUND',
      'url',
    ],
    [
      'a callback url that is not http',
      () => ({ operation: 'insert', callback: { url: 'ftp://x', method: 'post' }, resource: [leads()] }),
      'INVALID_DATA',
      'url',
    ],
    [
      'a callback method other than post',
      () => ({ operation: 'insert', callback: { url: 'http://127.0.0.1/x', method: 'get' }, resource: [leads()] }),
      'INVALID_DATA',
      'method',
    ],
    [
      'an unknown character encoding',
      () => ({ operation: 'insert', character_encoding: 'EBCDIC-42', resource: [leads()] }),
      'INVALID_DATA',
      'character_encoding',
    ],
    [
      'an id mapping on insert',
      () => ({
        operation: 'insert',
        resource: [
          leads({
            field_mappings: [
              { api_name: 'Last_Name', index: 0 },
              { api_name: 'id', index: 1 },
            ],
          }),
        ],
      }),
      'INVALID_FIELD',
      'id',
    ],
  ];
  for (const [what, body, code, apiName] of cases) {
    it(`answers ${code} with HTTP 400 and queues nothing for ${what}`, async () => {
      const before = (await t.server.storage.jobs.list(t.creds.org_id, 1000)).length;
      const res = await createJob(t, body());
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(Object.keys(res.body), ['code', 'details', 'message', 'status']);
      assert.equal(res.body.code, code);
      assert.equal(res.body.status, 'error');
      assert.equal(typeof res.body.details, 'object');
      if (apiName) assert.equal((res.body.details as { api_name?: string }).api_name, apiName);
      assert.equal((await t.server.storage.jobs.list(t.creds.org_id, 1000)).length, before);
    });
  }

  it('answers OAUTH_SCOPE_MISMATCH without a bulk scope, and without write access to the module', async () => {
    const noBulk = await t.credentials(['ZohoCRM.modules.ALL', 'ZohoFiles.files.ALL']);
    const a = await createJob(t, { operation: 'insert', resource: [leads()] }, noBulk.access_token);
    assert.equal(a.status, 401);
    assert.equal(a.body.code, 'OAUTH_SCOPE_MISMATCH');
    const otherModule = await t.credentials(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.contacts.ALL']);
    const b = await createJob(t, { operation: 'insert', resource: [leads()] }, otherModule.access_token);
    assert.equal(b.status, 401);
    assert.equal(b.body.code, 'OAUTH_SCOPE_MISMATCH');
    const leadsOnly = await t.credentials(['ZohoCRM.bulk.CREATE', 'ZohoCRM.modules.leads.CREATE']);
    const c = await createJob(t, { operation: 'insert', resource: [leads()] }, leadsOnly.access_token);
    assert.equal(c.status, 201, c.text);
  });

  it('answers AUTHENTICATION_FAILURE without a token and INVALID_TOKEN with an unknown one', async () => {
    const none = await call(`${t.url}/crm/bulk/v2.1/write`, { method: 'POST', body: '{}' });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'AUTHENTICATION_FAILURE');
    const bad = await createJob(t, { operation: 'insert', resource: [leads()] }, '1000.nope.nope');
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, 'INVALID_TOKEN');
  });

  it('does not let one org use another org’s file id', async () => {
    const { org } = await createOrg(t.server.storage, { name: 'second', now: Date.now() });
    const second = await issueCredentials(t.server.storage, org, {
      now: Date.now(),
      tokenTtlSeconds: 3600,
      apiDomain: t.url,
    });
    const res = await createJob(t, { operation: 'insert', resource: [leads()] }, second.access_token);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'INVALID_FILE_ID');
  });
});
