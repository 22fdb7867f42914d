import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import yazl from 'yazl';
import { call, createJob, upload } from '../helpers/api.js';
import { startMeasuredServer } from '../helpers/measured-server.js';
import type { TestServer } from '../helpers/server.js';

/**
 * The console's result table over a million-row result made by the real pipeline (upload, worker,
 * packed outcomes): the first page, a deep page, "skipped only" at the start and deep, one error code,
 * and the count per code, each answered quickly and without the server's memory growing with the result.
 * The CSV is generated at test time and zipped as a stream (Leads: Last_Name, Email); every 997th row has
 * a bad email, every 9,973rd no last name.
 */
const ROWS = 1_000_000;
const badEmail = (i: number) => i % 997 === 0;
const noName = (i: number) => i % 9_973 === 0;
const bad = (i: number) => badEmail(i) || noName(i);

function csvStream(): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i === 0) this.push('Last_Name,Email\n');
      let s = '';
      for (const end = Math.min(ROWS, i + 10_000); i < end;) {
        i++;
        s += `${noName(i) ? '' : `Million-${i}`},${badEmail(i) ? `not-an-email-${i}` : `m${i}@example.com`}\n`;
      }
      this.push(s);
      if (i === ROWS) this.push(null);
    },
  });
}

async function millionRowZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addReadStream(csvStream(), 'million.csv');
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

interface RowsAnswer {
  rows: Array<{ row: number; status: string; errors: string | null }>;
  next_from: number | null;
  committed_rows: number;
}

describe('the console over a million-row result', () => {
  it('pages it, deep and filtered, and counts its codes, quickly and with bounded server memory', async () => {
    const server = await startMeasuredServer({ BULKWRITE_MAX_ROWS: String(ROWS) });
    try {
      const t = { url: server.url, creds: { access_token: server.token, org_id: server.org } } as unknown as TestServer;
      const up = await upload(t, await millionRowZip(), { name: 'million.zip' });
      assert.equal(up.status, 200, up.text);
      const created = await createJob(t, {
        operation: 'insert',
        resource: [
          { type: 'data', module: { api_name: 'Leads' }, file_id: (up.body.details as { file_id: string }).file_id },
        ],
      });
      assert.equal(created.status, 201, created.text);
      const jobId = (created.body.details as { id: string }).id;
      const base = `${server.url}/_bulkwrite/console/orgs/${server.org}/jobs/${jobId}`;
      for (const until = Date.now() + 20 * 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
        const j = await call<{ job: { status: string } }>(base);
        if (j.body.job.status === 'COMPLETED') break;
        assert.notEqual(j.body.job.status, 'FAILED', j.text);
        assert.ok(Date.now() < until, `still ${j.body.job.status}`);
      }
      const before = await server.peakMiB();

      const timings: Record<string, number> = {};
      /** A filtered page as the console shows it: every call it makes until it has its rows. */
      const pages: Record<string, number> = {};
      const get = async <T>(name: string, path: string): Promise<T> => {
        const started = performance.now();
        const res = await call<T>(`${base}${path}`);
        timings[name] = Math.round(performance.now() - started);
        assert.equal(res.status, 200, res.text);
        return res.body;
      };
      const range = (from: number, to: number, keep: (i: number) => boolean = () => true) => {
        const out: number[] = [];
        for (let i = from; i <= to && i <= ROWS; i++) if (keep(i)) out.push(i);
        return out;
      };
      const rowsOf = (a: RowsAnswer) => a.rows.map((r) => r.row);
      const firstN = (from: number, n: number, keep: (i: number) => boolean) => range(from, ROWS, keep).slice(0, n);

      const first = await get<RowsAnswer>('first page', '/rows?from=1&limit=100');
      assert.deepEqual(rowsOf(first), range(1, 100));
      assert.equal(first.committed_rows, ROWS);
      assert.equal(first.next_from, 101);
      const deep = await get<RowsAnswer>('deep page', '/rows?from=987001&limit=100');
      assert.deepEqual(rowsOf(deep), range(987_001, 987_100));
      assert.deepEqual(
        deep.rows.filter((r) => r.status === 'SKIPPED').map((r) => r.row),
        range(987_001, 987_100, bad),
      );

      // Skipped only, as the page reads it: a call reads a bounded slice and says where the next starts,
      // and the page asks again from there until it has 100 rows (a cursor, never a scan from row 1).
      const filtered = async (name: string, query: string, from: number, want = 100) => {
        const started = performance.now();
        const rows: RowsAnswer['rows'] = [];
        let next: number | null = from;
        let calls = 0;
        while (rows.length < want && next !== null) {
          const a: RowsAnswer = await get(
            `${name} #${++calls}`,
            `/rows?${query}&from=${next}&limit=${want - rows.length}`,
          );
          assert.ok(a.next_from === null || a.next_from > next, 'the cursor moves on');
          if (a.rows.length > 0 && a.next_from !== null) assert.ok(a.next_from > a.rows.at(-1)!.row);
          rows.push(...a.rows);
          next = a.next_from;
        }
        pages[name] = Math.round(performance.now() - started);
        return { rows, next, calls };
      };
      const skipped = await filtered('skipped only, first page', 'skipped=1', 1);
      assert.deepEqual(
        skipped.rows.map((r) => r.row),
        firstN(1, 100, bad),
      );
      assert.ok(skipped.rows.every((r) => r.status === 'SKIPPED'));
      const deepSkipped = await filtered('skipped only, deep page', 'skipped=1', 950_000);
      assert.deepEqual(
        deepSkipped.rows.map((r) => r.row),
        firstN(950_000, 100, bad),
      );
      assert.equal(deepSkipped.next, null, 'the walk ends with the result');

      // One code: every row without a last name, 100 of them, in one page.
      const code = 'MANDATORY_NOT_FOUND-Last_Name';
      const named = await filtered('one code', `code=${code}`, 1, 200);
      assert.deepEqual(
        named.rows.map((r) => r.row),
        range(1, ROWS, noName),
      );
      assert.equal(named.next, null);

      const codes = await get<{
        codes: Array<{ code: string; rows: number }>;
        skipped: number;
        counted_rows: number;
      }>('codes', '/codes');
      assert.equal(codes.counted_rows, ROWS);
      assert.equal(codes.skipped, range(1, ROWS, bad).length);
      assert.deepEqual(codes.codes, [
        { code: 'INVALID_DATA-Email', rows: range(1, ROWS, badEmail).length },
        { code, rows: range(1, ROWS, noName).length },
      ]);

      const after = await server.peakMiB();
      // Reading the whole result would hold a million outcomes (well over 100 MB); each answer reads a few chunks.
      assert.ok(
        after - before < 64,
        `peak RSS grew ${Math.round(after - before)} MiB (from ${Math.round(before)} MiB)`,
      );
      // Each call, generous for a loaded shared machine (measured: 5 ms to 0.5 s under load).
      for (const [name, ms] of Object.entries(timings)) assert.ok(ms < 2_000, `${name}: ${ms} ms`);
      console.log(
        `console over ${ROWS} rows: calls ${JSON.stringify(timings)} ms, pages ${JSON.stringify(pages)} ms; peak RSS ${Math.round(after)} MiB`,
      );
    } finally {
      await server.stop();
    }
  });
});
