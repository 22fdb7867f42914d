import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJob, uploadCsv } from '../helpers/api.js';
import { httpBytes, rawRequest } from '../helpers/raw-http.js';
import { call } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

/** One raw request over a socket (fetch refuses TRACE), and its status and body parsed as JSON. */
function raw(url: string, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('answers that escaped Zoho’s envelope', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ worker: false });
  });
  after(() => t.close());

  for (const method of ['OPTIONS', 'TRACE']) {
    it(`answers ${method} on a served path as every other wrong method: INVALID_REQUEST_METHOD`, async () => {
      const res = await raw(t.url, method, '/crm/bulk/v2.1/write');
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'INVALID_REQUEST_METHOD');
      assert.equal(res.body.status, 'error');
    });
  }

  it('answers a path that is not valid percent-encoding in the envelope, not with FST_ERR_BAD_URL', async () => {
    const res = await raw(t.url, 'GET', '/crm/bulk/v2.1/write/%ff');
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'INVALID_URL_PATTERN');
    assert.equal(res.body.status, 'error');
    assert.deepEqual(Object.keys(res.body).sort(), ['code', 'details', 'message', 'status']);
  });

  it('answers a console path its file server refuses (`//`, a range past the end) in the envelope, not with 500', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await call(`${t.url}/console//`, { method });
      assert.equal(res.status, 404, `${method}: ${res.text}`);
      if (method === 'GET') assert.equal(res.body.code, 'INVALID_URL_PATTERN');
    }
    const range = await call(`${t.url}/console/style.css`, { headers: { range: 'bytes=99999999-' } });
    assert.equal(range.status, 416);
    assert.equal(range.body.code, 'INVALID_REQUEST');
    assert.deepEqual(Object.keys(range.body).sort(), ['code', 'details', 'message', 'status']);
  });
});

/** A multipart body of `parts` (name, filename, bytes), closed or not. */
function multipart(parts: Array<[string, string, Buffer]>, closed = true): Buffer {
  const chunks: Buffer[] = [];
  for (const [name, filename, bytes] of parts) {
    chunks.push(
      Buffer.from(
        `--XX\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/zip\r\n\r\n`,
      ),
      bytes,
      Buffer.from('\r\n'),
    );
  }
  if (closed) chunks.push(Buffer.from('--XX--\r\n'));
  return Buffer.concat(chunks);
}

describe('uploads, headers and bodies that escaped the envelope', () => {
  let t: TestServer;
  let zip: Buffer;
  const uploadHeaders = () => ({
    authorization: `Zoho-oauthtoken ${t.creds.access_token}`,
    feature: 'bulk-write',
    'X-CRM-ORG': t.creds.org_id,
    'content-type': 'multipart/form-data; boundary=XX',
  });
  before(async () => {
    t = await startTestServer({ worker: false });
    zip = await makeZip({ 'leads.csv': 'Last_Name,Email\nAda,ada@example.com\n' });
  });
  after(() => t.close());

  it('answers a multipart body cut before its closing boundary with INVALID_FILE_FORMAT, at once', async () => {
    const whole = multipart([['file', 'leads.zip', zip]]);
    for (const cut of [whole.length - 12, whole.length - 5, 120, Math.floor(whole.length / 2)]) {
      const body = whole.subarray(0, cut);
      const res = await rawRequest(t.url, httpBytes('POST', '/crm/v2.1/upload', uploadHeaders(), body), 3000);
      assert.equal(res.status, 400, `cut at ${cut}: ${res.text}`);
      const answer = JSON.parse(res.text) as Record<string, unknown>;
      assert.equal(answer.code, 'INVALID_FILE_FORMAT');
      assert.equal(answer.status, 'error');
    }
    // Nothing of the cut uploads is left behind: a temp file goes once its stream has closed, which may
    // be just after the answer was sent.
    const tmp = join(t.dataDir, 'blobs', 'tmp');
    for (let waited = 0; readdirSync(tmp).length > 0 && waited < 2_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(tmp), []);
    const ok = await rawRequest(t.url, httpBytes('POST', '/crm/v2.1/upload', uploadHeaders(), whole));
    assert.equal(ok.status, 200, ok.text);
  });

  it('refuses two file parts instead of keeping the first: INVALID_FILE_FORMAT, reason multiple-files', async () => {
    const body = multipart([
      ['file', 'a.zip', zip],
      ['file', 'b.zip', zip],
    ]);
    const res = await rawRequest(t.url, httpBytes('POST', '/crm/v2.1/upload', uploadHeaders(), body));
    assert.equal(res.status, 400, res.text);
    const answer = JSON.parse(res.text) as { code: string; details: Record<string, unknown> };
    assert.equal(answer.code, 'INVALID_FILE_FORMAT');
    assert.equal(answer.details.reason, 'multiple-files');
    assert.equal(answer.details.api_name, 'file');
  });

  it('answers a 100 KB header or URL in the envelope (431 LIMIT_EXCEEDED), not with Node’s body', async () => {
    const big = 'x'.repeat(100_000);
    for (const bytes of [
      httpBytes('GET', '/crm/bulk/v2.1/write/1', { 'X-Big': big }),
      httpBytes('GET', `/crm/bulk/v2.1/write/1?x=${big}`),
      httpBytes('POST', `/oauth/v2/token?${big}`),
    ]) {
      const res = await rawRequest(t.url, bytes);
      assert.equal(res.status, 431);
      assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
      const answer = JSON.parse(res.text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(answer).sort(), ['code', 'details', 'message', 'status']);
      assert.equal(answer.code, 'LIMIT_EXCEEDED');
      assert.deepEqual(answer.details, { reason: 'header-size', max_bytes: 16384 });
    }
    const broken = await rawRequest(t.url, 'G@T / HTTP/1.1\r\n\r\n');
    assert.equal(broken.status, 400);
    assert.equal((JSON.parse(broken.text) as Record<string, unknown>).code, 'INVALID_REQUEST');
  });

  it('refuses a default_value nested 5,000 deep with INVALID_DATA and its json_path; deep JSON elsewhere is no 5xx', async () => {
    const fileId = await uploadCsv(t, 'Last_Name,Email\nAda,ada@example.com\n');
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const job = (mapping: string, extra = '') =>
      `{"operation":"insert"${extra},"resource":[{"type":"data","module":{"api_name":"Leads"},"file_id":"${fileId}",` +
      `"field_mappings":[{"api_name":"Last_Name","index":0${mapping}}]}]}`;
    const refused = await createJob(t, job(`,"default_value":{"value":${deep}}`));
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.code, 'INVALID_DATA');
    assert.deepEqual(refused.body.details, {
      api_name: 'value',
      json_path: '$.resource[0].field_mappings[0].default_value.value',
    });
    for (const body of [
      job(`,"default_value":{"name":${deep}}`),
      job('', `,"x":${deep}`),
      job(`,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      '['.repeat(1_000_000) + ']'.repeat(1_000_000),
    ]) {
      const res = await createJob(t, body);
      assert.ok(res.status < 500, res.text.slice(0, 300));
      assert.ok(res.body.status === 'success' || res.body.status === 'error', res.text.slice(0, 300));
    }
  });
});
