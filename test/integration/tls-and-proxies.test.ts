import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

/** A self-signed certificate for 127.0.0.1, made by openssl in `dir`. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const out = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`openssl failed: ${out.stderr}`);
  return { cert, key };
}

/** One HTTPS request trusting `ca` only; the status and the body. */
function httpsCall(
  url: string,
  ca: Buffer | undefined,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('serve --tls-cert/--tls-key: HTTPS, and https in every URL the server names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-tls-'));
  let t: TestServer;
  let ca: Buffer;
  before(async () => {
    const { cert, key } = selfSigned(dir);
    ca = readFileSync(cert);
    t = await startTestServer({ tlsCertFile: cert, tlsKeyFile: key });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers over TLS with the certificate, names https, and runs a job whose download link is https', async () => {
    assert.match(t.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(t.server.presentation.apiDomain, t.url);
    await assert.rejects(httpsCall(`${t.url}/crm/bulk/v2.1/write/1`, undefined), /self[- ]signed/i);
    const auth = { authorization: `Zoho-oauthtoken ${t.creds.access_token}` };

    const form = new FormData();
    form.append('file', new Blob([await makeZip({ 'leads.csv': 'Last_Name\nAda\n' })]), 'leads.zip');
    const encoded = new Request('https://x/', { method: 'POST', body: form });
    const up = await httpsCall(`${t.url}/crm/v2.1/upload`, ca, {
      method: 'POST',
      headers: {
        ...auth,
        feature: 'bulk-write',
        'X-CRM-ORG': t.creds.org_id,
        'content-type': encoded.headers.get('content-type')!,
      },
      body: Buffer.from(await encoded.arrayBuffer()),
    });
    assert.equal(up.status, 200, up.body.toString());
    const fileId = (JSON.parse(up.body.toString()) as { details: { file_id: string } }).details.file_id;
    const created = await httpsCall(`${t.url}/crm/bulk/v2.1/write`, ca, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({
          operation: 'insert',
          resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
        }),
      ),
    });
    assert.equal(created.status, 201, created.body.toString());
    const jobId = (JSON.parse(created.body.toString()) as { details: { id: string } }).details.id;
    let job: { status?: string; result?: { download_url: string } } = {};
    for (let i = 0; i < 200 && job.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = JSON.parse(
        (await httpsCall(`${t.url}/crm/bulk/v2.1/write/${jobId}`, ca, { headers: auth })).body.toString(),
      );
    }
    assert.equal(job.status, 'COMPLETED');
    assert.ok(job.result!.download_url.startsWith(`${t.url}/`), job.result!.download_url);
    const zip = await httpsCall(job.result!.download_url, ca, { headers: auth });
    assert.equal(zip.status, 200);
    assert.equal(zip.body.subarray(0, 2).toString('latin1'), 'PK');
  });

  it('refuses a certificate without its key at start', async () => {
    await assert.rejects(startTestServer({ tlsCertFile: join(dir, 'cert.pem') }), /go together/);
  });
});

describe('X-Forwarded-* only from BULKWRITE_TRUSTED_PROXIES', () => {
  const forwarded = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test' };

  it('ignores forwarded headers from a peer that is not a trusted proxy: the admin loopback rule holds', async () => {
    const t = await startTestServer({ worker: false, trustedProxies: ['10.0.0.0/8'] });
    try {
      const res = await call(`${t.url}/_bulkwrite/health`, { headers: forwarded });
      assert.equal(res.status, 200, res.text);
    } finally {
      await t.close();
    }
  });

  it('believes a trusted proxy: the client it forwards for is not loopback, so admin calls are refused', async () => {
    const t = await startTestServer({ worker: false, trustedProxies: ['127.0.0.1'] });
    try {
      const res = await call(`${t.url}/_bulkwrite/health`, { headers: forwarded });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.body.code, 'ADMIN_LOOPBACK_ONLY');
      assert.equal((await call(`${t.url}/_bulkwrite/health`)).status, 200);
    } finally {
      await t.close();
    }
  });

  it('refuses a BULKWRITE_TRUSTED_PROXIES entry that is neither an address nor a CIDR range', async () => {
    const { loadConfig } = await import('../../src/config.js');
    assert.throws(() => loadConfig({ BULKWRITE_TRUSTED_PROXIES: '10.0.0.0/8,proxy.local' }), /proxy\.local/);
    assert.deepEqual(loadConfig({ BULKWRITE_TRUSTED_PROXIES: ' 10.0.0.0/8, ::1 ' }).trustedProxies, [
      '10.0.0.0/8',
      '::1',
    ]);
  });
});
