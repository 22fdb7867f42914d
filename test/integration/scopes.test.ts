import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { auth, call, createJob, runJob, type HttpAnswer } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

/** Every endpoint that checks scopes, as spec §2.3 lists them. */
const ENDPOINTS = [
  'upload',
  'insert Leads',
  'update Leads',
  'upsert Leads',
  'insert Contacts',
  'job details',
  'download',
] as const;
type Endpoint = (typeof ENDPOINTS)[number];

const BULK = ['job details', 'download'] as const;
const LEADS_WRITE = ['insert Leads', 'update Leads', 'upsert Leads'] as const;

/** Scopes → the endpoints they open; every other endpoint must answer OAUTH_SCOPE_MISMATCH. */
const TABLE: Array<[string[], readonly Endpoint[]]> = [
  [['ZohoCRM.org.READ'], []],
  [['ZohoFiles.files.ALL'], ['upload']],
  [['ZohoCRM.bulk.ALL'], BULK],
  [['ZohoCRM.bulk.CREATE'], BULK],
  [['ZohoCRM.bulk.READ'], []],
  [['ZohoCRM.modules.ALL'], []],
  [['ZohoCRM.modules.leads.ALL', 'ZohoFiles.files.ALL'], ['upload']],
  [
    ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL'],
    [...LEADS_WRITE, 'insert Contacts', ...BULK],
  ],
  [
    ['ZohoCRM.bulk.CREATE', 'ZohoCRM.modules.leads.ALL'],
    [...LEADS_WRITE, ...BULK],
  ],
  [
    ['ZohoCRM.bulk.CREATE', 'ZohoCRM.modules.leads.CREATE'],
    [...LEADS_WRITE, ...BULK],
  ],
  [
    ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.leads.UPDATE'],
    ['update Leads', ...BULK],
  ],
  [['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.leads.READ'], BULK],
  [
    ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.contacts.ALL'],
    ['insert Contacts', ...BULK],
  ],
  [['zohocrm.bulk.all', 'zohocrm.modules.all', 'zohofiles.files.all'], ENDPOINTS],
  [['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL', 'ZohoFiles.files.ALL'], ENDPOINTS],
];

const MISMATCH =
  '{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}';

describe('scopes: every scope set against every endpoint', () => {
  let t: TestServer;
  let fileId: string;
  let jobId: string;
  let downloadUrl: string;

  before(async () => {
    t = await startTestServer();
    const done = await runJob(t, 'Last_Name,Email,Company\nScoped,scoped@example.com,Acme\n', {});
    jobId = done.jobId;
    downloadUrl = (done.details.result as { download_url: string }).download_url;
    const again = await call(`${t.url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { ...auth(t.creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
      body: await zipForm(),
    });
    fileId = (again.body.details as { file_id: string }).file_id;
    // The file is usable: a full-scope create job succeeds.
    const ok = await createJob(t, {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
    });
    assert.equal(ok.status, 201, ok.text);
  });
  after(() => t.close());

  async function zipForm(): Promise<FormData> {
    const form = new FormData();
    const zip = await makeZip({ 'leads.csv': 'Last_Name,Email,Company\nTable,table@example.com,Acme\n' });
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'leads.zip');
    return form;
  }

  /** A token with exactly these scopes, from the accounts server's client_credentials grant. */
  async function tokenWith(scopes: string[]): Promise<string> {
    const res = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: t.creds.client_id,
        client_secret: t.creds.client_secret,
        scope: scopes.join(','),
        soid: `ZohoCRM.${t.creds.org_id}`,
      }),
    });
    assert.equal(typeof res.body.access_token, 'string', res.text);
    return String(res.body.access_token);
  }

  function request(version: string, endpoint: Endpoint, token: string): Promise<HttpAnswer> {
    const json = (body: unknown) =>
      call(`${t.url}/crm/bulk/${version}/write`, {
        method: 'POST',
        headers: { ...auth(token), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const leads = (operation: string) =>
      json({
        operation,
        resource: [
          {
            type: 'data',
            module: { api_name: 'Leads' },
            file_id: fileId,
            ...(operation === 'insert' ? {} : { find_by: 'Email' }),
          },
        ],
      });
    switch (endpoint) {
      case 'upload':
        return zipForm().then((body) =>
          call(`${t.url}/crm/${version}/upload`, {
            method: 'POST',
            headers: { ...auth(token), feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
            body,
          }),
        );
      case 'insert Leads':
        return leads('insert');
      case 'update Leads':
        return leads('update');
      case 'upsert Leads':
        return leads('upsert');
      case 'insert Contacts':
        return json({
          operation: 'insert',
          resource: [
            {
              type: 'data',
              module: { api_name: 'Contacts' },
              file_id: fileId,
              field_mappings: [
                { api_name: 'Last_Name', index: 0 },
                { api_name: 'Email', index: 1 },
              ],
            },
          ],
        });
      case 'job details':
        return call(`${t.url}/crm/bulk/${version}/write/${jobId}`, { headers: auth(token) });
      case 'download':
        return call(downloadUrl, { headers: auth(token) });
    }
  }

  const SUCCESS: Record<Endpoint, number> = {
    upload: 200,
    'insert Leads': 201,
    'update Leads': 201,
    'upsert Leads': 201,
    'insert Contacts': 201,
    'job details': 200,
    download: 200,
  };

  for (const version of ['v2.1', 'v8']) {
    for (const [scopes, allowed] of TABLE) {
      const opens = allowed.length === 0 ? 'nothing' : allowed.join(', ');
      it(`lets a ${version} token with ${scopes.join(' + ')} reach ${opens}, and nothing else`, async () => {
        const token = await tokenWith(scopes);
        for (const endpoint of ENDPOINTS) {
          const res = await request(version, endpoint, token);
          if (allowed.includes(endpoint)) {
            assert.equal(res.status, SUCCESS[endpoint], `${endpoint}: ${res.status} ${res.text.slice(0, 200)}`);
          } else {
            assert.equal(res.status, 401, `${endpoint} should be refused: ${res.status} ${res.text.slice(0, 200)}`);
            assert.equal(res.text, MISMATCH, endpoint);
          }
        }
      });
    }
  }

  it('checks the scopes of tokens from every grant the same way', async () => {
    const narrow = await t.credentials(['ZohoCRM.bulk.READ']);
    const refreshed = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: narrow.client_id,
        client_secret: narrow.client_secret,
        refresh_token: narrow.refresh_token,
      }),
    });
    assert.equal(refreshed.body.scope, 'ZohoCRM.bulk.READ');
    for (const token of [narrow.access_token, String(refreshed.body.access_token)]) {
      const res = await request('v2.1', 'job details', token);
      assert.equal(res.text, MISMATCH);
    }
  });
});
