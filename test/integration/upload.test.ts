import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, upload } from '../helpers/api.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';
import { DEFAULTS } from '../../src/config.js';

const CSV = 'Last_Name,Email\nOne,one@example.com\n';

describe('POST /crm/v2.1/upload', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({ limits: { ...DEFAULTS.limits, maxUploadBytes: 64 * 1024 } });
  });
  after(() => t.close());

  it('stores a zip with one CSV and answers FILE_UPLOAD_SUCCESS with a numeric-string file_id', async () => {
    const res = await upload(t, await makeZip({ 'leads.csv': CSV }));
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['status', 'code', 'message', 'details']);
    assert.equal(res.body.status, 'success');
    assert.equal(res.body.code, 'FILE_UPLOAD_SUCCESS');
    assert.equal(res.body.message, 'file uploaded.');
    const details = res.body.details as { file_id: string; created_time: string };
    assert.match(details.file_id, /^\d{19}$/);
    assert.match(details.created_time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
  });

  it('passes over folders and macOS metadata when looking for the one CSV', async () => {
    const zip = await makeZip({
      'export/leads.csv': CSV,
      '__MACOSX/export/._leads.csv': 'junk',
      'export/readme.txt': 'hi',
    });
    const res = await upload(t, zip);
    assert.equal(res.status, 200, res.text);
  });

  const errorCases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string]> =
    [
      ['a file that is not a zip', async () => upload(t, Buffer.from('Last_Name\nx\n')), 400, 'INVALID_FILE_FORMAT'],
      ['a zip without a CSV', async () => upload(t, await makeZip({ 'notes.txt': 'x' })), 400, 'FILE_NOT_SUPPORTED'],
      [
        'a zip with two CSVs',
        async () => upload(t, await makeZip({ 'a.csv': CSV, 'b.csv': CSV })),
        400,
        'FILE_NOT_SUPPORTED',
      ],
      ['a zip whose CSV is empty', async () => upload(t, await makeZip({ 'a.csv': '' })), 400, 'FILE_NOT_SUPPORTED'],
      [
        'a zip over the size limit',
        async () =>
          upload(
            t,
            await makeZip({
              'a.csv': Buffer.from(Array.from({ length: 40_000 }, (_, i) => `${Math.random()}${i}`).join('\n')),
            }),
          ),
        413,
        'FILE_TOO_LARGE',
      ],
      [
        'a missing feature header',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { headers: { feature: '' } }),
        400,
        'NOT_SUPPORTED_FEATURE',
      ],
      [
        'a wrong feature header',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { headers: { feature: 'bulk-read' } }),
        400,
        'NOT_SUPPORTED_FEATURE',
      ],
      [
        'a missing X-CRM-ORG header',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { org: '' }),
        400,
        'MANDATORY_NOT_FOUND',
      ],
      [
        'an X-CRM-ORG of another org',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { org: '123456789' }),
        400,
        'INVALID_DATA',
      ],
      [
        'a part not named file',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { field: 'upload' }),
        400,
        'MANDATORY_NOT_FOUND',
      ],
      [
        'a body that is not multipart',
        async () =>
          call(`${t.url}/crm/v2.1/upload`, {
            method: 'POST',
            headers: {
              authorization: `Zoho-oauthtoken ${t.creds.access_token}`,
              feature: 'bulk-write',
              'X-CRM-ORG': t.creds.org_id,
              'content-type': 'application/zip',
            },
            body: await makeZip({ 'a.csv': CSV }),
          }),
        400,
        'INVALID_FILE_FORMAT',
      ],
      [
        'no Authorization header',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { token: '' }),
        401,
        'AUTHENTICATION_FAILURE',
      ],
      [
        'an unknown token',
        async () => upload(t, await makeZip({ 'a.csv': CSV }), { token: '1000.abc.def' }),
        401,
        'INVALID_TOKEN',
      ],
      [
        'a token without ZohoFiles.files.ALL',
        async () =>
          upload(t, await makeZip({ 'a.csv': CSV }), {
            token: (await t.credentials(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL'])).access_token,
          }),
        401,
        'OAUTH_SCOPE_MISMATCH',
      ],
    ];
  for (const [what, send, status, code] of errorCases) {
    it(`answers ${code} with HTTP ${status} for ${what}`, async () => {
      const res = await send();
      assert.equal(res.status, status);
      assert.equal(res.body.code, code);
      assert.equal(res.body.status, 'error');
      assert.equal(typeof res.body.details, 'object');
      assert.notEqual(res.body.details, null);
      assert.equal(typeof res.body.message, 'string');
    });
  }

  it('answers upload errors with HTTP 200 in the observed mode, as Zoho was recorded doing', async () => {
    const observed = await injectTestServer({ uploadErrorStatus: 'observed' });
    try {
      const res = await upload(observed, Buffer.from('not a zip'));
      assert.equal(res.status, 200);
      assert.equal(res.body.code, 'INVALID_FILE_FORMAT');
      assert.equal(res.body.message, 'invalid file format. only zip format is supported');
      assert.match(String((res.body.details as { created_time: string }).created_time), /^\d{4}-/);
    } finally {
      await observed.close();
    }
  });

  it('answers INVALID_URL_PATTERN for an unknown API version and INVALID_REQUEST_METHOD for GET', async () => {
    const bad = await call(`${t.url}/crm/v9.9/upload`, { method: 'POST' });
    assert.equal(bad.status, 404);
    assert.equal(bad.body.code, 'INVALID_URL_PATTERN');
    const get = await call(`${t.url}/crm/v2.1/upload`);
    assert.equal(get.status, 400);
    assert.equal(get.body.code, 'INVALID_REQUEST_METHOD');
  });
});
