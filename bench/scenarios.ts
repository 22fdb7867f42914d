import autocannon from 'autocannon';
import pg from 'pg';
import { execFile, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TimeoutError, type BulkWriteApi, type JobDetails } from './api.js';
import type { GeneratedZip } from './data.js';
import type { BenchFiles } from './files.js';
import type { FloorMode, FloorResult } from './floor.js';
import type { PhaseMarks } from './profile-summary.js';
import { PgActivity } from './pg-activity.js';
import { ForeignCpu, RssWatch, cpuSplit, machineBusySeconds, processCpuSeconds, settled, threadCpu } from './proc.js';
import { cli, SERVER_ENV, startBenchServer, type BenchServer, type ServerOptions } from './server-process.js';
import type { Figures } from './stats.js';

/** What one run of each scenario does and measures. The driver (run.ts) repeats them and takes medians. */

export interface BenchContext {
  rows: number;
  batchSize: number;
  /** Per step; a step that takes longer is aborted and reported. */
  timeoutMs: number;
  files: BenchFiles;
  /** Node options for every server, worker and floor process (--cpu-prof … when profiling). */
  nodeArgs: string[];
  /** Kill functions of the processes alive now, so an aborted step leaves nothing behind. */
  live: Set<() => void>;
  log(msg: string): void;
  /** The run in progress (1-based), for phase marks. */
  run: number;
  /** Receives each job's phase marks when profiling, so profile-summary can split samples by phase. */
  phases?: (entry: PhaseMarks) => void;
}

/** The monotonic clock in microseconds: the clock of V8's CPU profiles, the same in every process. */
export const monoMicros = () => Number(process.hrtime.bigint() / 1000n);

export const SMALL_ROWS = 25_000;
export const LOAD_SECONDS = 10;
export const LOAD_CONNECTIONS = 64;

export async function server(ctx: BenchContext, opts: ServerOptions = {}): Promise<BenchServer> {
  const s = await startBenchServer({ ...opts, nodeArgs: [...ctx.nodeArgs, ...(opts.nodeArgs ?? [])] });
  const kill = () => {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(s.dataDir, { recursive: true, force: true });
  };
  ctx.live.add(kill);
  const stop = s.stop.bind(s);
  s.stop = async (o) => {
    await stop(o);
    ctx.live.delete(kill);
  };
  return s;
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** Adds the server's stderr and exit status to an error, so a crash is reported as one. */
export async function withDiagnostics<T>(s: BenchServer, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TimeoutError) throw e;
    throw new Error(`${(e as Error).message}; ${s.diagnostics()}`, { cause: e });
  }
}

const countsOf = (d: JobDetails) => {
  const f = d.resource[0]?.file ?? {};
  return { added: f.added_count ?? 0, updated: f.updated_count ?? 0, skipped: f.skipped_count ?? 0 };
};

/** Imports a generated insert file (upload → create → COMPLETED, untimed); returns the job id. */
export async function importFile(ctx: BenchContext, s: BenchServer, zip: GeneratedZip): Promise<string> {
  const deadline = Date.now() + ctx.timeoutMs;
  const fileId = await s.api.upload(zip.path);
  const jobId = await s.api.createJob(fileId, 'insert');
  const job = await s.api.waitForJob(jobId, zip.rows, performance.now(), { intervalMs: 500, deadline });
  if (job.details.status !== 'COMPLETED') throw new Error(`import ended ${job.details.status}`);
  return jobId;
}

// ---------------------------------------------------------------------------------------------- floor

/** One floor (floor.ts) in a process of its own, on the million-row insert file. */
export async function floorRun(ctx: BenchContext, mode: FloorMode): Promise<Figures> {
  const zip = await ctx.files.insert();
  const busy0 = machineBusySeconds();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...ctx.nodeArgs,
      fileURLToPath(new URL('./floor.js', import.meta.url)),
      '--zip',
      zip.path,
      '--mode',
      mode,
      // The schema floor commits in the server's batch size; the plain one in its own 10,000 rows.
      ...(mode === 'schema' ? ['--batch', String(ctx.batchSize)] : []),
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const kill = () => child.kill('SIGKILL');
  ctx.live.add(kill);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  ctx.live.delete(kill);
  if (code !== 0) throw new Error(`floor-${mode} exited with ${code}: ${err.slice(-2000)}`);
  const r = JSON.parse(out.trim().split('\n').pop()!) as FloorResult;
  const busy = machineBusySeconds() - busy0 - r.cpuSeconds - cpuSeconds(process.cpuUsage(self0));
  return {
    foreignCores: Math.max(0, busy) / ((performance.now() - t0) / 1000),
    rows: r.rows,
    rowsPerSecond: r.rowsPerSecond,
    ms: r.ms,
    insertMs: r.insertMs,
    unzipParseMs: r.unzipParseMs,
    peakRssBytes: r.peakRssBytes,
    cpuSeconds: r.cpuSeconds,
  };
}

