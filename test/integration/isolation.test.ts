import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { createOrg, issueCredentials, issueGrantCode, type Credentials } from '../../src/auth/org-setup.js';
import { auth, call, unzipEntries, type HttpAnswer } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const VERSIONS = ['v2', 'v2.1', 'v8'];
const NOT_FOUND =
  '{"status":"error","code":"RESOURCE_NOT_FOUND","message":"The requested resource doesn\'t exist.","details":{}}';
const LINK_NOT_VALID = '{"info":"Forbidden","x-info":"Link not valid","http_status":"403"}';

type Body = Record<string, unknown>;

describe('many orgs: no request sees or changes another org’s files, jobs, records, tokens or clients', () => {
  let t: TestServer;
  let a: Credentials;
  let b: Credentials;
  let aFileId: string;
  let aJobId: string;
  let aDownload: string;
  let aRecordId: string;

  async function upload(creds: Credentials, csv: string, org = creds.org_id, version = 'v2.1'): Promise<HttpAnswer> {
    const form = new FormData();
    form.append('file', new Blob([await makeZip({ 'leads.csv': csv })], { type: 'application/zip' }), 'leads.zip');
    return call(`${t.url}/crm/${version}/upload`, {
      method: 'POST',
      headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': org },
      body: form,
    });
  }

  function create(creds: Credentials, body: unknown, version = 'v2.1'): Promise<HttpAnswer> {
    return call(`${t.url}/crm/bulk/${version}/write`, {
      method: 'POST',
      headers: { ...auth(creds.access_token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function runJob(creds: Credentials, csv: string, resource: Body, operation = 'insert') {
    const up = await upload(creds, csv);
    assert.equal(up.status, 200, up.text);
    const fileId = (up.body.details as { file_id: string }).file_id;
    const res = await create(creds, {
      operation,
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, ...resource }],
    });
    assert.equal(res.status, 201, res.text);
    const jobId = (res.body.details as { id: string }).id;
    for (const until = Date.now() + 30_000; ;) {
      const d = await call(`${t.url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(creds.access_token) });
      if (d.body.status === 'COMPLETED' || d.body.status === 'FAILED') return { fileId, jobId, details: d.body };
      assert.ok(Date.now() < until);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function resultRows(creds: Credentials, url: string): Promise<Record<string, string>[]> {
    const res = await fetch(url, { headers: auth(creds.access_token) });
    assert.equal(res.status, 200);
    const csv = [...(await unzipEntries(Buffer.from(await res.arrayBuffer()))).values()][0]!.toString('utf8');
    return Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true }).data;
  }

  before(async () => {
    t = await startTestServer();
    a = t.creds;
    const { org } = await createOrg(t.server.storage, { name: 'Org B', timeZone: 'Asia/Kolkata', now: Date.now() });
    b = await issueCredentials(t.server.storage, org, { now: Date.now(), tokenTtlSeconds: 3600, apiDomain: t.url });
    const run = await runJob(a, 'Last_Name,Email,Company\nSecret,secret@example.com,Org A Inc\n', {});
    aFileId = run.fileId;
    aJobId = run.jobId;
    aDownload = (run.details.result as { download_url: string }).download_url;
    aRecordId = (await resultRows(a, aDownload))[0]!.RECORD_ID!;
    assert.match(aRecordId, /^\d+$/);
  });
  after(() => t.close());

  it('answers another org’s job id exactly as an unknown one, under every version', async () => {
    for (const version of VERSIONS) {
      const crossed = await call(`${t.url}/crm/bulk/${version}/write/${aJobId}`, { headers: auth(b.access_token) });
      const unknown = await call(`${t.url}/crm/bulk/${version}/write/4150868000999999999`, {
        headers: auth(b.access_token),
      });
      assert.equal(crossed.status, 400);
      assert.equal(crossed.text, NOT_FOUND);
      assert.equal(unknown.text, crossed.text);
      assert.doesNotMatch(crossed.text, /Secret|Org A/);
    }
    const own = await call(`${t.url}/crm/bulk/v2.1/write/${aJobId}`, { headers: auth(a.access_token) });
    assert.equal(own.status, 200, 'the owner still sees it');
  });

  it('answers INVALID_FILE_ID (v8: FILE_NOT_FOUND) when one org names another org’s file id, and queues nothing', async () => {
    for (const version of VERSIONS) {
      const before = (await t.server.storage.jobs.list(b.org_id, 100)).length;
      const res = await create(
        b,
        {
          operation: 'insert',
          resource: [{ type: 'data', module: version === 'v2' ? 'Leads' : { api_name: 'Leads' }, file_id: aFileId }],
        },
        version,
      );
      assert.equal(res.status, 400);
      // v8's OpenAPI file names FILE_NOT_FOUND for a file id no upload has (in this org).
      assert.equal(res.body.code, version === 'v8' ? 'FILE_NOT_FOUND' : 'INVALID_FILE_ID');
      assert.equal((await t.server.storage.jobs.list(b.org_id, 100)).length, before);
    }
  });

  it('answers 403 "Link not valid" for another org’s result, whatever org id the link names', async () => {
    const bOrgLink = aDownload.replace(`/crm/${a.org_id}/`, `/crm/${b.org_id}/`);
    const prefixed = aDownload.replace(`/crm/${a.org_id}/`, `/crm/org${a.org_id}/`);
    for (const url of [aDownload, bOrgLink, prefixed]) {
      const res = await call(url, { headers: auth(b.access_token) });
      assert.equal(res.status, 403, url);
      assert.equal(res.text, LINK_NOT_VALID);
    }
    const own = await fetch(prefixed, { headers: auth(a.access_token) });
    assert.equal(own.status, 200, 'the org{zgid} form of the link works for the owner');
  });

  it('refuses an upload whose X-CRM-ORG names another org than the token’s', async () => {
    for (const version of VERSIONS) {
      const res = await upload(b, 'Last_Name\nX\n', a.org_id, version);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_DATA');
      assert.equal((res.body.details as Body).header, 'X-CRM-ORG');
    }
  });

  it('does not update another org’s record by its id: the row is RESOURCE_NOT_FOUND and the record unchanged', async () => {
    const run = await runJob(
      b,
      `id,Last_Name\n${aRecordId},Hacked\n`,
      {
        find_by: 'id',
        field_mappings: [
          { api_name: 'id', index: 0 },
          { api_name: 'Last_Name', index: 1 },
        ],
      },
      'update',
    );
    assert.equal(run.details.status, 'COMPLETED');
    const rows = await resultRows(b, (run.details.result as { download_url: string }).download_url);
    assert.equal(rows[0]!.STATUS, 'SKIPPED');
    assert.match(rows[0]!.ERRORS ?? '', /RESOURCE_NOT_FOUND/);
    const record = await t.server.storage.records.get(a.org_id, 'Leads', aRecordId);
    assert.equal(record?.data.Last_Name, 'Secret');
    assert.equal(await t.server.storage.records.get(b.org_id, 'Leads', aRecordId), undefined);
  });

  it('keeps unique values per org: another org may insert the same email, and sees none of the first', async () => {
    const run = await runJob(b, 'Last_Name,Email\nMine,secret@example.com\n', {});
    const rows = await resultRows(b, (run.details.result as { download_url: string }).download_url);
    assert.equal(rows[0]!.STATUS, 'ADDED', 'no DUPLICATE_DATA from another org’s record');
    assert.equal(await t.server.storage.records.count(b.org_id, 'Leads'), 1);
  });

  it('does not exchange one org’s refresh token or grant code with another org’s client', async () => {
    const token = (fields: Record<string, string>) =>
      call(`${t.url}/oauth/v2/token`, { method: 'POST', body: new URLSearchParams(fields) });
    const refresh = await token({
      grant_type: 'refresh_token',
      client_id: b.client_id,
      client_secret: b.client_secret,
      refresh_token: a.refresh_token,
    });
    assert.deepEqual(refresh.body, { error: 'invalid_code' });
    const grant = await token({
      grant_type: 'authorization_code',
      client_id: b.client_id,
      client_secret: b.client_secret,
      code: a.grant_code,
    });
    assert.deepEqual(grant.body, { error: 'invalid_code' });
    const mixedSecret = await token({
      grant_type: 'refresh_token',
      client_id: a.client_id,
      client_secret: b.client_secret,
      refresh_token: a.refresh_token,
    });
    assert.deepEqual(mixedSecret.body, { error: 'invalid_client_secret' });
    const otherOrg = await token({
      grant_type: 'client_credentials',
      client_id: b.client_id,
      client_secret: b.client_secret,
      scope: 'ZohoCRM.bulk.ALL',
      soid: `ZohoCRM.${a.org_id}`,
    });
    assert.deepEqual(otherOrg.body, { error: 'invalid_client' });
  });

  it('gives every token its own org: the same request with each org’s token sees only that org', async () => {
    const { org, client } = await createOrg(t.server.storage, { name: 'Org C', now: Date.now() });
    const { code } = await issueGrantCode(t.server.storage, org, client, {
      scopes: ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL', 'ZohoFiles.files.ALL'],
      now: Date.now(),
    });
    const exchanged = await call(`${t.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
      }),
    });
    const c = { ...b, org_id: org.id, access_token: String(exchanged.body.access_token) };
    for (const creds of [b, c]) {
      const res = await call(`${t.url}/crm/bulk/v2.1/write/${aJobId}`, { headers: auth(creds.access_token) });
      assert.equal(res.text, NOT_FOUND);
    }
    const up = await upload(c, 'Last_Name\nC\n');
    assert.equal(up.status, 200, up.text);
    const cFile = (up.body.details as { file_id: string }).file_id;
    for (const creds of [a, b]) {
      const res = await create(creds, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: cFile }],
      });
      assert.equal(res.body.code, 'INVALID_FILE_ID');
    }
  });

  it('revokes one org’s tokens without touching another org’s', async () => {
    const revoke = await call(`${t.url}/oauth/v2/token/revoke?token=${b.refresh_token}`, { method: 'POST' });
    assert.deepEqual(revoke.body, { status: 'success' });
    const bNow = await call(`${t.url}/crm/bulk/v2.1/write/${aJobId}`, { headers: auth(b.access_token) });
    assert.equal(bNow.body.code, 'INVALID_TOKEN');
    const aNow = await call(`${t.url}/crm/bulk/v2.1/write/${aJobId}`, { headers: auth(a.access_token) });
    assert.equal(aNow.status, 200);
  });
});
