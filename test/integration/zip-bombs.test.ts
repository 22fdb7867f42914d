import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DEFAULTS } from '../../src/config.js';
import { summarizeZipCsvs } from '../../src/csv/read-csv.js';
import { call, upload } from '../helpers/api.js';
import { inflateCpuMs, makeBombZip } from '../helpers/bombs.js';
import { startMeasuredServer } from '../helpers/measured-server.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const MiB = 1 << 20;

/** Every file under the blob area (uploads and temporary files): a refused upload leaves none. */
function blobFiles(dataDir: string): string[] {
  const root = join(dataDir, 'blobs');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function fileRows(dataDir: string): number {
  const db = new Database(join(dataDir, 'bulkwrite.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('uploads that inflate beyond the limits', () => {
  let t: TestServer;
  before(async () => {
    t = await injectTestServer({
      limits: { ...DEFAULTS.limits, maxUncompressedBytes: 32 * MiB, maxHeaderBytes: 1024, maxRecordBytes: 4096 },
    });
  });
  after(() => t.close());

  const cases: [string, () => Buffer | Promise<Buffer>, number, string, Record<string, unknown>][] = [
    [
      'more bytes than BULKWRITE_MAX_UNCOMPRESSED_BYTES',
      () => makeBombZip('a.csv', 'Last_Name\n', 'a\n', 33 * MiB),
      413,
      'FILE_TOO_LARGE',
      { reason: 'uncompressed-size', max_uncompressed_bytes: 32 * MiB },
    ],
    [
      'a CSV that inflates more than BULKWRITE_MAX_COMPRESSION_RATIO times',
      () => makeBombZip('a.csv', 'Last_Name\n', 'a\n', 16 * MiB),
      413,
      'FILE_TOO_LARGE',
      { reason: 'compression-ratio', max_compression_ratio: 200 },
    ],
    [
      'a header longer than BULKWRITE_MAX_HEADER_BYTES, with no line break at all',
      () => makeBombZip('a.csv', '', 'a', MiB),
      400,
      'INVALID_FILE_FORMAT',
      { reason: 'header-length', max_bytes: 1024 },
    ],
    [
      'a record longer than BULKWRITE_MAX_RECORD_BYTES',
      () => makeZip({ 'a.csv': `Last_Name\nshort\n${'x'.repeat(4097)}\nshort\n` }),
      400,
      'INVALID_FILE_FORMAT',
      { reason: 'record-length', max_bytes: 4096 },
    ],
    [
      'a record longer than BULKWRITE_MAX_RECORD_BYTES through line breaks inside quotes',
      () => makeZip({ 'a.csv': `Last_Name\n"${'line\n'.repeat(1000)}"\n` }),
      400,
      'INVALID_FILE_FORMAT',
      { reason: 'record-length', max_bytes: 4096 },
    ],
  ];
  for (const [name, zip, status, code, details] of cases) {
    it(`refuses ${name}, and keeps nothing of it`, async () => {
      const res = await upload(t, await zip());
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.code, code);
      assert.equal(res.body.status, 'error');
      const got = res.body.details as Record<string, unknown>;
      assert.deepEqual({ ...got, created_time: undefined }, { ...details, created_time: undefined });
      assert.match(String(res.body.message), /./);
      assert.deepEqual(blobFiles(t.dataDir), []);
      assert.equal(fileRows(t.dataDir), 0);
    });
  }

  it('accepts a file within every limit: a record and a header of exactly the limit, a small file that compresses well', async () => {
    const header = `Last_Name,${'H'.repeat(1024 - 'Last_Name,'.length)}`;
    const record = `x,${'y'.repeat(4096 - 2)}`;
    const res = await upload(t, await makeZip({ 'a.csv': `${header}\n${record}\n${'a,b\n'.repeat(50_000)}` }));
    assert.equal(res.status, 200, res.text);
    assert.equal(fileRows(t.dataDir), 1);
  });

  it('counts the CSVs of a parent/child zip together against BULKWRITE_MAX_UNCOMPRESSED_BYTES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-bombs-'));
    try {
      const path = join(dir, 'two.zip');
      const csv = `Last_Name\n${'a,b,c,d\n'.repeat(300_000)}`; // 2.4 MB each
      writeFileSync(path, await makeZip({ 'Leads.csv': csv, 'Contacts.csv': csv }));
      const limits = {
        maxUncompressedBytes: 4 * MiB,
        maxCompressionRatio: 1000,
        maxHeaderLength: 64,
        maxRecordLength: 64,
      };
      await assert.rejects(summarizeZipCsvs(path, 10, 'UTF-8', limits), { reason: 'uncompressed-size' });
      const both = await summarizeZipCsvs(path, 10, 'UTF-8', { ...limits, maxUncompressedBytes: 5 * MiB });
      assert.deepEqual(
        both.map((c) => c.rowCount),
        [300_000, 300_000],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the zip bombs of issue 15, with the default limits', () => {
  it('refuses each without inflating it, three at once too, with the server’s peak RSS under 300 MB, and answers after', async () => {
    // 1 GiB of one byte with no line break (≈1 MB zipped); one 300 MB line (≈300 KB zipped).
    const gib = makeBombZip('bomb.csv', '', 'a', 1024 * MiB);
    const line = makeBombZip('line.csv', 'Last_Name\n', 'x', 300 * MiB);
    const lines = makeBombZip('lines.csv', 'Last_Name\n', 'a\n', 1024 * MiB);
    assert.ok(gib.length < 1.1e6 && line.length < 0.35e6, `${gib.length} ${line.length}`);
    // What inflating each whole costs, in CPU time of this process (wall time on a loaded machine proves
    // nothing): a server that inflated a sixth of a bomb before refusing it would spend more than the
    // bound. Refused from what the zip declares, a bomb costs the server about a fifteenth of it.
    const bombs = [gib, line, lines];
    const inflateMs: number[] = [];
    for (const zip of bombs) inflateMs.push(await inflateCpuMs(zip));
    const server = await startMeasuredServer();
    try {
      const t = { url: server.url, creds: { access_token: server.token, org_id: server.org } } as unknown as TestServer;
      const refused = (res: Awaited<ReturnType<typeof upload>>) => {
        assert.equal(res.status, 413, res.text);
        assert.equal(res.body.code, 'FILE_TOO_LARGE');
        assert.equal((res.body.details as { reason: string }).reason, 'uncompressed-size');
      };
      // Warm the upload path once, so the first bomb's CPU is not the JIT's.
      assert.equal((await upload(t, await makeZip({ 'a.csv': 'Last_Name\nwarm\n' }))).status, 200);
      for (const [i, zip] of bombs.entries()) {
        const before = await server.cpuMs();
        refused(await upload(t, zip));
        const used = (await server.cpuMs()) - before;
        assert.ok(
          used < inflateMs[i]! / 6,
          `bomb ${i}: the server used ${used} ms of CPU; inflating it costs ${inflateMs[i]} ms`,
        );
      }
      const before = await server.cpuMs();
      for (const res of await Promise.all(bombs.map((zip) => upload(t, zip)))) refused(res);
      const used = (await server.cpuMs()) - before;
      const all = inflateMs.reduce((a, b) => a + b, 0);
      assert.ok(used < all / 6, `three at once: the server used ${used} ms of CPU; inflating them costs ${all} ms`);
      const peak = await server.peakMiB();
      assert.ok(peak * 1.048576 <= 300, `peak RSS ${peak} MiB`);
      const ok = await upload(t, await makeZip({ 'a.csv': 'Last_Name\nstill here\n' }));
      assert.equal(ok.status, 200, ok.text);
      const job = await call(`${server.url}/crm/bulk/v2.1/write/1`, {
        headers: { authorization: `Zoho-oauthtoken ${server.token}` },
      });
      assert.equal(job.body.code, 'RESOURCE_NOT_FOUND');
    } finally {
      await server.stop();
    }
  });
});