// ------------------------------------------------------------------------------------- ingest (1M)

/**
 * Upload → create → COMPLETED for one file against a running server, with the phases seen from
 * outside (poll every `pollMs`), the server's peak RSS and its CPU time per thread.
 */
async function measureJob(
  ctx: BenchContext,
  s: BenchServer,
  zip: GeneratedZip,
  op: 'insert' | 'upsert',
  expect: { added: number; updated: number },
  pollMs = 50,
): Promise<Figures> {
  const rss = new RssWatch(s.pid);
  const foreign = new ForeignCpu([s.pid]);
  const cpuBefore = threadCpu(s.pid);
  const deadline = Date.now() + ctx.timeoutMs;
  const uploadStart = monoMicros();
  const t0 = performance.now();
  const fileId = await s.api.upload(zip.path);
  const t1 = performance.now();
  const uploaded = monoMicros();
  const jobId = await s.api.createJob(fileId, op, op === 'upsert' ? 'Email' : null);
  const t2 = performance.now();
  const created = monoMicros();
  const timeline = await s.api.waitForJob(jobId, zip.rows, t2, { intervalMs: pollMs, deadline });
  const t3 = performance.now();
  const cpu = cpuSplit(s.pid, cpuBefore, threadCpu(s.pid));
  const peak = rss.stop();
  const at = (ms: number | null) => (ms === null ? undefined : created + Math.round(ms * 1000));
  ctx.phases?.({
    pid: s.pid,
    scenario: `ingest-${op}`,
    run: ctx.run,
    marks: {
      uploadStart,
      uploaded,
      created,
      ...(timeline.claimedMs === null ? {} : { claimed: at(timeline.claimedMs)! }),
      allRows: at(timeline.allRowsMs)!,
      done: at(timeline.doneMs)!,
    },
  });
  const counts = countsOf(timeline.details);
  if (timeline.details.status !== 'COMPLETED')
    throw new Error(`job ${jobId} ended ${timeline.details.status}; ${s.diagnostics()}`);
  if (counts.added !== expect.added || counts.updated !== expect.updated)
    throw new Error(`job ${jobId}: expected ${JSON.stringify(expect)}, got ${JSON.stringify(counts)}`);
  const d0 = performance.now();
  const resultBytes = await s.api.downloadResult(timeline.details);
  const downloadMs = performance.now() - d0;
  const totalMs = t3 - t0;
  return {
    rows: zip.rows,
    rowsPerSecond: zip.rows / (totalMs / 1000),
    jobRowsPerSecond: zip.rows / (timeline.doneMs / 1000),
    totalMs,
    uploadMs: t1 - t0,
    createMs: t2 - t1,
    claimMs: timeline.claimedMs ?? 0,
    chunksMs: timeline.allRowsMs! - (timeline.claimedMs ?? 0),
    resultZipMs: timeline.doneMs - timeline.allRowsMs!,
    jobMs: timeline.doneMs,
    peakRssBytes: peak,
    cpuMain: cpu.main,
    cpuWorker: cpu.busiest,
    cpuOther: cpu.others,
    coresUsed: cpu.total / (totalMs / 1000),
    foreignCores: foreign.cores(),
    resultBytes,
    downloadMs,
    skipped: counts.skipped,
  };
}

/** A fresh server: insert the million rows, then (optionally) upsert the half-matching file. */
export async function ingestRun(
  ctx: BenchContext,
  opts: { upsert: boolean },
): Promise<{ insert: Figures; upsert?: Figures | string }> {
  const insertZip = await ctx.files.insert();
  const upsertZip = opts.upsert ? await ctx.files.upsert() : null;
  const s = await server(ctx);
  try {
    const insert = await withDiagnostics(s, () =>
      measureJob(ctx, s, insertZip, 'insert', { added: insertZip.rows, updated: 0 }),
    );
    if (!upsertZip) return { insert };
    const half = Math.ceil(upsertZip.rows / 2);
    try {
      const upsert = await withDiagnostics(s, () =>
        measureJob(ctx, s, upsertZip, 'upsert', { added: upsertZip.rows - half, updated: half }),
      );
      return { insert, upsert };
    } catch (e) {
      if (e instanceof TimeoutError) return { insert, upsert: e.message };
      ctx.log(`ingest-upsert failed: ${(e as Error).stack ?? String(e)}`);
      return { insert, upsert: `failed: ${(e as Error).message.split('\n')[0]}` };
    }
  } finally {
    await s.stop();
  }
}

