import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { auth, call, refreshGrantAt } from '../helpers/api.js';
import { CLI } from '../helpers/cli.js';
import { makeZip } from '../helpers/zip.js';

/**
 * A real `serve` process at the most talkative level (`trace`), its whole stderr captured, put through a
 * whole import: token grant and refresh, an upload, a job with a callback, its details, the result file,
 * a revocation, requests with the token in the query string. Nothing it logs may hold a token, a
 * secret or a CSV cell.
 */
describe('logs hold no tokens, secrets or CSV cell values', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-logs-'));
  let proc: ChildProcess;
  let url = '';
  let stderr = '';
  const env = { PATH: process.env.PATH, BULKWRITE_LOG_LEVEL: 'trace', BULKWRITE_POLL_INTERVAL_MS: '50' };

  before(async () => {
    proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
  });
  after(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs an import end to end and greps the log for each secret and each marker cell', async () => {
    const out = spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], {
      env,
      encoding: 'utf8',
    });
    const creds = JSON.parse(out.stdout) as Record<string, string>;
    const secrets = [creds.access_token!, creds.refresh_token!, creds.client_secret!, creds.grant_code!];

    // The grant code and the refresh token go through the accounts endpoint, in a form body.
    const exchange = await call(`${url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: creds.client_id!,
        client_secret: creds.client_secret!,
        code: creds.grant_code!,
      }),
    });
    assert.equal(typeof exchange.body.access_token, 'string', exchange.text);
    const refreshed = await refreshGrantAt(url, {
      client_id: creds.client_id!,
      client_secret: creds.client_secret!,
      refresh_token: creds.refresh_token!,
    });
    const token = refreshed.body.access_token as string;
    assert.equal(typeof token, 'string', refreshed.text);
    secrets.push(token, exchange.body.access_token as string, exchange.body.refresh_token as string);

    // Marker cells: one row stored, one refused (a bad e-mail), one duplicate.
    const markers = [
      'Mrk-Lastname-7f3a',
      'mrk-7f3a@example.com',
      'Mrk-Company-7f3a',
      'mrk-bad-7f3a@@x',
      'Mrk-Dup-7f3a',
    ];
    const csv =
      'Last_Name,Email,Company\n' +
      `${markers[0]},${markers[1]},${markers[2]}\n` +
      `${markers[4]},${markers[3]},x\n` +
      `${markers[4]},${markers[1]},y\n`;
    const form = new FormData();
    form.append('file', new Blob([await makeZip({ 'leads.csv': csv })]), 'leads.zip');
    const up = await call(`${url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { ...auth(token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id!, 'x-request-id': 'log-upload' },
      body: form,
    });
    assert.equal(up.status, 200, up.text);
    const created = await call(`${url}/crm/bulk/v2.1/write?access_token=${token}`, {
      method: 'POST',
      headers: { ...auth(token), 'content-type': 'application/json' },
      body: JSON.stringify({
        operation: 'insert',
        callback: { url: `${url}/_bulkwrite/inbox/logs`, method: 'post' },
        resource: [
          {
            type: 'data',
            module: { api_name: 'Leads' },
            file_id: (up.body.details as { file_id: string }).file_id,
          },
        ],
      }),
    });
    assert.equal(created.status, 201, created.text);
    const jobId = (created.body.details as { id: string }).id;
    let job: Record<string, unknown> = {};
    for (let i = 0; i < 200 && job.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await call(`${url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(token) })).body;
    }
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    const downloadUrl = (job.result as { download_url: string }).download_url;
    const result = await fetch(`${downloadUrl}?access_token=${token}`, { headers: auth(token) });
    assert.equal(result.status, 200);
    await result.arrayBuffer();
    // The callback reaches the built-in receiver (the worker logs its delivery).
    for (let i = 0; i < 100; i++) {
      const inbox = await call(`${url}/_bulkwrite/inbox/logs`);
      if (JSON.stringify(inbox.body).includes(jobId)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Failures that log the request: a revoked token in the query string, a wrong client secret.
    await call(`${url}/oauth/v2/token/revoke?token=${exchange.body.refresh_token as string}`, { method: 'POST' });
    await call(`${url}/crm/bulk/v2.1/write/${jobId}?access_token=${token}&refresh_token=${creds.refresh_token!}`);

    await new Promise((r) => setTimeout(r, 300));
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));

    const lines = stderr.split('\n').filter(Boolean);
    // The log did speak: every request, the worker's job and its callback.
    for (const said of ['"msg":"request completed"', '"msg":"job completed"', '"msg":"callback delivered"']) {
      assert.ok(stderr.includes(said), `${said} is not in the log: ${stderr.slice(-2000)}`);
    }
    assert.ok(stderr.includes('log-upload'), 'request ids reach the log');
    const leaks = (needle: string) => lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase()));
    for (const s of secrets) assert.deepEqual(leaks(s), [], `a token or secret is in the log: ${s.slice(0, 12)}…`);
    for (const m of markers) assert.deepEqual(leaks(m), [], `a CSV cell is in the log: ${m}`);
  });
});
