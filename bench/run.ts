import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { TimeoutError } from './api.js';
import { BenchFiles } from './files.js';
import { waitForQuiet } from './proc.js';
import { appendResult, describe, environment } from './results.js';
import {
  LOAD_CONNECTIONS,
  LOAD_SECONDS,
  floorRun,
  ingestRun,
  postgresRun,
  postgresUnavailable,
  smallAndDetailsRun,
  type BenchContext,
} from './scenarios.js';
import { recordsApiRun } from './records-scenario.js';
import { adminResetRun } from './admin-reset-scenario.js';
import { exportRun } from './export-scenario.js';
import { CONSOLE_TABS, consoleTabsRun } from './console-tabs-scenario.js';
import { fixed, int, mb, medianFigures, secs, thousands, type Figures } from './stats.js';

/**
 * The benchmark driver: `npm run bench` (every scenario, 3 runs, medians), or
 *   node dist/bench/run.js --scenario ingest-25k --runs 1 --rows 100000
 * Servers run as separate processes on 127.0.0.1; data is generated into a temp folder and removed.
 */

const SCENARIOS = [
  'floor-plain',
  'floor-schema',
  'ingest-insert',
  'ingest-upsert',
  'ingest-25k',
  'job-details-idle',
  'job-details-busy',
  'pg-ingest-insert-1w',
  'pg-ingest-insert-2w',
  'records-api',
  'admin-reset',
  'export',
  'console-tabs',
] as const;
type Scenario = (typeof SCENARIOS)[number];
const ALIASES: Record<string, Scenario[]> = {
  all: [...SCENARIOS],
  floor: ['floor-plain', 'floor-schema'],
  'job-details': ['job-details-idle', 'job-details-busy'],
  pg: ['pg-ingest-insert-1w', 'pg-ingest-insert-2w'],
};

const USAGE = `Usage: node dist/bench/run.js [--scenario NAME]... [--runs N] [--rows N] [--timeout S] [--profile DIR]
                           [--wait-quiet S] [--label TEXT] [--no-record]

  --scenario NAME  ${SCENARIOS.join(', ')},
                   floor (both floors), job-details (both), pg (both), all (default);
                   repeat or comma-separate. Ingest and pg scenarios always run floor-plain
                   too: their figures are given as ratios to it
  --runs N         runs per scenario; the median is reported (default 3)
  --rows N         rows of the big files (default 1000000); scale down for a quick run
  --timeout S      a step that takes longer is aborted and reported (default 300)
  --profile DIR    run servers and the floor with --cpu-prof, writing .cpuprofile files to DIR
  --wait-quiet S   before each run, wait up to S s for the machine to be idle (shared machines)
  --label TEXT     added to the commit column (e.g. what the build is, when it is not a plain commit)
  --server-cli P   run servers from another build's dist/src/cli/main.js (before/after in one run;
                   only the servers: the driver, floors and files stay this build's)
  --no-record      print only; do not append to bench/RESULTS.md`;