// ------------------------------------------------------------------------- 25k and job-details

async function smallJob(
  ctx: BenchContext,
  s: BenchServer,
  zip: GeneratedZip,
  deadline: number,
  label: string,
): Promise<{ jobId: string; figures: Figures }> {
  const fileId = await s.api.upload(zip.path);
  const foreign = new ForeignCpu([s.pid]);
  const threads0 = threadCpu(s.pid);
  const t = performance.now();
  const created = monoMicros();
  const jobId = await s.api.createJob(fileId, 'insert');
  const tl = await s.api.waitForJob(jobId, zip.rows, t, { intervalMs: 5, deadline });
  // CPU while the job ran: what the wall-clock figure would be on a quiet machine at most.
  const cpu = cpuSplit(s.pid, threads0, threadCpu(s.pid));
  const at = (ms: number) => created + Math.round(ms * 1000);
  ctx.phases?.({
    pid: s.pid,
    scenario: label,
    run: ctx.run,
    marks: { created, claimed: at(tl.claimedMs ?? 0), allRows: at(tl.allRowsMs!), done: at(tl.doneMs) },
  });
  if (tl.details.status !== 'COMPLETED' || countsOf(tl.details).added !== zip.rows)
    throw new Error(`25k job ${jobId} ended ${tl.details.status} ${JSON.stringify(countsOf(tl.details))}`);
  return {
    jobId,
    figures: {
      ms: tl.doneMs,
      claimMs: tl.claimedMs ?? 0,
      chunksMs: tl.allRowsMs! - (tl.claimedMs ?? 0),
      resultZipMs: tl.doneMs - tl.allRowsMs!,
      workerCpuMs: cpu.busiest * 1000,
      serverCpuMs: cpu.total * 1000,
      httpCpuMs: cpu.main * 1000,
      foreignCores: foreign.cores(),
    },
  };
}

export async function load(api: BulkWriteApi, pid: number, url: string, seconds = LOAD_SECONDS): Promise<Figures> {
  const foreign = new ForeignCpu([pid]);
  const threads0 = threadCpu(pid);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url,
    connections: LOAD_CONNECTIONS,
    duration: seconds,
    headers: { authorization: api.authHeader },
  });
  return {
    reqPerSecond: r.requests.average,
    requests: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    foreignCores: foreign.cores(),
    // Is the server's HTTP thread the limit (near 1 core), or the load generator (this process)?
    serverMainCores: cpuSplit(pid, threads0, threadCpu(pid)).main / ((performance.now() - t0) / 1000),
    driverCores:
      (process.cpuUsage(self0).user + process.cpuUsage(self0).system) / 1e6 / ((performance.now() - t0) / 1000),
  };
}

export interface SmallRun {
  cold?: Figures;
  warm?: Figures;
  idle?: Figures;
  busy?: Figures;
}

/**
 * A fresh server: a 25k job on a cold worker, another once warm; job details under load while the
 * worker is idle; then a million-row insert and job details under load while it runs.
 */
export async function smallAndDetailsRun(
  ctx: BenchContext,
  want: { small: boolean; idle: boolean; busy: boolean },
): Promise<SmallRun> {
  const rows = Math.min(SMALL_ROWS, ctx.rows);
  const [zipA, zipB] = await Promise.all([ctx.files.small(0, rows), ctx.files.small(1, rows)]);
  const bigZip = want.busy ? await ctx.files.insert() : null;
  const s = await server(ctx);
  try {
    return await withDiagnostics(s, () => smallAndDetails(ctx, s, want, zipA, zipB, bigZip));
  } finally {
    await s.stop({ graceMs: 15_000 });
  }
}

