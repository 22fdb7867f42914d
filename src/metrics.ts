import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * Counters of what happens to jobs, fed by whoever does the work (docs/operations.md lists every
 * metric). Job workers run in threads of their own (worker-thread.ts), and a thread's counters are not
 * the HTTP thread's: a worker thread calls `forwardMetrics` once, after which its events travel to the
 * parent as messages, and the parent hands them to `applyForwardedMetric`. In the process that serves
 * /_bulkwrite/metrics, events are counted at once. State gauges (jobs by status, queue depth) are not
 * events: api/admin/metrics.ts reads them from the store at scrape time, so they are right whatever
 * process or thread ran the jobs.
 */
export type MetricEvent =
  | { metric: 'rows'; added: number; updated: number; skipped: number }
  | { metric: 'job'; status: 'COMPLETED' | 'FAILED'; seconds: number }
  /** One try to deliver a callback: `delivered` (2xx) or `error` (an error status, a network error, a timeout). */
  | { metric: 'callback-attempt'; result: 'delivered' | 'error' }
  /** A callback that will not be tried again (every attempt failed, or its URL was refused). */
  | { metric: 'callback-failed' };

/** The buckets of job durations, in seconds: a few rows to a million. */
const JOB_SECONDS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

class ProcessMetrics {
  readonly registry = new Registry();
  private readonly rows = new Counter({
    name: 'bulkwrite_rows_total',
    help: 'Input rows processed, by outcome (ADDED, UPDATED, SKIPPED; a row refused with an error is SKIPPED)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly jobs = new Histogram({
    name: 'bulkwrite_job_duration_seconds',
    help: 'Time a worker spent on a job from claim to finish, by final status',
    labelNames: ['status'],
    buckets: JOB_SECONDS,
    registers: [this.registry],
  });
  private readonly callbackAttempts = new Counter({
    name: 'bulkwrite_callback_attempts_total',
    help: 'Tries to deliver a job callback, by result (delivered, error)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly callbackFailures = new Counter({
    name: 'bulkwrite_callback_failures_total',
    help: 'Job callbacks given up on (every try failed, or the URL was refused)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bulkwrite_' });
    // Zero series from the start, so a rate() has a baseline before the first job.
    for (const outcome of ['ADDED', 'UPDATED', 'SKIPPED']) this.rows.inc({ outcome }, 0);
    for (const result of ['delivered', 'error']) this.callbackAttempts.inc({ result }, 0);
  }

  apply(e: MetricEvent): void {
    switch (e.metric) {
      case 'rows':
        if (e.added > 0) this.rows.inc({ outcome: 'ADDED' }, e.added);
        if (e.updated > 0) this.rows.inc({ outcome: 'UPDATED' }, e.updated);
        if (e.skipped > 0) this.rows.inc({ outcome: 'SKIPPED' }, e.skipped);
        return;
      case 'job':
        this.jobs.observe({ status: e.status }, e.seconds);
        return;
      case 'callback-attempt':
        this.callbackAttempts.inc({ result: e.result });
        return;
      case 'callback-failed':
        this.callbackFailures.inc();
        return;
    }
  }
}

let local: ProcessMetrics | null = null;
let forward: ((e: MetricEvent) => void) | null = null;

function processMetrics(): ProcessMetrics {
  local ??= new ProcessMetrics();
  return local;
}

/** Counts an event here, or sends it to the parent thread when this is a worker thread (`forwardMetrics`). */
export function recordMetric(e: MetricEvent): void {
  if (forward) forward(e);
  else processMetrics().apply(e);
}

/** The hooks job code calls; each is one `recordMetric`. */
export const metrics = {
  // Only the three numbers: a worker thread posts the event to its parent, and a chunk commit passed as
  // `counts` holds every record of the chunk (spreading it would clone them all across threads).
  rows: ({ added, updated, skipped }: { added: number; updated: number; skipped: number }): void =>
    recordMetric({ metric: 'rows', added, updated, skipped }),
  jobFinished: (status: 'COMPLETED' | 'FAILED', ms: number): void =>
    recordMetric({ metric: 'job', status, seconds: ms / 1000 }),
  callbackAttempt: (delivered: boolean): void =>
    recordMetric({ metric: 'callback-attempt', result: delivered ? 'delivered' : 'error' }),
  callbackFailed: (): void => recordMetric({ metric: 'callback-failed' }),
};

/** In a worker thread: from now on, events go to the parent as `{ bulkwriteMetric: event }` messages. */
export function forwardMetrics(post: (message: unknown) => void): void {
  forward = (e) => post({ bulkwriteMetric: e });
}

const METRIC_NAMES = new Set(['rows', 'job', 'callback-attempt', 'callback-failed']);

/** In the parent: counts a worker thread's message when it is a forwarded event; true when it was one. */
export function applyForwardedMetric(message: unknown): boolean {
  const e = (message as { bulkwriteMetric?: MetricEvent } | null)?.bulkwriteMetric;
  if (typeof e !== 'object' || e === null || !METRIC_NAMES.has(e.metric)) return false;
  processMetrics().apply(e);
  return true;
}

/** This process's event counters and Node's own process metrics (`bulkwrite_process_*`, `bulkwrite_nodejs_*`). */
export function processRegistry(): Registry {
  return processMetrics().registry;
}
