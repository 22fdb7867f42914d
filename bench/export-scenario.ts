import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient, type ExportEvent } from '../src/client/client.js';
import { RssWatch, ForeignCpu, cpuSplit, settled, threadCpu } from './proc.js';
import { LOAD_SECONDS, importFile, load, monoMicros, server, withDiagnostics, type BenchContext } from './scenarios.js';
import type { BenchServer } from './server-process.js';
import type { Figures } from './stats.js';

/**
 * `export`: Bulk Read on a big module, end to end. The million-row insert file is imported into a fresh
 * server, then the typed client's `exportRecords()` exports every Leads record (every field, Zoho's
 * default), a read job per page of 200,000 (a scaled run sets BULKWRITE_READ_PAGE_SIZE to rows ÷ 5, so it
 * still has five pages): create → poll (every 50 ms) → COMPLETED → download the zip →
 * stream its CSV into a counter, page after page while `more_records`. Timed from the first create to the
 * last page counted; the count is checked against the rows imported, on the CSV itself and on the jobs'
 * `count`. Its server is a second one on the import's data folder (below). Then job details (a finished job's, as `job-details-idle` loads it) under autocannon: once
 * with nothing running, once while exports run back to back.
 */

/** Zoho's page; a scaled run (`--rows` below a million) keeps five pages by asking for smaller ones. */
const ZOHO_PAGE = 200_000;
const PAGES = 5;
const pageSizeFor = (rows: number) => Math.min(ZOHO_PAGE, Math.max(1, Math.ceil(rows / PAGES)));
const POLL_MS = 50;

/** Counts the records of a CSV stream: line feeds outside quotes (the header is one of them). */
class CsvRecordCounter extends Writable {
  lines = 0;
  bytes = 0;
  private quoted = false;
  private last = 0x0a;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.bytes += chunk.length;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1]!;
    let at = 0;
    while (at < chunk.length) {
      if (!this.quoted) {
        const q = chunk.indexOf(0x22, at);
        const end = q === -1 ? chunk.length : q;
        for (let nl = chunk.indexOf(0x0a, at); nl !== -1 && nl < end; nl = chunk.indexOf(0x0a, nl + 1)) this.lines++;
        if (q === -1) break;
        this.quoted = true;
        at = q + 1;
      } else {
        const q = chunk.indexOf(0x22, at);
        if (q === -1) break;
        this.quoted = false;
        at = q + 1;
      }
    }
    done();
  }

  /** Records after the header (a last line without its line feed counts too). */
  get records(): number {
    return Math.max(0, this.lines + (this.bytes > 0 && this.last !== 0x0a ? 1 : 0) - 1);
  }
}

interface PageTimes {
  created: number;
  completed: number | null;
  counted: number | null;
}

/** One whole export through the client; per page: create → COMPLETED seen → downloaded and counted. */
async function exportAll(
  s: BenchServer,
  signal: AbortSignal,
): Promise<{ records: number; counted: number; pages: PageTimes[]; ms: number }> {
  const client = createClient({ apiDomain: s.url, credentials: s.api.token, retries: 0 });
  const pages: PageTimes[] = [];
  const counter = new CsvRecordCounter();
  const t0 = performance.now();
  const outcome = await client.exportRecords(counter, {
    module: 'Leads',
    intervalMs: POLL_MS,
    maxIntervalMs: POLL_MS,
    signal,
    onEvent: (e: ExportEvent) => {
      const now = performance.now();
      if (e.type === 'created') pages[e.page - 1] = { created: now, completed: null, counted: null };
      else if (e.type === 'progress' && e.state === 'COMPLETED') pages[e.page - 1]!.completed = now;
      else if (e.type === 'page') pages[e.page - 1]!.counted = now;
    },
  });
  const ms = performance.now() - t0;
  await new Promise<void>((resolve, reject) => counter.end((e?: Error | null) => (e ? reject(e) : resolve())));
  if (outcome.header[0] !== 'Id')
    throw new Error(`export: the CSV starts with ${JSON.stringify(outcome.header.slice(0, 3))}`);
  return { records: outcome.records, counted: counter.records, pages, ms };
}

/**
 * The import runs on one server; the export on a second one started on the same data folder, so that
 * its memory and CPU figures (and its profile) are the export's, not what the import left behind.
 */