interface Options {
  scenarios: Set<Scenario>;
  runs: number;
  rows: number;
  timeoutMs: number;
  profileDir: string | null;
  record: boolean;
  waitQuietMs: number;
  label: string | null;
  serverCli: string | null;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      runs: { type: 'string', default: '3' },
      rows: { type: 'string', default: '1000000' },
      timeout: { type: 'string', default: '300' },
      profile: { type: 'string' },
      'no-record': { type: 'boolean' },
      'wait-quiet': { type: 'string', default: '0' },
      label: { type: 'string' },
      'server-cli': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const scenarios = new Set<Scenario>();
  for (const name of (values.scenario ?? ['all']).flatMap((s) => s.split(','))) {
    const list = ALIASES[name] ?? (SCENARIOS.includes(name as Scenario) ? [name as Scenario] : null);
    if (!list) throw new Error(`unknown scenario "${name}"\n\n${USAGE}`);
    list.forEach((s) => scenarios.add(s));
  }
  const positive = (name: string, raw: string) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${raw}"`);
    return n;
  };
  return {
    scenarios,
    runs: positive('runs', values.runs),
    rows: positive('rows', values.rows),
    timeoutMs: positive('timeout', values.timeout) * 1000,
    profileDir: values.profile ? resolve(values.profile) : null,
    record: !values['no-record'],
    waitQuietMs: Number(values['wait-quiet']) * 1000,
    label: values.label ?? null,
    serverCli: values['server-cli'] ? resolve(values['server-cli']) : null,
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

type Outcome = { ok: true; figures: Figures } | { ok: false; reason: string };

/** Runs one step within the time bound; on timeout every process it started is killed. */
async function bounded<T>(
  ctx: BenchContext,
  name: string,
  step: () => Promise<T>,
  timedParts = 1,
): Promise<T | string> {
  // Each timed part (a job) stops itself at the time bound; this is the safety net around them all.
  const limitMs = timedParts * ctx.timeoutMs + 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), limitMs);
  });
  const work = step();
  try {
    const r = await Promise.race([work, timeout]);
    if (r === 'timeout') {
      work.catch(() => undefined);
      for (const kill of ctx.live) kill();
      ctx.live.clear();
      return `aborted after ${Math.round(limitMs / 1000)} s`;
    }
    return r;
  } catch (e) {
    for (const kill of ctx.live) kill();
    ctx.live.clear();
    if (e instanceof TimeoutError) return `${e.message} after ${Math.round(ctx.timeoutMs / 1000)} s`;
    log(`${name} failed: ${(e as Error).stack ?? String(e)}`);
    return `failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Every ingest figure is given as a ratio to the plain floor of the same driver run (median over median). */
function ratio(a: number | undefined, floor: Figures | undefined, name = 'floor-plain'): string {
  const b = floor?.rowsPerSecond;
  return a !== undefined && b !== undefined && b > 0 ? `${fixed(a / b)} × ${name}` : `– × ${name}`;
}

interface Floors {
  plain: Figures | undefined;
  schema: Figures | undefined;
}

/** How much CPU other processes took meanwhile: figures with a high value are suspect. */
const noise = (f: Figures) => `; others used ${fixed(f.foreignCores ?? f.coldForeignCores)} cores meanwhile`;

function cpuText(f: Figures): string {
  return (
    `server CPU ${fixed(f.cpuMain, 1)} s main / ${fixed(f.cpuWorker, 1)} s worker thread / ${fixed(f.cpuOther, 1)} s other threads (${fixed(f.coresUsed)} cores); ` +
    // The worker thread is the pipeline's critical path; rows per second of its CPU time is what a
    // quiet machine could reach at most, and barely moves when other processes compete for the cores.
    `${fixed((f.cpuWorker! * 1e6) / f.rows!, 1)} µs worker CPU per row (≤ ${thousands(f.rows! / f.cpuWorker!)} rows/s)`
  );
}

/** One line of figures per scenario (medians). */
function line(s: Scenario, f: Figures, floors: Floors | undefined): string {
  const floor = floors?.plain;
  switch (s) {
    case 'floor-plain':
    case 'floor-schema':
      return (
        `${thousands(f.rows)} rows: ${thousands(f.rowsPerSecond)} rows/s (${secs(f.ms)}: inserts ${secs(f.insertMs)}, unzip+parse between them ${secs(f.unzipParseMs)}), ` +
        `${fixed((f.cpuSeconds! * 1e6) / f.rows!, 1)} µs CPU per row (all threads), peak RSS ${mb(f.peakRssBytes)}` +
        (s === 'floor-schema' ? ` (${ratio(f.rowsPerSecond, floor)})` : '') +
        noise(f)
      );
    case 'ingest-insert':
    case 'ingest-upsert':
      return (
        `${thousands(f.rows)} rows: ${thousands(f.rowsPerSecond)} rows/s upload→COMPLETED (${ratio(f.rowsPerSecond, floor)}` +
        (floors?.schema ? `, ${ratio(f.rowsPerSecond, floors.schema, 'floor-schema')}` : '') +
        `), ${thousands(f.jobRowsPerSecond)} rows/s create→COMPLETED (${ratio(f.jobRowsPerSecond, floor)}); ` +
        `upload ${secs(f.uploadMs)}, claim ${int(f.claimMs)} ms, chunks ${secs(f.chunksMs)}, result zip ${secs(f.resultZipMs)}; ` +
        `server peak RSS ${mb(f.peakRssBytes)}; ${cpuText(f)}${noise(f)}`
      );
    case 'ingest-25k':
      return (
        `cold worker ${int(f.coldMs)} ms create→COMPLETED (chunks ${int(f.coldChunksMs)} ms, result zip ${int(f.coldResultZipMs)} ms; ` +
        `CPU ${int(f.coldWorkerCpuMs)} ms worker thread, ${int(f.coldHttpCpuMs)} ms HTTP thread, ${int(f.coldServerCpuMs)} ms whole server); ` +
        `warm ${int(f.warmMs)} ms (claim ${int(f.warmClaimMs)} ms, chunks ${int(f.warmChunksMs)} ms, result zip ${int(f.warmResultZipMs)} ms; ` +
        `CPU ${int(f.warmWorkerCpuMs)} ms worker thread, ${int(f.warmHttpCpuMs)} ms HTTP thread, ${int(f.warmServerCpuMs)} ms whole server)${noise(f)}`
      );
    case 'records-api': {
      const ms = (k: string) => `${fixed(f[`${k}Ms`], 1)} ms (p95 ${fixed(f[`${k}P95Ms`], 1)})`;
      return (
        `${thousands(f.rows)} Leads: page 1 ${ms('page1')}, page ${int(f.deepPage)} ${ms('deep')} ` +
        `(its first request ${fixed(f.deepFirstMs, 1)} ms), the same depth by page_token (v8) HTTP ${int(f.tokenStatus)} in ${ms('token')}; ` +
        `search (Email:equals:…) ${ms('searchCriteria')}, email=… HTTP ${int(f.searchEmailParamStatus)} in ${fixed(f.searchEmailParamMs, 1)} ms ` +
        `(200 records a page, requests one at a time)${noise(f)}`
      );
    }
    case 'admin-reset':
      return (
        `POST /_bulkwrite/reset {org_id} of an org with ${thousands(f.records)} records and ${int(f.jobs)} jobs: ` +
        `${fixed(f.orgResetMs, 1)} ms (worst ${fixed(f.orgResetMaxMs, 1)} ms); the whole store (new default org): ${fixed(f.storeResetMs, 1)} ms${noise(f)}`
      );
    case 'export': {
      const pages = Array.from({ length: f.pages ?? 0 }, (_, i) => {
        const k = `page${i + 1}`;
        return `${secs(f[`${k}JobMs`])} + ${secs(f[`${k}DownloadMs`])}`;
      }).join(', ');
      return (
        `${thousands(f.rows)} Leads in ${int(f.pages)} pages: ${thousands(f.recordsPerSecond)} records/s end to end ` +
        `(${secs(f.ms)}; per page create→COMPLETED + download and count: ${pages}); server peak RSS ${mb(f.peakRssBytes)}; ` +
        `server CPU ${fixed(f.cpuMain, 1)} s main / ${fixed(f.cpuWorker, 1)} s worker thread / ${fixed(f.cpuOther, 1)} s other threads (${fixed(f.coresUsed)} cores); ` +
        `${fixed((f.cpuWorker! * 1e6) / f.rows!, 2)} µs worker CPU per record (≤ ${thousands(f.rows! / f.cpuWorker!)} records/s), ` +
        `${fixed(((f.cpuMain! + f.cpuWorker! + f.cpuOther!) * 1e6) / f.rows!, 2)} µs whole server; ` +
        `job details (${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s) idle ${thousands(f.idleReqPerSecond)} req/s p99 ${int(f.idleP99Ms)} ms, ` +
        `while exporting ${thousands(f.busyReqPerSecond)} req/s p50 ${int(f.busyP50Ms)} ms p99 ${int(f.busyP99Ms)} ms max ${int(f.busyMaxMs)} ms ` +
        `(${int(f.busyNon2xx)} non-2xx, ${int(f.busyErrors)} errors; exports meanwhile ${thousands(f.busyRecordsPerSecond)} records/s, peak RSS ${mb(f.busyPeakRssBytes)})` +
        noise(f)
      );
    }
    case 'console-tabs':
      return (
        `job details with ${CONSOLE_TABS} console tabs polling: ${thousands(f.reqPerSecond)} req/s, p50 ${int(f.p50Ms)} ms, ` +
        `p99 ${int(f.p99Ms)} ms, max ${int(f.maxMs)} ms (${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s, ${int(f.non2xx)} non-2xx); ` +
        `the import made ${thousands(f.jobRowsPerSecondUnderLoad)} rows/s meanwhile; the tabs made ${fixed(f.tabRequestsPerSecond, 1)} req/s ` +
        `(p50 ${int(f.tabP50Ms)} ms, p99 ${int(f.tabP99Ms)} ms, ${int(f.tabErrors)} errors); without the tabs: ` +
        `${thousands(f.withoutReqPerSecond)} req/s, p50 ${int(f.withoutP50Ms)} ms, p99 ${int(f.withoutP99Ms)} ms, ` +
        `the import ${thousands(f.withoutJobRowsPerSecondUnderLoad)} rows/s; server peak RSS ${mb(f.peakRssBytes)}` +
        noise(f)
      );
    case 'job-details-idle':
    case 'job-details-busy':
      return (
        `${thousands(f.reqPerSecond)} req/s, p50 ${int(f.p50Ms)} ms, p99 ${int(f.p99Ms)} ms, max ${int(f.maxMs)} ms ` +
        `(${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s, ${int(f.non2xx)} non-2xx, ${int(f.errors)} errors); ` +
        `server HTTP thread ${fixed(f.serverMainCores)} cores, autocannon ${fixed(f.driverCores)} cores; server peak RSS ${mb(f.peakRssBytes)}` +
        (s === 'job-details-busy'
          ? `; the job advanced ${thousands(f.jobRowsPerSecondUnderLoad)} rows/s meanwhile`
          : '') +
        noise(f)
      );
    default: {
      const workers = Object.keys(f)
        .filter((k) => /^worker\d+PeakRssBytes$/.test(k))
        .map((k) => mb(f[k]))
        .join(', ');
      const perRow = (cpu: number | undefined) => `${fixed((cpu! * 1e6) / f.rows!, 1)} µs`;
      const workerCpu = Object.keys(f)
        .filter((k) => /^worker\d+Cpu$/.test(k))
        .map((k) => perRow(f[k]))
        .join(' + ');
      const jobThreads = Object.keys(f)
        .filter((k) => /^worker\d+JobThreadCpu$/.test(k))
        .map((k) => perRow(f[k]))
        .join(' + ');
      const total = Object.keys(f)
        .filter((k) => /^worker\d+Cpu$|^serverCpu$|^pg(Backend|Background)Cpu$/.test(k))
        .reduce((a, k) => a + f[k]!, 0);
      return (
        `${thousands(f.rows)} rows in two jobs: ${thousands(f.rowsPerSecond)} rows/s (${ratio(f.rowsPerSecond, floor)}); upload ${secs(f.uploadMs)}; peak RSS server ${mb(f.serverPeakRssBytes)}, workers ${workers}; ` +
        `CPU per row: workers ${workerCpu} (job threads ${jobThreads}), PostgreSQL backends ${perRow(f.pgBackendCpu)}, its background processes ${perRow(f.pgBackgroundCpu)}, server ${perRow(f.serverCpu)}; ` +
        `total ${perRow(total)} (≤ ${thousands((2 * f.rows!) / total)} rows/s on 2 cores)${noise(f)}`
      );
    }
  }
}

interface Target {
  scenario: Scenario;
  what: string;
  value: (f: Figures, floor: Figures | undefined) => number | undefined;
  atLeast?: number;
  atMost?: number;
  show: (n: number) => string;
}

/** The targets of issues 17 (ingest, the 25k job), 6 (job details) and 19 (export); medians of 3 runs on a 2-core machine. */
const TARGETS: Target[] = [
  {
    scenario: 'ingest-insert',
    what: 'rows/s ≥ 0.7 × floor-plain',
    value: (f, fl) => (fl ? f.rowsPerSecond! / fl.rowsPerSecond! : undefined),
    atLeast: 0.7,
    show: (n) => `${fixed(n)} × floor-plain`,
  },
  {
    scenario: 'ingest-insert',
    what: 'server peak RSS ≤ 300 MB',
    value: (f) => f.peakRssBytes,
    atMost: 300 * 2 ** 20,
    show: mb,
  },
  {
    scenario: 'ingest-upsert',
    what: 'rows/s ≥ 0.5 × floor-plain',
    value: (f, fl) => (fl ? f.rowsPerSecond! / fl.rowsPerSecond! : undefined),
    atLeast: 0.5,
    show: (n) => `${fixed(n)} × floor-plain`,
  },
  {
    scenario: 'ingest-upsert',
    what: 'server peak RSS ≤ 350 MB',
    value: (f) => f.peakRssBytes,
    atMost: 350 * 2 ** 20,
    show: mb,
  },
  {
    scenario: 'ingest-25k',
    what: 'create→COMPLETED ≤ 0.5 s (warm worker)',
    value: (f) => f.warmMs,
    atMost: 500,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'ingest-25k',
    what: 'create→COMPLETED ≤ 1 s (cold worker)',
    value: (f) => f.coldMs,
    atMost: 1000,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'records-api',
    what: 'page 1 ≤ 20 ms',
    value: (f) => f.page1Ms,
    atMost: 20,
    show: (n) => `${fixed(n, 1)} ms`,
  },
  {
    scenario: 'records-api',
    what: 'deep page ≤ 20 ms',
    value: (f) => f.deepMs,
    atMost: 20,
    show: (n) => `${fixed(n, 1)} ms`,
  },
  {
    scenario: 'records-api',
    what: 'search by a unique field ≤ 5 ms',
    value: (f) => f.searchCriteriaMs,
    atMost: 5,
    show: (n) => `${fixed(n, 1)} ms`,
  },
  {
    scenario: 'job-details-idle',
    what: '≥ 8,000 req/s',
    value: (f) => f.reqPerSecond,
    atLeast: 8000,
    show: thousands,
  },
  {
    scenario: 'job-details-idle',
    what: 'p99 ≤ 25 ms',
    value: (f) => f.p99Ms,
    atMost: 25,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'job-details-busy',
    what: 'p99 ≤ 100 ms',
    value: (f) => f.p99Ms,
    atMost: 100,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'export',
    what: 'records/s end to end ≥ 100,000',
    value: (f) => f.recordsPerSecond,
    atLeast: 100_000,
    show: thousands,
  },
  {
    scenario: 'export',
    what: 'server peak RSS ≤ 300 MB',
    value: (f) => Math.max(f.peakRssBytes ?? 0, f.busyPeakRssBytes ?? 0),
    atMost: 300 * 2 ** 20,
    show: mb,
  },
  {
    scenario: 'export',
    what: "job details p99 while exporting ≤ 25 ms (job-details-idle's target)",
    value: (f) => f.busyP99Ms,
    atMost: 25,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'console-tabs',
    what: 'job details p99 ≤ 100 ms with 50 tabs (the job-details-busy target)',
    value: (f) => f.p99Ms,
    atMost: 100,
    show: (n) => `${int(n)} ms`,
  },
  {
    scenario: 'admin-reset',
    what: 'reset of an org (10,000 records, 20 jobs) ≤ 100 ms',
    value: (f) => f.orgResetMs,
    atMost: 100,
    show: (n) => `${fixed(n, 1)} ms`,
  },
];

function targetLine(t: Target, f: Figures, floor: Figures | undefined): string {
  const v = t.value(f, floor);
  if (v === undefined || !Number.isFinite(v)) return `  ${t.scenario} ${t.what}: no figure`;
  const goal = t.atLeast ?? t.atMost!;
  const met = t.atLeast !== undefined ? v >= goal : v <= goal;
  const miss = t.atLeast !== undefined ? `${fixed(goal / v)}× short` : `${fixed(v / goal)}× over`;
  return `  ${t.scenario} ${t.what}: ${t.show(v)} ${met ? 'MET' : `MISSED (${miss})`}`;
}

function prefixed(prefix: string, f: Figures): Figures {
  const out: Figures = {};
  for (const [k, v] of Object.entries(f)) out[prefix + k[0]!.toUpperCase() + k.slice(1)] = v;
  return out;
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  if (opts.serverCli) process.env.BULKWRITE_BENCH_CLI = opts.serverCli;
  const env = environment();
  if (opts.label) env.commit += ` (${opts.label})`;
  const tmp = mkdtempSync(join(tmpdir(), 'bulkwrite-bench-data-'));
  const cleanup = () => rmSync(tmp, { recursive: true, force: true });
  const nodeArgs: string[] = [];
  if (opts.profileDir) {
    mkdirSync(opts.profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`);
  }
  const ctx: BenchContext = {
    rows: opts.rows,
    batchSize: loadConfig(process.env).batchSize,
    timeoutMs: opts.timeoutMs,
    files: new BenchFiles(tmp, opts.rows, log),
    nodeArgs,
    live: new Set(),
    log,
    run: 0,
    ...(opts.profileDir
      ? { phases: (e) => appendFileSync(join(opts.profileDir!, 'phases.jsonl'), `${JSON.stringify(e)}\n`) }
      : {}),
  };
  const abort = () => {
    for (const kill of ctx.live) kill();
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);

  const want = (s: Scenario) => opts.scenarios.has(s);
  const pgReason =
    want('pg-ingest-insert-1w') || want('pg-ingest-insert-2w') ? await postgresUnavailable() : 'not selected';
  // Ingest figures are ratios to the plain floor, so it runs whenever one of them does.
  const needPlain = want('floor-plain') || want('ingest-insert') || want('ingest-upsert') || pgReason === null;
  const outcomes = new Map<Scenario, Outcome[]>(SCENARIOS.map((s) => [s, []]));
  const note = (s: Scenario, o: Figures | string | undefined) => {
    if (o === undefined) return;
    outcomes.get(s)!.push(typeof o === 'string' ? { ok: false, reason: o } : { ok: true, figures: o });
  };

  log(describe(env));
  log(`scenarios: ${[...opts.scenarios].join(', ')}; ${opts.runs} run(s); ${opts.rows.toLocaleString('en-US')} rows`);
  const runTag = `r${Date.now().toString(36)}`;
  try {
    for (let run = 1; run <= opts.runs; run++) {
      ctx.run = run;
      if (opts.waitQuietMs > 0) {
        const q = await waitForQuiet(opts.waitQuietMs);
        log(
          `waited ${(q.waitedMs / 1000).toFixed(0)} s for a quiet machine (others now use ${q.busy.toFixed(2)} cores)`,
        );
      }
      log(
        `— run ${run} of ${opts.runs} (load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})`,
      );
      for (const [s, mode, needed] of [
        ['floor-plain', 'plain', needPlain],
        ['floor-schema', 'schema', want('floor-schema')],
      ] as const) {
        if (!needed) continue;
        const r = await bounded(ctx, s, () => floorRun(ctx, mode));
        note(s, r);
        log(`${s}: ${typeof r === 'string' ? r : line(s, r, undefined)}`);
      }
      if (want('ingest-insert') || want('ingest-upsert')) {
        const upsert = want('ingest-upsert');
        const r = await bounded(ctx, 'ingest', () => ingestRun(ctx, { upsert }), upsert ? 2 : 1);
        if (typeof r === 'string') {
          note('ingest-insert', r);
          if (want('ingest-upsert')) note('ingest-upsert', r);
        } else {
          note('ingest-insert', r.insert);
          note('ingest-upsert', r.upsert);
        }
        if (typeof r !== 'string') log(`ingest-insert: ${line('ingest-insert', r.insert, undefined)}`);
        if (typeof r !== 'string' && r.upsert && typeof r.upsert !== 'string')
          log(`ingest-upsert: ${line('ingest-upsert', r.upsert, undefined)}`);
      }
      if (want('ingest-25k') || want('job-details-idle') || want('job-details-busy')) {
        const r = await bounded(
          ctx,
          '25k/job-details',
          () =>
            smallAndDetailsRun(ctx, {
              small: want('ingest-25k'),
              idle: want('job-details-idle'),
              busy: want('job-details-busy'),
            }),
          2,
        );
        if (typeof r === 'string') {
          (['ingest-25k', 'job-details-idle', 'job-details-busy'] as const).filter(want).forEach((s) => note(s, r));
        } else {
          if (r.cold && r.warm) note('ingest-25k', { ...prefixed('cold', r.cold), ...prefixed('warm', r.warm) });
          note('job-details-idle', r.idle);
          note('job-details-busy', r.busy);
          for (const s of ['ingest-25k', 'job-details-idle', 'job-details-busy'] as const) {
            const last = outcomes.get(s)!.at(-1);
            if (want(s) && last?.ok) log(`${s}: ${line(s, last.figures, undefined)}`);
          }
        }
      }
      if (want('records-api')) {
        const r = await bounded(ctx, 'records-api', () => recordsApiRun(ctx));
        note('records-api', r);
        if (typeof r !== 'string') log(`records-api: ${line('records-api', r, undefined)}`);
      }
      if (want('admin-reset')) {
        const r = await bounded(ctx, 'admin-reset', () => adminResetRun(ctx));
        note('admin-reset', r);
        if (typeof r !== 'string') log(`admin-reset: ${line('admin-reset', r, undefined)}`);
      }
      if (want('export')) {
        const r = await bounded(ctx, 'export', () => exportRun(ctx), 3);
        note('export', r);
        if (typeof r !== 'string') log(`export: ${line('export', r, undefined)}`);
      }
      if (want('console-tabs')) {
        const r = await bounded(ctx, 'console-tabs', () => consoleTabsRun(ctx));
        note('console-tabs', r);
        if (typeof r !== 'string') log(`console-tabs: ${line('console-tabs', r, undefined)}`);
      }
      for (const [s, workers] of [
        ['pg-ingest-insert-1w', 1],
        ['pg-ingest-insert-2w', 2],
      ] as const) {
        if (!want(s) || pgReason !== null) continue;
        const r = await bounded(ctx, s, () => postgresRun(ctx, workers, `${runTag}-${run}-${workers}`));
        note(s, r);
      }
    }
  } finally {
    for (const kill of ctx.live) kill();
    cleanup();
  }

  console.log(`\nbulkwrite benchmarks — ${describe(env)}`);
  const floorOf = (s: Scenario) => {
    const good = outcomes.get(s)!.filter((o): o is { ok: true; figures: Figures } => o.ok);
    return good.length > 0 ? medianFigures(good.map((o) => o.figures)) : undefined;
  };
  const floors: Floors = { plain: floorOf('floor-plain'), schema: floorOf('floor-schema') };
  const targetLines: string[] = [];
  for (const s of SCENARIOS) {
    // The plain floor is printed whenever it ran: the ratios refer to it.
    if (!want(s) && !(s === 'floor-plain' && outcomes.get(s)!.length > 0)) continue;
    if (s.startsWith('pg-') && pgReason !== null) {
      console.log(`${s.padEnd(20)} SKIPPED: ${pgReason} (PostgreSQL support is being built; not faked)`);
      continue;
    }
    const list = outcomes.get(s)!;
    const good = list.filter((o): o is { ok: true; figures: Figures } => o.ok).map((o) => o.figures);
    const bad = list.filter((o): o is { ok: false; reason: string } => !o.ok).map((o) => o.reason);
    const suffix = `[median of ${good.length} run${good.length === 1 ? '' : 's'}${bad.length ? `; ${bad.length} not finished: ${bad.join('; ')}` : ''}]`;
    const medians = good.length > 0 ? medianFigures(good) : null;
    if (medians)
      for (const t of TARGETS.filter((x) => x.scenario === s)) targetLines.push(targetLine(t, medians, floors.plain));
    const text = medians ? `${line(s, medians, floors)} ${suffix}` : `NO RESULT ${suffix}`;
    console.log(`${s.padEnd(20)} ${text}`);
    if (opts.record) {
      const scaled = opts.rows === 1_000_000 ? '' : ` (${opts.rows.toLocaleString('en-US')}-row files)`;
      appendResult(env, `${s}${scaled}`, good.length, text);
    }
  }
  if (targetLines.length > 0) console.log(`\ntargets (issues 17, 6 and 19):\n${targetLines.join('\n')}`);
  console.log(`bench driver peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

main().catch((e: unknown) => {
  console.error(`bench: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
