import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLeadsZip } from './data.js';
import { ForeignCpu } from './proc.js';
import { server, withDiagnostics, type BenchContext } from './scenarios.js';
import type { BenchServer } from './server-process.js';
import { median, type Figures } from './stats.js';

/**
 * `admin-reset`: `POST /_bulkwrite/reset {org_id}` on an org holding 10,000 records, 20 finished jobs
 * (their uploads and result zips) and their callback journal, the state a test suite resets before each
 * test (issue 14: ≤ 100 ms). The org is filled FILLS times on one fresh server (20 jobs of 500 rows, the
 * same files each time: a reset org takes the same Emails again) and each reset is timed; the figure is
 * their median. A reset of the whole store (a new default org and its credentials) is timed once after.
 */

const JOBS = 20;
const ROWS_PER_JOB = 500;
const FILLS = 3;

export async function adminResetRun(ctx: BenchContext): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-bench-reset-'));
  const s = await server(ctx);
  try {
    const zips: string[] = [];
    for (let j = 0; j < JOBS; j++)
      zips.push((await writeLeadsZip(join(dir, `r${j}.zip`), { from: j * ROWS_PER_JOB, rows: ROWS_PER_JOB })).path);
    return await withDiagnostics(s, () => measure(ctx, s, zips));
  } finally {
    await s.stop({ graceMs: 15_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reset(s: BenchServer, body: unknown): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${s.url}/_bulkwrite/reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`reset: HTTP ${res.status} ${text.slice(0, 300)}`);
  return ms;
}

async function measure(ctx: BenchContext, s: BenchServer, zips: string[]): Promise<Figures> {
  const deadline = Date.now() + ctx.timeoutMs;
  const orgMs: number[] = [];
  const foreign = new ForeignCpu([s.pid]);
  for (let fill = 0; fill < FILLS; fill++) {
    const jobs: string[] = [];
    for (const zip of zips) jobs.push(await s.api.createJob(await s.api.upload(zip), 'insert'));
    for (const id of jobs) {
      const done = await s.api.waitForJob(id, ROWS_PER_JOB, performance.now(), { intervalMs: 50, deadline });
      if (done.details.status !== 'COMPLETED') throw new Error(`job ${id} ended ${done.details.status}`);
    }
    orgMs.push(await reset(s, { org_id: s.api.orgId }));
    ctx.log(
      `  admin-reset: fill ${fill + 1}: reset of ${JOBS * ROWS_PER_JOB} records, ${JOBS} jobs in ${orgMs.at(-1)!.toFixed(1)} ms`,
    );
  }
  const storeMs = await reset(s, {});
  return {
    records: JOBS * ROWS_PER_JOB,
    jobs: JOBS,
    orgResetMs: median(orgMs),
    orgResetMaxMs: Math.max(...orgMs),
    storeResetMs: storeMs,
    foreignCores: foreign.cores(),
  };
}
