import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { auth, call, unzipEntries, type HttpAnswer } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';

const VERSIONS = ['v2', 'v2.1', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'] as const;
type Version = (typeof VERSIONS)[number];
const PARENT_CHILD: ReadonlySet<Version> = new Set(['v6', 'v7', 'v8']);

/** Email is unique in Leads, so each job gets addresses of its own. */
const csvFor = (tag: string) =>
  `Last_Name,Email,Company\nOne,one.${tag}@example.com,Acme\n,nolast.${tag}@example.com,Globex\n`;
const CSV = csvFor('shared');

type Body = Record<string, unknown>;
type Resource = { module: unknown; field_mappings: Array<Record<string, unknown>>; file_names?: string[] };

async function uploadAt(t: TestServer, version: string, csv = CSV, name = 'leads.csv'): Promise<HttpAnswer> {
  const form = new FormData();
  form.append('file', new Blob([await makeZip({ [name]: csv })], { type: 'application/zip' }), 'leads.zip');
  return call(`${t.url}/crm/${version}/upload`, {
    method: 'POST',
    headers: { ...auth(t.creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': t.creds.org_id },
    body: form,
  });
}

async function fileIdAt(t: TestServer, version: string, csv = CSV, name = 'leads.csv'): Promise<string> {
  const res = await uploadAt(t, version, csv, name);
  assert.equal(res.status, 200, res.text);
  return (res.body.details as { file_id: string }).file_id;
}

function createAt(t: TestServer, version: string, body: unknown): Promise<HttpAnswer> {
  return call(`${t.url}/crm/bulk/${version}/write`, {
    method: 'POST',
    headers: { ...auth(t.creds.access_token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function detailsAt(t: TestServer, version: string, jobId: string): Promise<HttpAnswer> {
  return call(`${t.url}/crm/bulk/${version}/write/${jobId}`, { headers: auth(t.creds.access_token) });
}

async function waitAt(t: TestServer, version: string, jobId: string): Promise<Body> {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await detailsAt(t, version, jobId);
    assert.equal(res.status, 200, res.text);
    if (res.body.status === 'COMPLETED' || res.body.status === 'FAILED') return res.body;
    assert.ok(Date.now() < until, `job ${jobId} still ${String(res.body.status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const mappings = [
  { api_name: 'Last_Name', index: 0 },
  { api_name: 'Email', index: 1 },
  { api_name: 'Company', index: 2 },
];

describe('every API version Zoho has served: v2, v2.1, v3 … v8', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  for (const version of VERSIONS) {
    it(`runs upload, create, details and download under /${version}/ with that version's wire shapes`, async () => {
      const fileId = await fileIdAt(t, version, csvFor(version));
      const module = version === 'v2' ? 'Leads' : { api_name: 'Leads' };
      const created = await createAt(t, version, {
        operation: 'insert',
        resource: [{ type: 'data', module, file_id: fileId, field_mappings: mappings }],
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.code, 'SUCCESS');
      const details = created.body.details as { id: string; created_by: Body };
      assert.match(details.id, /^\d{19}$/, 'job ids are strings of digits in every version');
      const user = t.server.org.user;
      if (version === 'v8') assert.deepEqual(details.created_by, { id: user.id, name: user.name, email: user.email });
      else assert.deepEqual(details.created_by, { id: user.id, name: user.name });

      const job = await waitAt(t, version, details.id);
      assert.equal(job.status, 'COMPLETED');
      assert.equal(job.id, details.id);
      const resource = (job.resource as Resource[])[0]!;
      if (version === 'v2') assert.equal(resource.module, 'Leads');
      else assert.deepEqual(Object.keys(resource.module as object), ['id', 'api_name']);
      for (const m of resource.field_mappings) {
        assert.equal('parent_column_index' in m, PARENT_CHILD.has(version), `${version} mapping keys`);
        if (PARENT_CHILD.has(version)) assert.equal(m.parent_column_index, null);
      }
      assert.deepEqual(job.created_by, details.created_by);

      const url = (job.result as { download_url: string }).download_url;
      assert.match(url, new RegExp(`^${t.url}/v2/crm/${t.creds.org_id}/bulk-write/${details.id}/${details.id}\\.zip$`));
      const res = await fetch(url, { headers: auth(t.creds.access_token) });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-disposition'), `attachment; filename="${details.id}.zip"`);
      const entries = await unzipEntries(Buffer.from(await res.arrayBuffer()));
      const csv = [...entries.values()][0]!.toString('utf8');
      assert.match(csv, /^Last_Name,Email,Company,STATUS,RECORD_ID,ERRORS\r?\n/);
      assert.match(csv, new RegExp(`One,one\\.${version.replace('.', '\\.')}@example\\.com,Acme,ADDED,\\d+,`));
    });
  }

  it('takes v2 module as a plain string (and, leniently, as an object) and always answers v2 with a string', async () => {
    const fileId = await fileIdAt(t, 'v2');
    const asObject = await createAt(t, 'v2', {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings }],
    });
    assert.equal(asObject.status, 201, asObject.text);
    const id = (asObject.body.details as { id: string }).id;
    const v2 = await detailsAt(t, 'v2', id);
    assert.equal((v2.body.resource as Resource[])[0]!.module, 'Leads');
  });

  it('renders a job in the version of the URL that reads it, whatever version created it', async () => {
    const fileId = await fileIdAt(t, 'v8');
    const created = await createAt(t, 'v8', {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings }],
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.body.details as { id: string }).id;
    await waitAt(t, 'v8', id);

    const v2 = (await detailsAt(t, 'v2', id)).body;
    assert.equal((v2.resource as Resource[])[0]!.module, 'Leads');
    assert.equal('email' in (v2.created_by as Body), false);
    assert.equal('parent_column_index' in (v2.resource as Resource[])[0]!.field_mappings[0]!, false);

    const v8 = (await detailsAt(t, 'v8', id)).body;
    assert.equal((v8.created_by as Body).email, t.server.org.user.email);

    const v21 = (await detailsAt(t, 'v2.1', id)).body;
    assert.deepEqual(Object.keys(v21), Object.keys(v2), 'the same keys in the same order as v2.1 always had');
  });

  it('refuses a v8 callback method other than post with INVALID_CALLBACK_METHOD, HTTP 400', async () => {
    const fileId = await fileIdAt(t, 'v8');
    const before = (await t.server.storage.jobs.list(t.creds.org_id, 1000)).length;
    const res = await createAt(t, 'v8', {
      operation: 'insert',
      callback: { url: 'https://example.test/hook', method: 'get' },
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings }],
    });
    const golden = JSON.parse(
      readFileSync(new URL('../../../test/fixtures/golden/v8-invalid-callback-method.json', import.meta.url), 'utf8'),
    ) as { httpStatus: number; body: Body };
    assert.equal(res.status, golden.httpStatus);
    assert.equal(res.text, JSON.stringify(golden.body), 'byte for byte as the golden file');
    assert.equal((await t.server.storage.jobs.list(t.creds.org_id, 1000)).length, before, 'nothing queued');
  });

  it('keeps answering INVALID_DATA for a callback method other than post before v8', async () => {
    const fileId = await fileIdAt(t, 'v7');
    for (const version of ['v2', 'v2.1', 'v7']) {
      const res = await createAt(t, version, {
        operation: 'insert',
        callback: { url: 'https://example.test/hook', method: 'put' },
        resource: [{ type: 'data', module: 'Leads', file_id: fileId, field_mappings: mappings }],
      });
      assert.equal(res.status, 400, version);
      assert.equal(res.body.code, 'INVALID_DATA', version);
      assert.deepEqual((res.body.details as Body).supported_callback_methods, ['post']);
    }
  });

  it("accepts v6+ file_names and echoes them, with every mapping's parent_column_index, in the job details", async () => {
    const fileId = await fileIdAt(t, 'v6', CSV, 'Leads.csv');
    for (const version of ['v6', 'v7', 'v8'] as const) {
      const res = await createAt(t, version, {
        operation: 'insert',
        resource: [
          {
            type: 'data',
            module: { api_name: 'Leads' },
            file_id: fileId,
            file_names: ['Leads.csv'],
            field_mappings: [{ api_name: 'Last_Name', index: 0, parent_column_index: null }, mappings[1], mappings[2]],
          },
        ],
      });
      assert.equal(res.status, 201, `${version}: ${res.text}`);
      const job = await waitAt(t, version, (res.body.details as { id: string }).id);
      assert.equal(job.status, 'COMPLETED');
      const resource = (job.resource as Resource[])[0]!;
      assert.deepEqual(resource.file_names, ['Leads.csv']);
      assert.deepEqual(
        resource.field_mappings.map((m) => [m.api_name, m.parent_column_index]),
        [
          ['Last_Name', null],
          ['Email', null],
          ['Company', null],
        ],
      );
    }
  });

  it('ignores file_names and parent_column_index before v6, as keys those versions do not have', async () => {
    const fileId = await fileIdAt(t, 'v5');
    const res = await createAt(t, 'v5', {
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: { api_name: 'Leads' },
          file_id: fileId,
          file_names: ['nothing.csv'],
          field_mappings: [{ ...mappings[0], parent_column_index: 'x' }, mappings[1], mappings[2]],
        },
      ],
    });
    assert.equal(res.status, 201, res.text);
    const job = (await detailsAt(t, 'v5', (res.body.details as { id: string }).id)).body;
    const resource = (job.resource as Resource[])[0]!;
    assert.equal('file_names' in resource, false);
    assert.equal('parent_column_index' in resource.field_mappings[0]!, false);
  });

  it('answers INVALID_DATA for file_names that the uploaded zip does not hold, or a bad parent_column_index', async () => {
    const fileId = await fileIdAt(t, 'v8');
    const bad: Array<[string, Body]> = [
      ['$.resource[0].file_names', { file_names: ['Contacts.csv'] }],
      ['$.resource[0].file_names', { file_names: 'leads.csv' }],
      ['$.resource[0].file_names', { file_names: ['leads.csv', 'leads.csv'] }],
      [
        '$.resource[0].field_mappings[0].parent_column_index',
        { field_mappings: [{ ...mappings[0], parent_column_index: -1 }, mappings[1], mappings[2]] },
      ],
      // A job with one resource has no parent to link to.
      [
        '$.resource[0].field_mappings[0].parent_column_index',
        { field_mappings: [{ ...mappings[0], parent_column_index: 0 }, mappings[1], mappings[2]] },
      ],
    ];
    for (const [path, change] of bad) {
      const res = await createAt(t, 'v8', {
        operation: 'insert',
        resource: [
          { type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings, ...change },
        ],
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'INVALID_DATA');
      assert.equal((res.body.details as Body).json_path, path);
    }
  });

  it('refuses more than one resource before v6 with INVALID_DATA: parent/child jobs came with v6', async () => {
    const fileId = await fileIdAt(t, 'v2.1');
    const resource = { type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings };
    for (const version of ['v2.1', 'v5'] as const) {
      const res = await createAt(t, version, { operation: 'insert', resource: [resource, resource] });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_DATA');
      assert.match(String(res.body.message), /one resource per job/);
      assert.deepEqual(res.body.details, { api_name: 'resource', json_path: '$.resource', supported_resources: 1 });
    }
  });

  it('answers INVALID_URL_PATTERN with HTTP 404 for a version Zoho never served, on every endpoint', async () => {
    const urls: Array<[string, string]> = [
      ['POST', `${t.url}/crm/v9/upload`],
      ['POST', `${t.url}/crm/v1/upload`],
      ['POST', `${t.url}/crm/bulk/v2.2/write`],
      ['POST', `${t.url}/crm/bulk/V8/write`],
      ['GET', `${t.url}/crm/bulk/v10/write/4150868000000100000`],
      ['GET', `${t.url}/crm/bulk/latest/write/4150868000000100000`],
    ];
    for (const [method, url] of urls) {
      const res = await call(url, { method, headers: auth(t.creds.access_token) });
      assert.equal(res.status, 404, url);
      assert.equal(
        res.text,
        '{"code":"INVALID_URL_PATTERN","details":{},"message":"Please check if the URL trying to access is a correct one","status":"error"}',
      );
    }
  });

  it('posts the callback in the version the job was created with', async () => {
    const hook = await startCallbackReceiver();
    try {
      const fileId = await fileIdAt(t, 'v8');
      const res = await createAt(t, 'v8', {
        operation: 'insert',
        callback: { url: hook.url, method: 'post' },
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, field_mappings: mappings }],
      });
      assert.equal(res.status, 201, res.text);
      await hook.waitFor(1);
      const body = JSON.parse(hook.hits[0]!.body) as Body;
      assert.equal(body.status, 'COMPLETED');
      assert.equal((body.created_by as Body).email, t.server.org.user.email);
      assert.equal(((body.resource as Resource[])[0]!.field_mappings[0]! as Body).parent_column_index, null);
    } finally {
      await hook.close();
    }
  });
});
