import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildApp } from '../../src/api/app.js';
import { issueCredentials } from '../../src/auth/org-setup.js';
import { openFsBlobs } from '../../src/blobs/blobs.js';
import { resultBlobKey } from '../../src/blobs/result-key.js';
import { loadConfig, type Config } from '../../src/config.js';
import { sweep, type JanitorDeps } from '../../src/jobs/janitor.js';
import { messageFirst, createLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { auth, call, createJob, getJob, runJob, upload, uploadCsv } from '../helpers/api.js';
import { testSchemas } from '../helpers/postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const DAY = 24 * 3_600_000;
const LINK_NOT_VALID = { info: 'Forbidden', 'x-info': 'Link not valid', http_status: '403' };

const leadsCsv = (n: number, prefix: string) =>
  ['Last_Name,Email', ...Array.from({ length: n }, (_, i) => `${prefix}${i},${prefix}${i}@example.com`)].join('\n');

/** The janitor over a test server's own store and blob folder, with a clock `shiftMs` ahead. */
function janitorOf(t: TestServer, shiftMs: number, config: Config = t.config): JanitorDeps {
  return {
    storage: t.server.storage,
    blobs: openFsBlobs(join(t.dataDir, 'blobs')),
    retention: config,
    log: messageFirst(createLogger({ level: 'silent', name: 'test' })),
    now: () => Date.now() + shiftMs,
  };
}

/** Waits until the job's callback has been sent once (the callback journal has its attempt). */
/**
 * Waits for the job's callback to be journaled and its outbox entry settled: the journal row is written
 * before the request goes out and the entry settles after the answer, so a sweep between the two would
 * find a pending entry (which it rightly keeps).
 */
async function callbackJournaled(t: TestServer, jobId: string): Promise<void> {
  const res = await call(`${t.url}/_bulkwrite/callbacks?job_id=${jobId}&wait_ms=15000`);
  assert.equal((res.body.callbacks as unknown[]).length, 1, res.text);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const entry = await t.server.storage.callbacks.get(t.creds.org_id, jobId);
    if (entry && entry.state !== 'pending') return;
    assert.ok(Date.now() < deadline, `the callback entry settles: ${JSON.stringify(entry)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const resultUrl = (details: Record<string, unknown>) => (details.result as { download_url: string }).download_url;

describe('retention on SQLite (defaults: uploads and results 7 days, jobs 30 days)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('the download link expires after the result window with Zoho answer, by the clock the app is given', async () => {
    const { details, jobId } = await runJob(t, leadsCsv(3, 'link'), {});
    const finishedAt = (await t.server.storage.jobs.get(t.creds.org_id, jobId))!.finishedAt!;
    // A second app over the same store and blobs, whose clock the test moves.
    let clock = finishedAt;
    const app = await buildApp({
      config: t.config,
      storage: t.server.storage,
      blobs: openFsBlobs(join(t.dataDir, 'blobs')),
      baseUrl: () => t.url,
      now: () => clock,
    });
    // A token that lives as long as the test's clock moves.
    const creds = await issueCredentials(t.server.storage, t.server.org, {
      now: Date.now(),
      tokenTtlSeconds: 3650 * 24 * 3600,
      apiDomain: t.url,
    });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const url = resultUrl(details).replace(t.url, base);
      const get = () => call(url, { headers: auth(creds.access_token) });
      assert.equal((await get()).status, 200);
      clock = finishedAt + 7 * DAY - 1;
      assert.equal((await get()).status, 200);
      clock = finishedAt + 7 * DAY;
      const expired = await get();
      assert.equal(expired.status, 403);
      assert.deepEqual(expired.body, LINK_NOT_VALID);
    } finally {
      await app.close();
    }
    // 0 keeps links for ever.
    const forever = await buildApp({
      config: { ...t.config, resultRetentionHours: 0 },
      storage: t.server.storage,
      blobs: openFsBlobs(join(t.dataDir, 'blobs')),
      baseUrl: () => t.url,
      now: () => finishedAt + 3650 * DAY,
    });
    try {
      const base = await forever.listen({ host: '127.0.0.1', port: 0 });
      const res = await call(resultUrl(details).replace(t.url, base), { headers: auth(creds.access_token) });
      assert.equal(res.status, 200);
    } finally {
      await forever.close();
    }
  });

  it('removes expired results, then jobs, then uploads, zips and rows alike, and keeps what is not expired', async () => {
    const { details, jobId } = await runJob(
      t,
      leadsCsv(4, 'sweep'),
      {},
      {
        operation: 'insert',
        callback: { url: `${t.url}/_bulkwrite/inbox/sweep`, method: 'post' },
      },
    );
    await callbackJournaled(t, jobId);
    const job = (await t.server.storage.jobs.get(t.creds.org_id, jobId))!;
    const fileId = job.resources[0]!.fileId;
    const blobs = join(t.dataDir, 'blobs');
    const resultZip = join(blobs, resultBlobKey(t.creds.org_id, jobId));
    const uploadZip = join(blobs, (await t.server.storage.files.get(t.creds.org_id, fileId))!.blobKey);
    const db = new Database(join(t.dataDir, 'bulkwrite.db'), { readonly: true });
    const chunks = () =>
      (db.prepare('SELECT count(*) AS n FROM job_result_chunks WHERE job_id = ?').get(jobId) as { n: number }).n;
    const callbackRows = () =>
      ['callback_attempts', 'callback_outbox'].map(
        (table) => (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE job_id = ?`).get(jobId) as { n: number }).n,
      );
    try {
      assert.ok(existsSync(resultZip) && existsSync(uploadZip) && chunks() > 0);

      // Six days on: nothing has expired.
      assert.deepEqual(
        { ...(await sweep(janitorOf(t, 6 * DAY))), temps: 0 },
        { results: 0, jobs: 0, files: 0, temps: 0 },
      );
      assert.ok(existsSync(resultZip) && existsSync(uploadZip));

      // Eight days on: the result (zip and outcomes) and the upload go; the job stays, its link answers 403.
      const eight = await sweep(janitorOf(t, 8 * DAY));
      assert.ok(eight.results >= 1 && eight.files >= 1, JSON.stringify(eight));
      assert.equal(existsSync(resultZip), false);
      assert.equal(existsSync(uploadZip), false);
      assert.equal(chunks(), 0);
      assert.equal(await t.server.storage.files.get(t.creds.org_id, fileId), undefined);
      const stillThere = await getJob(t, jobId);
      assert.equal(stillThere.status, 200);
      assert.equal(stillThere.body.status, 'COMPLETED');
      const link = await call(resultUrl(details), { headers: auth(t.creds.access_token) });
      assert.equal(link.status, 403);
      assert.deepEqual(link.body, LINK_NOT_VALID);
      // The upload's file_id is gone as Zoho's unknown file id is.
      const reuse = await createJob(t, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      assert.equal(reuse.body.code, 'INVALID_FILE_ID');
      // A second sweep finds nothing more to do for this job.
      assert.equal((await sweep(janitorOf(t, 8 * DAY))).results, 0);

      // Thirty-one days on: the job itself goes, with its callback journal and delivered outbox row; the
      // records it wrote stay.
      assert.deepEqual(callbackRows(), [1, 1]);
      const records = await t.server.storage.records.count(t.creds.org_id, 'Leads');
      assert.ok((await sweep(janitorOf(t, 31 * DAY))).jobs >= 1);
      assert.deepEqual(callbackRows(), [0, 0]);
      const gone = await getJob(t, jobId);
      assert.equal(gone.body.code, 'RESOURCE_NOT_FOUND');
      assert.equal(await t.server.storage.records.count(t.creds.org_id, 'Leads'), records);
    } finally {
      db.close();
    }
  });

  it('keeps an old upload that an unfinished job still reads', async () => {
    const quiet = await startTestServer({ worker: false });
    try {
      const fileId = await uploadCsv(quiet, leadsCsv(2, 'queued'));
      const idle = await uploadCsv(quiet, leadsCsv(2, 'idle'));
      const created = await createJob(quiet, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      assert.equal(created.status, 201);
      const swept = await sweep(janitorOf(quiet, 60 * DAY));
      assert.equal(swept.files, 1);
      const kept = await quiet.server.storage.files.get(quiet.creds.org_id, fileId);
      assert.ok(kept && existsSync(join(quiet.dataDir, 'blobs', kept.blobKey)));
      assert.equal(await quiet.server.storage.files.get(quiet.creds.org_id, idle), undefined);
    } finally {
      await quiet.close();
    }
  });

  it('refuses uploads with INSUFFICIENT_STORAGE, 507, in the envelope, before reading them, when disk is short', async () => {
    const short = await startTestServer({ minFreeDiskMb: 1024 * 1024 * 1024 });
    try {
      const res = await upload(short, await makeZip({ 'leads.csv': leadsCsv(2, 'disk') }));
      assert.equal(res.status, 507);
      assert.equal(res.body.code, 'INSUFFICIENT_STORAGE');
      assert.equal(res.body.status, 'error');
      const details = res.body.details as Record<string, number>;
      assert.equal(details.min_free_mb, 1024 * 1024 * 1024);
      assert.ok(details.free_mb! >= 0 && details.free_mb! < details.min_free_mb);
      assert.deepEqual(readdirSync(join(short.dataDir, 'blobs', 'tmp')), []);
      assert.equal(existsSync(join(short.dataDir, 'blobs', 'uploads')), false);
    } finally {
      await short.close();
    }
  });
});

