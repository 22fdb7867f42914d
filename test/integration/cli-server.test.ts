import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { call, refreshGrantAt } from '../helpers/api.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

describe('bulkwrite serve and bulkwrite credentials', () => {
  let dataDir: string;
  let server: ReturnType<typeof spawn>;
  let url: string;
  let output = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-'));
    server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--read-page-size', '2'], {
      env: { ...process.env, BULKWRITE_LOG_LEVEL: 'warn' },
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 15_000);
      server.stdout!.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /bulkwrite listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
  });
  after(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('picks a free port with --port 0, prints it, creates the default org and says how to get a token', async () => {
    assert.match(url, /:\d+$/);
    assert.doesNotMatch(url, /:0$/);
    await new Promise((r) => setTimeout(r, 100));
    assert.match(output, /org: \d+ \(created now\)/);
    assert.match(output, /bulkwrite credentials --json/);
  });

  it('prints credentials as one JSON object that works against the running server', async () => {
    const run = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const creds = JSON.parse(run.stdout) as Record<string, string>;
    for (const key of [
      'org_id',
      'client_id',
      'client_secret',
      'refresh_token',
      'access_token',
      'api_domain',
      'accounts_url',
    ]) {
      assert.equal(typeof creds[key], 'string', key);
    }
    assert.equal(creds.api_domain, url);
    assert.match(output, new RegExp(`org: ${creds.org_id}`));
    const res = await call(`${url}/crm/bulk/v2.1/write/1`, {
      headers: { authorization: `Zoho-oauthtoken ${creds.access_token}` },
    });
    assert.equal(res.body.code, 'RESOURCE_NOT_FOUND');
    const token = await refreshGrantAt(creds.accounts_url!, {
      client_id: creds.client_id!,
      client_secret: creds.client_secret!,
      refresh_token: creds.refresh_token!,
    });
    assert.match(String(token.body.access_token), /^1000\./);
  });

  it('serve --read-page-size sets the page size of the read jobs it creates', async () => {
    const creds = JSON.parse(
      spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], { encoding: 'utf8' }).stdout,
    ) as Record<string, string>;
    const headers = { authorization: `Zoho-oauthtoken ${creds.access_token}` };
    const created = await call<{ data: Array<{ details: { id: string } }> }>(`${url}/crm/bulk/v8/read`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query: { module: { api_name: 'Leads' } } }),
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.data[0]!.details.id;
    for (const end = Date.now() + 15_000; ;) {
      const details = await call<{ data: Array<{ state: string; result?: Record<string, unknown> }> }>(
        `${url}/crm/bulk/v8/read/${id}`,
        { headers },
      );
      if (details.body.data[0]!.state === 'COMPLETED') {
        assert.equal(details.body.data[0]!.result!.per_page, 2);
        break;
      }
      assert.ok(Date.now() < end, 'the read job did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('grants only the scopes named with --scopes, so a scope error can be shown', async () => {
    const run = spawnSync(
      process.execPath,
      [CLI, 'credentials', '--json', '--scopes', 'ZohoCRM.modules.ALL', '--data-dir', dataDir],
      { encoding: 'utf8' },
    );
    const creds = JSON.parse(run.stdout) as { access_token: string; scopes: string[] };
    assert.deepEqual(creds.scopes, ['ZohoCRM.modules.ALL']);
    const res = await call(`${url}/crm/bulk/v2.1/write/1`, {
      headers: { authorization: `Zoho-oauthtoken ${creds.access_token}` },
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'OAUTH_SCOPE_MISMATCH');
  });

  it('refuses a data folder that holds no store, creating nothing there, and starts one only with --init', () => {
    const elsewhere = join(dataDir, 'elsewhere');
    const refused = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', elsewhere], {
      encoding: 'utf8',
    });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /^bulkwrite: no bulkwrite store in the data folder .*elsewhere/);
    assert.match(refused.stderr, /--data-dir .*--init/s);
    assert.equal(refused.stdout, '');
    assert.equal(existsSync(join(elsewhere, 'bulkwrite.db')), false);

    const init = spawnSync(
      process.execPath,
      [CLI, 'credentials', '--json', '--init', '--data-dir', elsewhere, '--public-url', 'http://127.0.0.1:9'],
      { encoding: 'utf8' },
    );
    assert.equal(init.status, 0, init.stderr);
    assert.equal((JSON.parse(init.stdout) as { api_domain: string }).api_domain, 'http://127.0.0.1:9');
    assert.equal(existsSync(join(elsewhere, 'bulkwrite.db')), true);
  });

  it('never names in api_domain a server that runs on another data folder', () => {
    // The running server listens on BULKWRITE_PORT, but its data folder is not this one.
    const port = new URL(url).port;
    for (const folder of ['another', 'elsewhere']) {
      const other = join(dataDir, folder);
      const run = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--init', '--data-dir', other], {
        encoding: 'utf8',
        env: { ...process.env, BULKWRITE_PORT: port },
      });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`a server answers at ${url}, but it does not run on this data folder`));
      assert.equal(run.stdout, '');
    }
    assert.equal(existsSync(join(dataDir, 'another', 'bulkwrite.db')), false, 'no store made for refused tokens');
  });

  it('exits with 2 and a message for an unknown command or flag', () => {
    const unknown = spawnSync(process.execPath, [CLI, 'frobnicate'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const flag = spawnSync(process.execPath, [CLI, 'serve', '--bogus'], { encoding: 'utf8' });
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /bogus/);
    assert.doesNotMatch(flag.stderr, /at .*\.js:\d+/);
    // Every command reports a usage problem the same way: one line from CliError, exit 2.
    for (const args of [
      ['worker', '--concurrency', '0'],
      ['serve', '--read-page-size', '0'],
      ['credentials', 'extra'],
      ['org', 'frobnicate', '--data-dir', dataDir],
    ]) {
      const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^bulkwrite: /);
      assert.doesNotMatch(run.stderr, /at .*\.js:\d+/);
    }
    const size = spawnSync(process.execPath, [CLI, 'serve', '--read-page-size', '200001'], { encoding: 'utf8' });
    assert.equal(size.status, 2);
    assert.match(size.stderr, /--read-page-size must be a whole number from 1 to 200000, got "200001"/);
  });
});
