import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { buildApp } from '../../src/api/app.js';
import { openFsBlobs } from '../../src/blobs/blobs.js';
import { DEFAULTS, loadConfig } from '../../src/config.js';
import { openStorage } from '../../src/storage/open-storage.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, call, createJob, runJob, uploadCsv } from '../helpers/api.js';
import { startCallbackReceiver } from '../helpers/callback-receiver.js';
import { CliProcesses, createLeadsJobAt } from '../helpers/cli-processes.js';
import { CLI } from '../helpers/cli.js';
import { testSchemas } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const leadsCsv = (n: number, prefix: string) =>
  [
    'Last_Name,Email,Company',
    ...Array.from({ length: n }, (_, i) => `${prefix}${i},${prefix}${i}@example.com,Co`),
    // Two rows that are refused (no Last_Name, a mandatory field): SKIPPED.
    `,bad1-${prefix}@example.com,Co`,
    `,bad2-${prefix}@example.com,Co`,
  ].join('\n');

/** The value of one series in Prometheus's text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(t: { url: string }): Promise<string> {
  const res = await fetch(`${t.url}/_bulkwrite/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /_bulkwrite/ready and /_bulkwrite/metrics on SQLite, over a socket', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ callback: { ...DEFAULTS.callback, attempts: 2, timeoutMs: 2000, backoffMs: 10 } });
  });
  after(() => t.close());

  it('is ready when the store answers, every migration is applied and the worker thread runs', async () => {
    const res = await call(`${t.url}/_bulkwrite/ready`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ready', checks: { store: 'ok', migrations: 'ok', worker: 'ok' } });
  });

  it('counts rows by outcome, job durations and callback tries made in the worker thread', async () => {
    const hook = await startCallbackReceiver([500, 500]);
    try {
      const before = await scrape(t);
      const { details } = await runJob(
        t,
        leadsCsv(5, 'm'),
        {},
        { operation: 'insert', callback: { url: hook.url, method: 'post' } },
      );
      assert.equal(details.status, 'COMPLETED');
      await hook.waitFor(2);
      // The last event travels from the worker thread after the second try.
      let after = '';
      for (let i = 0; i < 50; i++) {
        after = await scrape(t);
        if (
          (sample(after, 'bulkwrite_callback_failures_total') ?? 0) >
          (sample(before, 'bulkwrite_callback_failures_total') ?? 0)
        )
          break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const delta = (name: string, labels: Record<string, string> = {}) =>
        (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
      assert.equal(delta('bulkwrite_rows_total', { outcome: 'ADDED' }), 5);
      assert.equal(delta('bulkwrite_rows_total', { outcome: 'SKIPPED' }), 2);
      assert.equal(delta('bulkwrite_rows_total', { outcome: 'UPDATED' }), 0);
      assert.equal(delta('bulkwrite_job_duration_seconds_count', { status: 'COMPLETED' }), 1);
      assert.equal(delta('bulkwrite_callback_attempts_total', { result: 'error' }), 2);
      assert.equal(delta('bulkwrite_callback_attempts_total', { result: 'delivered' }), 0);
      assert.equal(delta('bulkwrite_callback_failures_total'), 1);
      assert.equal(sample(after, 'bulkwrite_jobs', { status: 'COMPLETED' }), 1);
      assert.equal(sample(after, 'bulkwrite_worker_threads'), 1);
      assert.equal(sample(after, 'bulkwrite_store_pool_connections', { state: 'total' }), undefined);
      assert.ok((sample(after, 'bulkwrite_process_resident_memory_bytes') ?? 0) > 0);
    } finally {
      await hook.close();
    }
  });

  it('counts HTTP answers by route pattern, status and Zoho code, with their latency', async () => {
    const before = await scrape(t);
    const bad = await call(`${t.url}/crm/bulk/v2.1/write/123`, { headers: auth('1000.nope.nope') });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, 'INVALID_TOKEN');
    const missing = await call(`${t.url}/crm/bulk/v2.1/write/999999`, { headers: auth(t.creds.access_token) });
    assert.equal(missing.body.code, 'RESOURCE_NOT_FOUND');
    await call(`${t.url}/no/such/path`);
    const after = await scrape(t);
    const labels = { route: '/crm/bulk/:version/write/:jobId', method: 'GET' };
    const delta = (name: string, l: Record<string, string>) =>
      (sample(after, name, l) ?? 0) - (sample(before, name, l) ?? 0);
    assert.equal(delta('bulkwrite_http_requests_total', { ...labels, status: '401', code: 'INVALID_TOKEN' }), 1);
    assert.equal(delta('bulkwrite_http_requests_total', { ...labels, status: '400', code: 'RESOURCE_NOT_FOUND' }), 1);
    assert.equal(
      delta('bulkwrite_http_requests_total', {
        route: 'unmatched',
        method: 'GET',
        status: '404',
        code: 'INVALID_URL_PATTERN',
      }),
      1,
    );
    assert.equal(delta('bulkwrite_http_request_duration_seconds_count', labels), 2);
    assert.equal(delta('bulkwrite_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }), 2);
  });

  it('keeps both under the admin rule: another machine is refused, a token is no way in', async () => {
    for (const url of ['/_bulkwrite/ready', '/_bulkwrite/metrics']) {
      const res = await t.server.app.inject({
        url,
        remoteAddress: '10.1.2.3',
        headers: auth(t.creds.access_token),
      });
      assert.equal(res.statusCode, 403, url);
      assert.equal((JSON.parse(res.body) as { code: string }).code, 'ADMIN_LOOPBACK_ONLY');
    }
  });
});

describe('queue gauges while no worker runs', () => {
  it('show the queued job, its age, and readiness with the worker off', async () => {
    const t = await startTestServer({ worker: false });
    try {
      const fileId = await uploadCsv(t, leadsCsv(3, 'q'));
      const created = await createJob(t, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      assert.equal(created.status, 201);
      await new Promise((r) => setTimeout(r, 1100));
      const text = await scrape(t);
      assert.equal(sample(text, 'bulkwrite_queue_depth'), 1);
      assert.equal(sample(text, 'bulkwrite_jobs', { status: 'ADDED' }), 1);
      assert.equal(sample(text, 'bulkwrite_jobs', { status: 'COMPLETED' }), 0);
      assert.equal(sample(text, 'bulkwrite_worker_threads'), 0);
      const age = sample(text, 'bulkwrite_queue_oldest_age_seconds') ?? 0;
      assert.ok(age >= 1 && age < 30, `oldest queued age ${age}`);
      const ready = await call(`${t.url}/_bulkwrite/ready`);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks, { store: 'ok', migrations: 'ok', worker: 'off' });
    } finally {
      await t.close();
    }
  });
});

describe('readiness that fails', () => {
  it('answers 503 naming the worker when one should run and none does, and the store when it does not answer', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-ready-'));
    const config = loadConfig({}, { port: 0, dataDir, logLevel: 'silent' });
    const storage = await openStorage(config);
    const app = await buildApp({
      config,
      storage,
      blobs: openFsBlobs(join(dataDir, 'blobs')),
      baseUrl: () => 'http://127.0.0.1',
      workers: () => 0,
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const down = await call(`${url}/_bulkwrite/ready`);
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, {
        status: 'not_ready',
        checks: { store: 'ok', migrations: 'ok', worker: 'not running' },
      });
      await storage.close();
      const gone = await call(`${url}/_bulkwrite/ready`);
      assert.equal(gone.status, 503);
      const checks = gone.body.checks as Record<string, string>;
      assert.match(checks.store!, /^unreachable: /);
      assert.equal(checks.migrations, 'unknown');
      // Liveness is another question: the process still answers.
      assert.equal((await call(`${url}/_bulkwrite/health`)).status, 200);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a separate `bulkwrite worker` process', () => {
  let cli: CliProcesses;
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-worker-metrics-'));
    cli = new CliProcesses(
      { ...process.env, BULKWRITE_LOG_LEVEL: 'error', BULKWRITE_ADMIN_KEY: '', BULKWRITE_POLL_INTERVAL_MS: '100' },
      dataDir,
    );
  });
  after(() => {
    cli.killAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the events of the jobs it ran at --metrics-port, under the admin rule', async () => {
    const api = await cli.serveWithoutWorker();
    const metricsUrl = (await cli.start(['worker', '--metrics-port', '0'], /metrics at (\S+)/)).match[1]!;
    const creds = cli.credentials();
    const zip = await makeZip({ 'leads.csv': leadsCsv(6, 'w') });
    const id = await createLeadsJobAt(api, creds, zip);
    for (let i = 0; ; i++) {
      const d = await call(`${api}/crm/bulk/v2.1/write/${id}`, { headers: auth(creds.access_token) });
      if (d.body.status === 'COMPLETED') break;
      assert.ok(i < 300, `job ${id} did not complete: ${d.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The job's events reach the worker process's endpoint, not the API process's.
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = (await call(metricsUrl)).text;
      if (sample(text, 'bulkwrite_job_duration_seconds_count', { status: 'COMPLETED' }) === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(sample(text, 'bulkwrite_rows_total', { outcome: 'ADDED' }), 6);
    assert.equal(sample(text, 'bulkwrite_rows_total', { outcome: 'SKIPPED' }), 2);
    assert.equal(sample(text, 'bulkwrite_job_duration_seconds_count', { status: 'COMPLETED' }), 1);
    assert.ok((sample(text, 'bulkwrite_process_resident_memory_bytes') ?? 0) > 0);
    const apiText = (await call(`${api}/_bulkwrite/metrics`)).text;
    assert.equal(sample(apiText, 'bulkwrite_rows_total', { outcome: 'ADDED' }), 0);
    assert.equal(sample(apiText, 'bulkwrite_jobs', { status: 'COMPLETED' }), 1);
  });

  it('refuses a bad --metrics-port, and asks for the admin key when one is set', async () => {
    const bad = spawnSync(process.execPath, [CLI, 'worker', '--metrics-port', 'x', '--data-dir', dataDir], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--metrics-port must be a port number from 0 to 65535, got "x"/);
    const keyed = new CliProcesses(
      { ...process.env, BULKWRITE_LOG_LEVEL: 'error', BULKWRITE_ADMIN_KEY: 'k1' },
      dataDir,
    );
    try {
      const url = (await keyed.start(['worker', '--metrics-port', '0'], /metrics at (\S+)/)).match[1]!;
      const refused = await call(url);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.code, 'ADMIN_KEY_REQUIRED');
      const wrong = await call(url, { headers: { 'x-bulkwrite-admin-key': 'k2' } });
      assert.equal(wrong.body.code, 'ADMIN_KEY_INVALID');
      const ok = await call(url, { headers: { 'x-bulkwrite-admin-key': 'k1' } });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /bulkwrite_rows_total/);
    } finally {
      keyed.killAll();
    }
  });
});

describe('on PostgreSQL', () => {
  const schemas = testSchemas('bulkwrite_ops');
  after(() => schemas.dropDatabase());

  it('reports pool use, the queue, and 503 when a migration of this build is not applied', async () => {
    const { url, drop } = await schemas.fresh();
    const t = await startTestServer({ databaseUrl: url });
    try {
      await runJob(t, leadsCsv(4, 'p'), {});
      const text = await scrape(t);
      assert.equal(sample(text, 'bulkwrite_jobs', { status: 'COMPLETED' }), 1);
      assert.equal(sample(text, 'bulkwrite_queue_depth'), 0);
      assert.equal(sample(text, 'bulkwrite_queue_oldest_age_seconds'), 0);
      assert.ok((sample(text, 'bulkwrite_store_pool_connections', { state: 'total' }) ?? 0) >= 1);
      assert.ok(sample(text, 'bulkwrite_store_pool_connections', { state: 'idle' }) !== undefined);
      assert.equal(sample(text, 'bulkwrite_store_pool_waiting'), 0);
      assert.equal((await call(`${t.url}/_bulkwrite/ready`)).status, 200);

      const db = new pg.Client(url);
      await db.connect();
      try {
        await db.query("DELETE FROM schema_migrations WHERE name = '050_retention.sql'");
      } finally {
        await db.end();
      }
      const res = await call(`${t.url}/_bulkwrite/ready`);
      assert.equal(res.status, 503);
      assert.deepEqual(res.body.checks, { store: 'ok', migrations: 'pending: 050_retention.sql', worker: 'ok' });
    } finally {
      await t.close();
      await drop();
    }
  });
});
