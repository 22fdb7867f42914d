import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { auth, call, unzipEntries } from '../helpers/api.js';
import { serveProcess } from '../helpers/serve-process.js';
import { makeZip } from '../helpers/zip.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROWS = 20_000;

function serve(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  return serveProcess(dataDir, {
    ...process.env,
    BULKWRITE_LOG_LEVEL: 'warn',
    BULKWRITE_BATCH_SIZE: '500',
    BULKWRITE_LEASE_MS: '1500',
    BULKWRITE_POLL_INTERVAL_MS: '100',
  });
}

describe('crash recovery on SQLite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-crash-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('completes a job after the server is killed mid-job and restarted, with every row once and one record per added row', async () => {
    let { proc, url } = await serve(dataDir);
    const creds = JSON.parse(
      spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], { encoding: 'utf8' }).stdout,
    ) as {
      access_token: string;
      org_id: string;
    };
    const csv = [
      'Last_Name,Email',
      ...Array.from({ length: ROWS }, (_, i) =>
        i % 10 === 9 ? `,missing${i}@example.com` : `Row${i},row${i}@example.com`,
      ),
    ].join('\n');
    const form = new FormData();
    form.append('file', new Blob([await makeZip({ 'crash.csv': csv })]), 'crash.zip');
    const up = await call(`${url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id },
      body: form,
    });
    const fileId = (up.body.details as { file_id: string }).file_id;
    const created = await call(`${url}/crm/bulk/v2.1/write`, {
      method: 'POST',
      headers: { ...auth(creds.access_token), 'content-type': 'application/json' },
      body: JSON.stringify({
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      }),
    });
    const jobId = (created.body.details as { id: string }).id;
    const details = async () =>
      (await call(`${url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(creds.access_token) })).body;
    const fileOf = (d: Record<string, unknown>) => (d.resource as Array<{ file: Record<string, number> }>)[0]!.file;

    // Kill the whole server (API and worker thread) with SIGKILL once some, not all, chunks are committed.
    for (;;) {
      const d = await details();
      const done = fileOf(d).total_count ?? 0;
      if (d.status === 'INPROGRESS' && done > 0) break;
      assert.notEqual(d.status, 'COMPLETED', 'the job finished before it could be interrupted');
      await new Promise((r) => setTimeout(r, 5));
    }
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
    const between = openSqliteStorage(join(dataDir, 'bulkwrite.db'));
    const halfway = await between.jobs.get(creds.org_id, jobId);
    await between.close();
    assert.equal(halfway?.status, 'INPROGRESS');
    assert.ok(halfway.checkpointRow > 0 && halfway.checkpointRow < ROWS, `checkpoint ${halfway.checkpointRow}`);
    assert.equal(halfway.counts.total, halfway.checkpointRow);

    ({ proc, url } = await serve(dataDir));
    try {
      let final: Record<string, unknown>;
      const until = Date.now() + 60_000;
      for (;;) {
        final = await details();
        if (final.status === 'COMPLETED' || final.status === 'FAILED') break;
        assert.ok(Date.now() < until, 'the job did not resume');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(final.status, 'COMPLETED');
      const file = fileOf(final);
      assert.deepEqual(
        [file.added_count, file.skipped_count, file.updated_count, file.total_count],
        [ROWS * 0.9, ROWS * 0.1, 0, ROWS],
      );

      const zip = await fetch((final.result as { download_url: string }).download_url, {
        headers: auth(creds.access_token),
      });
      const csvOut = [...(await unzipEntries(Buffer.from(await zip.arrayBuffer()))).values()][0]!.toString('utf8');
      const rows = Papa.parse<Record<string, string>>(csvOut, { header: true, skipEmptyLines: true }).data;
      assert.equal(rows.length, ROWS);
      rows.forEach((r, i) => assert.equal(r.Email, i % 10 === 9 ? `missing${i}@example.com` : `row${i}@example.com`));
      const ids = rows.filter((r) => r.STATUS === 'ADDED').map((r) => r.RECORD_ID);
      assert.equal(ids.length, ROWS * 0.9);
      assert.equal(new Set(ids).size, ids.length);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    const storage = openSqliteStorage(join(dataDir, 'bulkwrite.db'));
    try {
      assert.equal(await storage.records.count(creds.org_id, 'Leads'), ROWS * 0.9);
    } finally {
      await storage.close();
    }
  });
});
