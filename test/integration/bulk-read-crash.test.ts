// A `bulkwrite worker` process killed with SIGKILL in the middle of a bulk read job on PostgreSQL: another
// worker takes the job over once its lease expires, and the page it serves is exact — every record of
// the module once, in id order, with the values stored.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { auth, call } from '../helpers/api.js';
import { parseReadZip } from '../helpers/bulk-read.js';
import { createTestDatabase, recordsTableOf } from '../helpers/postgres.js';
import { cliProcesses } from '../helpers/processes.js';
import { makeZip } from '../helpers/zip.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROWS = 25_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bulk read crash recovery on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let procs: ReturnType<typeof cliProcesses>;

  before(async () => {
    db = await createTestDatabase('bulkwrite_read_crash');
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-crash-'));
    procs = cliProcesses({
      ...process.env,
      BULKWRITE_DATABASE_URL: db.url,
      BULKWRITE_LOG_LEVEL: 'warn',
      BULKWRITE_BATCH_SIZE: '1000',
      BULKWRITE_LEASE_MS: '2000',
      BULKWRITE_POLL_INTERVAL_MS: '100',
    });
  });
  after(async () => {
    procs.stopAll();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the exact page after the worker running it is killed and another takes it over', async () => {
    const start = (args: string[], ready: RegExp) => procs.start([...args, '--data-dir', dataDir], ready);
    const url = (await start(['serve', '--no-worker', '--port', '0'], /listening on (\S+)/)).match[1]!;
    const first = (await start(['worker'], /worker thread/)).proc;
    const creds = JSON.parse(
      spawnSync(process.execPath, [CLI, 'credentials', '--json', '--data-dir', dataDir], {
        env: { ...process.env, BULKWRITE_DATABASE_URL: db.url },
        encoding: 'utf8',
      }).stdout,
    ) as { access_token: string; org_id: string };
    const headers = { ...auth(creds.access_token), 'content-type': 'application/json' };

    // The import half: a bulk write job fills the store.
    const csv = [
      'Last_Name,Email,No_of_Employees',
      ...Array.from({ length: ROWS }, (_, i) => `Row ${i},r${i}@x.test,${i % 97}`),
    ];
    const form = new FormData();
    form.append('file', new Blob([await makeZip({ 'leads.csv': csv.join('\n') })]), 'leads.zip');
    const up = await call(`${url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { ...auth(creds.access_token), feature: 'bulk-write', 'X-CRM-ORG': creds.org_id },
      body: form,
    });
    const write = await call(`${url}/crm/bulk/v2.1/write`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        operation: 'insert',
        resource: [
          { type: 'data', module: { api_name: 'Leads' }, file_id: (up.body.details as { file_id: string }).file_id },
        ],
      }),
    });
    assert.equal(up.status, 200, up.text);
    assert.equal(write.status, 201, write.text);
    const writeId = (write.body.details as { id: string }).id;
    for (let until = Date.now() + 180_000; ; await sleep(100)) {
      const d = (await call(`${url}/crm/bulk/v2.1/write/${writeId}`, { headers })).body;
      if (d.status === 'COMPLETED') break;
      assert.ok(Date.now() < until && d.status !== 'FAILED', `write job ${JSON.stringify(d).slice(0, 300)}`);
    }

    // The export half, killed half way: its worker holds the lease and has begun the zip.
    const created = await call(`${url}/crm/bulk/v2.1/read`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        query: { module: { api_name: 'Leads' }, fields: ['Last_Name', 'Email', 'No_of_Employees'] },
      }),
    });
    assert.equal(created.status, 201, created.text);
    const readId = (created.body.data as Array<{ details: { id: string } }>)[0]!.details.id;
    const tmp = join(dataDir, 'blobs', 'tmp');
    for (let tries = 0; ; tries++) {
      assert.ok(tries < 20_000, 'the read job was never seen half done');
      const { rows } = await db.query<{ status: string; lease_owner: string | null }>(
        'SELECT status, lease_owner FROM jobs WHERE id = $1',
        [readId],
      );
      assert.notEqual(rows[0]!.status, 'COMPLETED', 'the read job finished before it could be interrupted');
      const zip = existsSync(tmp)
        ? readdirSync(tmp).find((n) => n.startsWith(`${first.pid}-`) && n.endsWith(`${readId}.zip`))
        : undefined;
      if (rows[0]!.status === 'INPROGRESS' && zip && statSync(join(tmp, zip)).size > 0) break;
      await sleep(2);
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const halfway = await db.query<{ status: string; read_result: string | null }>(
      'SELECT status, read_result FROM jobs WHERE id = $1',
      [readId],
    );
    assert.deepEqual(halfway.rows[0], { status: 'INPROGRESS', read_result: null });

    await start(['worker'], /worker thread/);
    let details: Record<string, unknown> & { state: string; result?: { count: number; more_records: boolean } };
    for (let until = Date.now() + 120_000; ; await sleep(100)) {
      details = (await call<{ data: Array<typeof details> }>(`${url}/crm/bulk/v2.1/read/${readId}`, { headers })).body
        .data[0]!;
      if (details.state === 'COMPLETED' || details.state === 'FAILURE') break;
      assert.ok(Date.now() < until, `read job still ${details.state}`);
    }
    assert.equal(details.state, 'COMPLETED');
    assert.equal(details.result!.count, ROWS);
    assert.equal(details.result!.more_records, false);

    const res = await fetch(`${url}/crm/bulk/v2.1/read/${readId}/result`, { headers: auth(creds.access_token) });
    assert.equal(res.status, 200);
    const page = await parseReadZip(Buffer.from(await res.arrayBuffer()));
    const table = (await recordsTableOf(db, creds.org_id, 'Leads'))!;
    const stored = await db.query<{ id: string; data: Record<string, unknown> }>(
      `SELECT id::text AS id, data FROM ${table.name} ORDER BY id`,
    );
    assert.equal(stored.rows.length, ROWS);
    assert.equal(page.rows.length, ROWS);
    page.rows.forEach((r, i) => {
      const s = stored.rows[i]!;
      const data = typeof s.data === 'string' ? (JSON.parse(s.data) as Record<string, unknown>) : s.data;
      assert.deepEqual(r, {
        Id: s.id,
        Last_Name: data.Last_Name,
        Email: data.Email,
        No_of_Employees: String(data.No_of_Employees),
      });
    });
  });
});