async function smallAndDetails(
  ctx: BenchContext,
  s: BenchServer,
  want: { small: boolean; idle: boolean; busy: boolean },
  zipA: GeneratedZip,
  zipB: GeneratedZip,
  bigZip: GeneratedZip | null,
): Promise<SmallRun> {
  const out: SmallRun = {};
  const deadline = Date.now() + ctx.timeoutMs;
  const cold = await smallJob(ctx, s, zipA, deadline, 'ingest-25k cold');
  const warm = await smallJob(ctx, s, zipB, deadline, 'ingest-25k warm');
  if (want.small) {
    out.cold = cold.figures;
    out.warm = warm.figures;
  }
  if (want.idle) {
    const url = s.api.jobUrl(warm.jobId);
    await load(s.api, s.pid, url, 2); // warm-up, not recorded
    const rss = new RssWatch(s.pid);
    const loadStart = monoMicros();
    out.idle = { ...(await load(s.api, s.pid, url)), peakRssBytes: rss.stop() };
    ctx.phases?.({
      pid: s.pid,
      scenario: 'job-details-idle',
      run: ctx.run,
      marks: { loadStart, loadEnd: monoMicros() },
    });
  }
  if (bigZip) {
    const fileId = await s.api.upload(bigZip.path);
    const jobId = await s.api.createJob(fileId, 'insert');
    // Wait until the worker is committing chunks, then load the API while it works.
    const done = (d: JobDetails) => d.resource[0]?.file?.total_count ?? 0;
    let before = await s.api.getJob(jobId);
    while (done(before) === 0 && before.status !== 'COMPLETED') {
      if (Date.now() > deadline) throw new TimeoutError('aborted: the million-row job did not start');
      await new Promise((r) => setTimeout(r, 50));
      before = await s.api.getJob(jobId);
    }
    const rss = new RssWatch(s.pid);
    const t = performance.now();
    const loadStart = monoMicros();
    const figures = await load(s.api, s.pid, s.api.jobUrl(jobId));
    ctx.phases?.({
      pid: s.pid,
      scenario: 'job-details-busy',
      run: ctx.run,
      marks: { loadStart, loadEnd: monoMicros() },
    });
    const seconds = (performance.now() - t) / 1000;
    const after = await s.api.getJob(jobId);
    if (after.status !== 'INPROGRESS')
      ctx.log(`job-details (busy): the job was ${after.status} before the load ended; the figure is partly idle`);
    out.busy = {
      ...figures,
      peakRssBytes: rss.stop(),
      jobRowsPerSecondUnderLoad: (done(after) - done(before)) / seconds,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------- PostgreSQL

const POSTGRES_ADAPTER = fileURLToPath(new URL('../src/storage/postgres/', import.meta.url));

/** Why the PostgreSQL scenarios cannot run here, or null when they can. */
export async function postgresUnavailable(): Promise<string | null> {
  if (!process.env.BULKWRITE_DATABASE_URL) return 'BULKWRITE_DATABASE_URL is not set';
  if (!existsSync(POSTGRES_ADAPTER)) return 'the PostgreSQL adapter is not built (no dist/src/storage/postgres/)';
  try {
    await promisify(execFile)(process.execPath, [cli(), 'worker', '--help'], { timeout: 10_000 });
  } catch {
    return 'the CLI has no `worker` command yet';
  }
  return null;
}

/** Logs when each job was claimed and how long it ran, from the jobs table (ms from the first upload). */
async function logJobTimes(ctx: BenchContext, url: string, jobIds: string[], t0: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'bulkwrite-bench' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; created_at: string; started_at: string; finished_at: string }>(
      'SELECT id, created_at, started_at, finished_at FROM jobs WHERE id = ANY($1) ORDER BY created_at',
      [jobIds],
    );
    // The jobs' times are the store clock's (real time here); t0 is the driver's monotonic clock.
    const epoch0 = performance.timeOrigin + t0;
    ctx.log(
      'jobs (ms from the first upload): ' +
        rows
          .map(
            (r) =>
              `created ${Math.round(Number(r.created_at) - epoch0)}, claimed +${Number(r.started_at) - Number(r.created_at)}, ` +
              `ran ${Number(r.finished_at) - Number(r.started_at)}`,
          )
          .join('; '),
    );
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL (BULKWRITE_DATABASE_URL): `serve --no-worker` plus `workers` × `bulkwrite worker`, two
 * jobs of half the rows each (one worker takes them in turn, two take one each), timed from the first
 * upload (the workers started and idle) to both COMPLETED. Emails carry a per-run tag, since the database outlives the run.
 */
export async function postgresRun(ctx: BenchContext, workers: number, runTag: string): Promise<Figures> {
  const half = Math.floor(ctx.rows / 2);
  const zips = await Promise.all([ctx.files.tagged(runTag, 0, half), ctx.files.tagged(runTag, half, ctx.rows - half)]);
  const databaseUrl = process.env.BULKWRITE_DATABASE_URL!;
  const s = await server(ctx, { args: ['--no-worker'], env: { BULKWRITE_DATABASE_URL: databaseUrl } });
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, [...ctx.nodeArgs, cli(), 'worker', '--data-dir', s.dataDir], {
      env: { ...process.env, ...SERVER_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let workerErr = '';
  for (const c of children) c.stderr!.on('data', (d: Buffer) => (workerErr = (workerErr + d.toString()).slice(-2000)));
  const kills = children.map((c) => () => c.kill('SIGKILL'));
  kills.forEach((k) => ctx.live.add(k));
  let stopWatches = () => {};
  try {
    // Each worker process starts (modules, store, warm-up: ~0.5–1 s of CPU apiece) before the clock
    // does: the scenario measures workers at work, and N starting workers would otherwise be N × that
    // start inside the window, fighting the upload for the cores.
    await Promise.all(children.map((c) => settled(c.pid!)));
    const watches = [s.pid, ...children.map((c) => c.pid!)].map((pid) => new RssWatch(pid));
    stopWatches = () => watches.forEach((w) => w.stop());
    const activity = await PgActivity.start(process.env.BULKWRITE_DATABASE_URL!);
    const procCpu0 = [s.pid, ...children.map((c) => c.pid!)].map(processCpuSeconds);
    const threads0 = children.map((c) => threadCpu(c.pid!));
    const busy0 = machineBusySeconds();
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const fileIds = [];
    for (const z of zips) fileIds.push(await s.api.upload(z.path));
    const t1 = performance.now();
    const jobs = [];
    for (const id of fileIds) jobs.push(await s.api.createJob(id, 'insert'));
    const deadline = Date.now() + ctx.timeoutMs;
    const ends = await Promise.all(
      jobs.map((id, i) => s.api.waitForJob(id, zips[i]!.rows, t1, { intervalMs: 100, deadline })),
    );
    const t2 = performance.now();
    const procCpu = [s.pid, ...children.map((c) => c.pid!)].map((pid, i) => processCpuSeconds(pid) - procCpu0[i]!);
    // The busiest thread of a worker process is its job thread: with the backend it serves, the critical path.
    const jobThreads = children.map((c, i) => cpuSplit(c.pid!, threads0[i]!, threadCpu(c.pid!)).busiest);
    const pgCpu = await activity.stop();
    await logJobTimes(ctx, databaseUrl, jobs, t0);
    const seconds = (t2 - t0) / 1000;
    const own =
      procCpu.reduce((a, b) => a + b, 0) + pgCpu.backendCpu + pgCpu.backgroundCpu + cpuSeconds(process.cpuUsage(self0));
    ctx.log(
      `${workers}w: wait events of the ${pgCpu.backends} bulkwrite backends (share of samples): ` +
        pgCpu.waits.map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', '),
    );
    for (const e of ends)
      if (e.details.status !== 'COMPLETED')
        throw new Error(`job ${e.details.id} ended ${e.details.status}; workers' stderr: ${workerErr.trim()}`);
    const peaks = watches.map((w) => w.stop());
    const figures: Figures = {
      rows: ctx.rows,
      rowsPerSecond: ctx.rows / ((t2 - t0) / 1000),
      totalMs: t2 - t0,
      uploadMs: t1 - t0,
      serverPeakRssBytes: peaks[0]!,
    };
    peaks.slice(1).forEach((p, i) => (figures[`worker${i + 1}PeakRssBytes`] = p));
    figures.serverCpu = procCpu[0]!;
    procCpu.slice(1).forEach((c, i) => (figures[`worker${i + 1}Cpu`] = c));
    jobThreads.forEach((c, i) => (figures[`worker${i + 1}JobThreadCpu`] = c));
    figures.pgBackendCpu = pgCpu.backendCpu;
    figures.pgBackgroundCpu = pgCpu.backgroundCpu;
    figures.foreignCores = Math.max(0, machineBusySeconds() - busy0 - own) / seconds;
    return figures;
  } finally {
    stopWatches();
    // Workers finish the chunk in hand on SIGTERM; one that has not exited after 30 s is killed.
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    kills.forEach((k) => ctx.live.delete(k));
    await s.stop();
  }
}
