import type { JobDetails } from './api.js';
import { RssWatch } from './proc.js';
import { load, server, withDiagnostics, type BenchContext } from './scenarios.js';
import { TimeoutError } from './api.js';
import type { Figures } from './stats.js';

/**
 * `console-tabs`: 50 console tabs watching a million-row import while autocannon measures job details,
 * as `job-details-busy` does, with and without the tabs. A tab is an HTTP client that asks exactly what
 * the console's pages ask (console/app/pages/jobs.ts, job.ts, main.ts), at their own rate: each page
 * asks again 1 s after its previous answer (setTimeout after the answer, not a fixed interval), and the
 * console has no server-sent event stream. Half the tabs show the jobs page, half the job's page.
 */

export const CONSOLE_TABS = 50;

interface TabStats {
  latencies: number[];
  errors: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One tab until `stop.done`: what its page asks when opened, then what it polls. */
async function tab(
  url: string,
  orgId: string,
  jobId: string,
  kind: 'jobs' | 'job',
  stop: { done: boolean },
  s: TabStats,
) {
  const get = async (path: string) => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`).catch(() => null);
    if (res === null || res.status !== 200) s.errors++;
    const body = res === null ? null : ((await res.json().catch(() => null)) as Record<string, unknown> | null);
    s.latencies.push(performance.now() - t);
    return body;
  };
  // main.ts: the session, then the orgs (state.ts loadOrgs) on the first page.
  await get('/_bulkwrite/console/session');
  await get('/_bulkwrite/orgs');
  const job = `/_bulkwrite/console/orgs/${orgId}/jobs/${jobId}`;
  if (kind === 'jobs') {
    // jobs.ts: the first page of every org's jobs, 50 a page, again 1 s after each answer while one runs.
    while (!stop.done) {
      await get('/_bulkwrite/console/jobs?limit=50');
      await pause(1000);
    }
    return;
  }
  // job.ts: the job, its first 100 rows, the code counts, the callback attempts; then every second the
  // job and the codes (the rows again only while the first page is not full; a million-row job's is).
  await get(job);
  await get(`${job}/rows?from=1&limit=100`);
  await get(`${job}/codes`);
  await get(`/_bulkwrite/callbacks?org_id=${orgId}&job_id=${jobId}`);
  while (!stop.done) {
    await pause(1000);
    await get(job);
    const codes = await get(`${job}/codes`);
    // loadCodes asks again after 500 ms while the count is behind the committed rows.
    if (codes !== null && Number(codes.counted_rows) < Number(codes.committed_rows) && !stop.done) {
      await pause(500);
      await get(`${job}/codes`);
    }
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function consoleTabsRun(ctx: BenchContext): Promise<Figures> {
  const zip = await ctx.files.insert();
  const s = await server(ctx);
  try {
    return await withDiagnostics(s, async () => {
      const deadline = Date.now() + ctx.timeoutMs;
      const fileId = await s.api.upload(zip.path);
      const jobId = await s.api.createJob(fileId, 'insert');
      const done = (d: JobDetails) => d.resource[0]?.file?.total_count ?? 0;
      let d = await s.api.getJob(jobId);
      while (done(d) === 0 && d.status !== 'COMPLETED') {
        if (Date.now() > deadline) throw new TimeoutError('aborted: the million-row job did not start');
        await pause(50);
        d = await s.api.getJob(jobId);
      }
      /** Job details under autocannon, and how many rows/s the import made meanwhile. */
      const measured = async (what: string): Promise<Figures> => {
        const before = done(await s.api.getJob(jobId));
        const t = performance.now();
        const f = await load(s.api, s.pid, s.api.jobUrl(jobId));
        const after = await s.api.getJob(jobId);
        if (after.status !== 'INPROGRESS')
          ctx.log(
            `console-tabs (${what}): the job was ${after.status} before the load ended; the figure is partly idle`,
          );
        return { ...f, jobRowsPerSecondUnderLoad: (done(after) - before) / ((performance.now() - t) / 1000) };
      };
      // With the tabs first (the figure the target is about), while the job has the most rows left.
      const stop = { done: false };
      const stats: TabStats = { latencies: [], errors: 0 };
      const rss = new RssWatch(s.pid);
      const tabs = Array.from({ length: CONSOLE_TABS }, (_, i) =>
        tab(s.api.url, s.api.orgId, jobId, i % 2 === 0 ? 'jobs' : 'job', stop, stats),
      );
      await pause(2000);
      const tabsFrom = stats.latencies.length;
      const tabsT = performance.now();
      const withTabs = await measured('with tabs');
      const tabRequests = stats.latencies.length - tabsFrom;
      const tabSeconds = (performance.now() - tabsT) / 1000;
      stop.done = true;
      await Promise.all(tabs);
      const peakRssBytes = rss.stop();
      const without = await measured('without tabs');
      const sorted = stats.latencies.slice(tabsFrom, tabsFrom + tabRequests).sort((a, b) => a - b);
      return {
        ...withTabs,
        peakRssBytes,
        tabRequestsPerSecond: tabRequests / tabSeconds,
        tabP50Ms: percentile(sorted, 50),
        tabP99Ms: percentile(sorted, 99),
        tabErrors: stats.errors,
        withoutReqPerSecond: without.reqPerSecond!,
        withoutP50Ms: without.p50Ms!,
        withoutP99Ms: without.p99Ms!,
        withoutJobRowsPerSecondUnderLoad: without.jobRowsPerSecondUnderLoad!,
      };
    });
  } finally {
    await s.stop({ graceMs: 15_000 });
  }
}
