import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataCenter } from '@zohocrm/typescript-sdk-8.0';
import { loadConfig } from '../../src/config.js';
import { DATA_CENTRES, DATA_CENTRE_NAMES, presentation } from '../../src/data-centres.js';
import { auth, call, runJob, refreshGrant } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const require = createRequire(import.meta.url);

interface SdkEnvironment {
  getUrl(): string;
  getAccountsUrl(): string;
  getFileUploadUrl(): string;
}
type SdkDataCentre = { PRODUCTION(): SdkEnvironment };

/** The official v8 SDK's own data centre classes (it exports all but SA from its index). */
function sdkDataCentre(name: string): SdkDataCentre {
  const file = require.resolve(`@zohocrm/typescript-sdk-8.0/dist/routes/dc/${name}_data_center.js`);
  const mod = require(file) as Record<string, SdkDataCentre>;
  return mod[`${name.toUpperCase()}DataCenter`]!;
}

/** A GET with a chosen Host header, as a client whose hosts file maps a Zoho host name to this server. */
function getWithHost(
  url: string,
  host: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...headers, host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('data centres: the server presents itself as any Zoho DC', () => {
  for (const name of DATA_CENTRE_NAMES) {
    it(`names the ${name.toUpperCase()} hosts the official v8 SDK uses for that DC`, async () => {
      const p = presentation({ publicUrl: '', dc: name }, 'http://127.0.0.1:8080');
      const sdk = sdkDataCentre(name).PRODUCTION();
      assert.equal(p.apiDomain, sdk.getUrl());
      assert.equal(`${p.accountsUrl}/oauth/v2/token`, sdk.getAccountsUrl());
      assert.equal(p.uploadUrl, sdk.getFileUploadUrl());
      assert.match(p.downloadBase, /^https:\/\/download-accl\.zoho/);
      // The v8 SDK maps a token answer's api_domain back to its DC: answering it keeps the SDK on that DC.
      const env = (await DataCenter.get(p.apiDomain)) as SdkEnvironment | null;
      assert.equal(env?.getUrl(), sdk.getUrl());
    });
  }

  it('presents as itself without a DC, and as the public URL whenever one is set', async () => {
    assert.deepEqual(presentation({ publicUrl: '', dc: '' }, 'http://127.0.0.1:9'), {
      apiDomain: 'http://127.0.0.1:9',
      accountsUrl: 'http://127.0.0.1:9',
      uploadUrl: 'http://127.0.0.1:9',
      downloadBase: 'http://127.0.0.1:9',
    });
    const pub = presentation({ publicUrl: 'https://bw.example.test/', dc: 'eu' }, 'http://127.0.0.1:9');
    assert.deepEqual(new Set(Object.values(pub)), new Set(['https://bw.example.test']));
    assert.equal(loadConfig({ BULKWRITE_DC: 'EU' }).dc, 'eu');
    assert.equal(loadConfig({}).dc, '');
    assert.throws(
      () => loadConfig({ BULKWRITE_DC: 'mars' }),
      /BULKWRITE_DC must be one of us, eu, in, au, cn, jp, ca, sa/,
    );
  });

  describe('a server presenting as EU', () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer({ dc: 'eu' });
    });
    after(() => t.close());

    it('answers api_domain https://www.zohoapis.eu from the token endpoint', async () => {
      const res = await refreshGrant(t);
      assert.equal(res.body.api_domain, 'https://www.zohoapis.eu');
      assert.deepEqual(t.server.presentation, {
        apiDomain: DATA_CENTRES.eu.api,
        accountsUrl: DATA_CENTRES.eu.accounts,
        uploadUrl: DATA_CENTRES.eu.upload,
        downloadBase: DATA_CENTRES.eu.download,
      });
    });

    it('links results on the EU download host, and serves that link’s path whatever Host it is asked with', async () => {
      const { details, jobId } = await runJob(t, 'Last_Name\nEuropa\n', {});
      const link = new URL((details.result as { download_url: string }).download_url);
      assert.equal(link.origin, 'https://download-accl.zoho.eu');
      assert.equal(link.pathname, `/v2/crm/${t.creds.org_id}/bulk-write/${jobId}/${jobId}.zip`);
      const mapped = await getWithHost(`${t.url}${link.pathname}`, link.host, auth(t.creds.access_token));
      assert.equal(mapped.status, 200);
      assert.equal(mapped.type, 'application/zip');
      const api = await getWithHost(
        `${t.url}/crm/bulk/v8/write/${jobId}`,
        'www.zohoapis.eu',
        auth(t.creds.access_token),
      );
      assert.equal(api.status, 200);
    });
  });

  it('lets a public URL override the DC in every answer', async () => {
    const server = await startTestServer({ dc: 'jp', publicUrl: 'http://bulkwrite.example.test:7000' });
    // The public name does not resolve here; talk to the listening port, as a proxy in front would.
    const t = { ...server, url: `http://127.0.0.1:${server.server.port}` };
    try {
      const res = await call(`${t.url}/oauth/v2/auth`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: t.creds.client_id,
          client_secret: t.creds.client_secret,
          scope: 'ZohoCRM.bulk.ALL,ZohoCRM.modules.ALL,ZohoFiles.files.ALL',
          soid: `ZohoCRM.${t.creds.org_id}`,
        }),
      });
      assert.equal(res.body.api_domain, 'http://bulkwrite.example.test:7000');
      const { details } = await runJob(t, 'Last_Name\nPublic\n', {});
      assert.match(
        String((details.result as { download_url: string }).download_url),
        /^http:\/\/bulkwrite\.example\.test:7000\/v2\/crm\//,
      );
    } finally {
      await server.close();
    }
  });

  it('serve --dc prints the DC it presents as, and credentials then names that DC’s hosts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-dc-'));
    const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--dc', 'in', '--data-dir', dataDir], {
      env: { ...process.env, BULKWRITE_LOG_LEVEL: 'warn' },
    });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve printed: ${output}`)), 15_000);
        server.stdout.on('data', (c: Buffer) => {
          output += c.toString();
          if (/presenting as: .*\n/.test(output) && /org: /.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
        server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
      });
      assert.match(output, /presenting as: https:\/\/www\.zohoapis\.in\n/);
      const run = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], {
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stderr);
      const creds = JSON.parse(run.stdout) as Record<string, string>;
      assert.equal(creds.api_domain, 'https://www.zohoapis.in');
      assert.equal(creds.token_url, 'https://accounts.zoho.in/oauth/v2/token');
      const bad = spawnSync(process.execPath, [CLI, 'serve', '--dc', 'atlantis'], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--dc must be one of/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