describe('orphans at start', () => {
  it('removes temp files of uploads cut by a crash and zips no row names; keeps a live upload and new files', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-orphans-'));
    const config = loadConfig({}, { port: 0, dataDir, logLevel: 'silent', worker: false });
    try {
      let server = await startServer(config);
      const orgId = server.org.id;
      await server.close();
      // A process that has exited: its id names no process now.
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const tmp = join(dataDir, 'blobs', 'tmp');
      const cut = join(tmp, `${dead}-1700000000000-abc-upload.zip`);
      const mine = join(tmp, `${process.pid}-1700000000000-def-upload.zip`);
      const live = join(tmp, `${process.ppid}-1700000000000-ghi-upload.zip`);
      for (const f of [cut, mine, live]) writeFileSync(f, 'PK partial');
      const uploads = join(dataDir, 'blobs', 'uploads', orgId);
      const results = join(dataDir, 'blobs', 'results', orgId);
      mkdirSync(uploads, { recursive: true });
      mkdirSync(results, { recursive: true });
      const oldUpload = join(uploads, '4150868000000999001.zip');
      const newUpload = join(uploads, '4150868000000999002.zip');
      const oldResult = join(results, '4150868000000999003.zip');
      for (const f of [oldUpload, newUpload, oldResult]) writeFileSync(f, 'PK');
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      utimesSync(oldUpload, twoHoursAgo, twoHoursAgo);
      utimesSync(oldResult, twoHoursAgo, twoHoursAgo);

      server = await startServer(config);
      await server.close();
      assert.equal(existsSync(cut), false, 'temp of a dead process');
      assert.equal(existsSync(mine), false, 'temp of this process id (a restart reuses it, as pid 1 in a container)');
      assert.equal(existsSync(live), true, 'temp of a live process (an upload in progress)');
      assert.equal(existsSync(oldUpload), false);
      assert.equal(existsSync(newUpload), true, 'a zip within the grace an upload needs to store its row');
      assert.equal(existsSync(oldResult), false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('retention on PostgreSQL', () => {
  const schemas = testSchemas('bulkwrite_retention');
  after(() => schemas.dropDatabase());

  it('removes results, jobs and uploads the same way', async () => {
    const { url, drop } = await schemas.fresh();
    const t = await startTestServer({ databaseUrl: url });
    try {
      const { jobId } = await runJob(
        t,
        leadsCsv(3, 'pg'),
        {},
        {
          operation: 'insert',
          callback: { url: `${t.url}/_bulkwrite/inbox/sweep`, method: 'post' },
        },
      );
      await callbackJournaled(t, jobId);
      const fileId = (await t.server.storage.jobs.get(t.creds.org_id, jobId))!.resources[0]!.fileId;
      const db = new pg.Client(url);
      await db.connect();
      try {
        const chunks = async () =>
          Number((await db.query('SELECT count(*) AS n FROM job_result_chunks WHERE job_id = $1', [jobId])).rows[0].n);
        assert.ok((await chunks()) > 0);
        const eight = await sweep(janitorOf(t, 8 * DAY));
        assert.deepEqual([eight.results, eight.files, eight.jobs], [1, 1, 0]);
        assert.equal(await chunks(), 0);
        assert.equal(
          (await db.query('SELECT results_purged_at FROM jobs WHERE id = $1', [jobId])).rows[0].results_purged_at !==
            null,
          true,
        );
        assert.equal(await t.server.storage.files.get(t.creds.org_id, fileId), undefined);
        assert.equal(existsSync(join(t.dataDir, 'blobs', resultBlobKey(t.creds.org_id, jobId))), false);
        const callbackRows = async () =>
          Promise.all(
            ['callback_attempts', 'callback_outbox'].map(async (table) =>
              Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE job_id = $1`, [jobId])).rows[0].n),
            ),
          );
        assert.deepEqual(await callbackRows(), [1, 1]);
        assert.equal((await sweep(janitorOf(t, 31 * DAY))).jobs, 1);
        assert.deepEqual(await callbackRows(), [0, 0]);
        assert.equal((await db.query('SELECT count(*) AS n FROM jobs WHERE id = $1', [jobId])).rows[0].n, '0');
        assert.equal((await getJob(t, jobId)).body.code, 'RESOURCE_NOT_FOUND');
      } finally {
        await db.end();
      }
    } finally {
      await t.close();
      await drop();
    }
  });
});
