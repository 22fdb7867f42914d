import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

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
});
