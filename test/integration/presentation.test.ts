import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { issueCredentials, type Credentials } from '../../src/auth/org-setup.js';
import { loadConfig } from '../../src/config.js';
import { DATA_CENTRES } from '../../src/data-centres.js';
import { startServer } from '../../src/server.js';
import { auth, call } from '../helpers/api.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { CLI } from '../helpers/cli.js';
import { makeZip } from '../helpers/zip.js';

/** Uploads a one-row CSV and creates an insert job that posts its details to `callbackUrl`. */
async function createJobWithCallback(url: string, creds: Credentials, callbackUrl: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([await makeZip({ 'leads.csv': 'Last_Name\nEuropa\n' })]), 'leads.zip');
  const up = await call(`${url}/crm/v8/upload`, {
    method: 'POST',
    headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id },
    body: form,
  });
  assert.equal(up.status, 200, up.text);
  const created = await call(`${url}/crm/bulk/v8/write`, {
    method: 'POST',
    headers: { ...auth(creds.access_token), 'content-type': 'application/json' },
    body: JSON.stringify({
      operation: 'insert',
      callback: { url: callbackUrl, method: 'post' },
      resource: [
        { type: 'data', module: { api_name: 'Leads' }, file_id: (up.body.details as { file_id: string }).file_id },
      ],
    }),
  });
  assert.equal(created.status, 201, created.text);
  return (created.body.details as { id: string }).id;
}

/** A callback body with what differs between any two jobs (id, creation time) taken out. */
function comparable(body: string, jobId: string): Record<string, unknown> {
  const details = JSON.parse(body.replaceAll(jobId, '<job>')) as Record<string, unknown>;
  assert.match(String(details.created_time), /^\d{4}-\d{2}-\d{2}T/);
  delete details.created_time;
  return details;
}

describe('presentation: one answer to which hosts bulkwrite names', () => {
  it('posts the same callback, on the EU download host, whether serve or bulkwrite worker ran the job', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-presented-'));
    const env = { BULKWRITE_DC: 'eu', BULKWRITE_POLL_INTERVAL_MS: '50', BULKWRITE_LOG_LEVEL: 'info' };
    const config = loadConfig(env, { port: 0, dataDir, logLevel: 'silent' });
    const hook = await startCallbackReceiver();
    const bodies: Array<Record<string, unknown>> = [];
    try {
      // serve: the API and its own worker thread.
      const serve = await startServer(config);
      const creds = await issueCredentials(serve.storage, serve.org, {
        now: Date.now(),
        tokenTtlSeconds: 3600,
        apiDomain: serve.url,
      });
      try {
        const jobId = await createJobWithCallback(serve.url, creds, hook.url);
        await hook.waitFor(1);
        bodies.push(comparable(hook.hits[0]!.body, jobId));
      } finally {
        await serve.close();
      }

      // The API alone, and a `bulkwrite worker` process on the same data folder.
      const api = await startServer({ ...config, worker: false });
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BULKWRITE_')));
      const worker = spawn(process.execPath, [CLI, 'worker', '--data-dir', dataDir], { env: { ...base, ...env } });
      let stdout = '';
      let stderr = '';
      worker.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      try {
        await new Promise<void>((resolve, reject) => {
          worker.stdout.on('data', (c: Buffer) => {
            stdout += c.toString();
            if (/worker thread/.test(stdout)) resolve();
          });
          worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${stdout}${stderr}`)));
        });
        const jobId = await createJobWithCallback(api.url, creds, hook.url);
        await hook.waitFor(2);
        bodies.push(comparable(hook.hits[1]!.body, jobId));
      } finally {
        worker.kill('SIGTERM');
        await exited;
        await api.close();
      }

      // The worker process logged through the one logger: JSON lines, its threads named, no token.
      const lines = stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const claimed = lines.find((l) => l.msg === 'job claimed');
      assert.equal(claimed?.name, 'worker', stderr);
      assert.equal(typeof claimed.thread, 'number');
      assert.equal(stderr.includes(creds.access_token), false);
    } finally {
      await hook.close();
      rmSync(dataDir, { recursive: true, force: true });
    }

    const [byServe, byWorker] = bodies as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(byServe.status, 'COMPLETED');
    const link = new URL((byServe.result as { download_url: string }).download_url);
    assert.equal(link.origin, DATA_CENTRES.eu.download);
    assert.deepEqual(byWorker, byServe);
  });
});