export async function exportRun(ctx: BenchContext): Promise<Figures> {
  const zip = await ctx.files.insert();
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-bench-export-'));
  try {
    const importer = await server(ctx, { dataDir });
    let importId: string;
    try {
      const t = performance.now();
      importId = await withDiagnostics(importer, () => importFile(ctx, importer, zip));
      ctx.log(
        `export: ${zip.rows.toLocaleString('en-US')} Leads imported in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    } finally {
      await importer.stop({ graceMs: 15_000 });
    }
    const s = await server(ctx, { dataDir, env: { BULKWRITE_READ_PAGE_SIZE: String(pageSizeFor(zip.rows)) } });
    try {
      return await withDiagnostics(s, () => measure(ctx, s, importId, zip.rows));
    } finally {
      await s.stop({ graceMs: 15_000 });
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(ctx: BenchContext, s: BenchServer, importId: string, rows: number): Promise<Figures> {
  await settled(s.pid);
  // Each step stops itself at the time bound (the driver's safety net kills the server after that).
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  // A build without BULKWRITE_READ_PAGE_SIZE (--server-cli) pages by Zoho's 200,000.
  const expectPages = [pageSizeFor(rows), ZOHO_PAGE].map((size) => Math.max(1, Math.ceil(rows / size)));
  const check = (r: { records: number; counted: number; pages: PageTimes[] }) => {
    if (r.records !== rows || r.counted !== rows || !expectPages.includes(r.pages.length))
      throw new Error(
        `export: ${r.counted} records in the CSVs, ${r.records} by the jobs' counts, ${r.pages.length} pages; expected ${rows} in ${expectPages.join(' or ')}`,
      );
  };

  // The timed export, alone.
  const rss = new RssWatch(s.pid);
  const foreign = new ForeignCpu([s.pid]);
  const threads0 = threadCpu(s.pid);
  const exportStart = monoMicros();
  const run = await exportAll(s, signal);
  const exportEnd = monoMicros();
  const cpu = cpuSplit(s.pid, threads0, threadCpu(s.pid));
  const peak = rss.stop();
  check(run);
  const out: Figures = {
    rows,
    pages: run.pages.length,
    ms: run.ms,
    recordsPerSecond: rows / (run.ms / 1000),
    peakRssBytes: peak,
    cpuMain: cpu.main,
    cpuWorker: cpu.busiest,
    cpuOther: cpu.others,
    coresUsed: cpu.total / (run.ms / 1000),
    foreignCores: foreign.cores(),
  };
  run.pages.forEach((p, i) => {
    out[`page${i + 1}JobMs`] = p.completed! - p.created;
    out[`page${i + 1}DownloadMs`] = p.counted! - p.completed!;
  });

  // Job details of a finished job under load: idle, then while exports run back to back.
  const url = s.api.jobUrl(importId);
  await load(s.api, s.pid, url, 2); // warm-up, not recorded
  const idle = await load(s.api, s.pid, url);
  const busyRss = new RssWatch(s.pid);
  let loading = true;
  let exported = 0;
  const t0 = performance.now();
  const exports = (async () => {
    while (loading) {
      const r = await exportAll(s, signal);
      check(r);
      exported += r.records;
    }
  })();
  // The load starts once the first read job is running.
  await new Promise((r) => setTimeout(r, 200));
  const loadStart = monoMicros();
  const busy = await load(s.api, s.pid, url, LOAD_SECONDS);
  const loadEnd = monoMicros();
  loading = false;
  await exports;
  const seconds = (performance.now() - t0) / 1000;
  ctx.phases?.({ pid: s.pid, scenario: 'export', run: ctx.run, marks: { exportStart, exportEnd, loadStart, loadEnd } });
  Object.assign(out, {
    idleReqPerSecond: idle.reqPerSecond,
    idleP50Ms: idle.p50Ms,
    idleP99Ms: idle.p99Ms,
    busyReqPerSecond: busy.reqPerSecond,
    busyP50Ms: busy.p50Ms,
    busyP99Ms: busy.p99Ms,
    busyMaxMs: busy.maxMs,
    busyNon2xx: (busy.non2xx ?? 0) + (idle.non2xx ?? 0),
    busyErrors: (busy.errors ?? 0) + (idle.errors ?? 0),
    busyRecordsPerSecond: exported / seconds,
    busyPeakRssBytes: busyRss.stop(),
  });
  return out;
}
