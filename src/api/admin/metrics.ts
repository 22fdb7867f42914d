import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { processRegistry } from '../../metrics.js';
import type { AppDeps } from '../deps.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's HTTP counters and store gauges (registerHttpMetrics); /_bulkwrite/metrics serves them. */
    bulkwriteMetrics: AppMetrics;
  }
}

/** The HTTP latency buckets, in seconds: a cached poll (well under a millisecond) to a 25 MB upload. */
const HTTP_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A Zoho code in the head of an error body: `"code":"INVALID_DATA"`. */
const CODE = /"code":"([A-Z][A-Z0-9_]{0,63})"/;

interface AppMetrics {
  registry: Registry;
  requests: Counter<'route' | 'method' | 'status' | 'code'>;
  seconds: Histogram<'route' | 'method'>;
  jobs: Gauge<'status'>;
  queueDepth: Gauge;
  queueOldest: Gauge;
  leasesExpired: Gauge;
  workers: Gauge;
  pool: Gauge<'state'>;
  poolWaiting: Gauge;
}

function appMetrics(): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'bulkwrite_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method, status and Zoho code (empty when the answer has none)',
      labelNames: ['route', 'method', 'status', 'code'],
      registers,
    }),
    seconds: new Histogram({
      name: 'bulkwrite_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern and method',
      labelNames: ['route', 'method'],
      buckets: HTTP_SECONDS,
      registers,
    }),
    jobs: new Gauge({
      name: 'bulkwrite_jobs',
      help: 'Jobs in the store by status (ADDED, INPROGRESS, COMPLETED, FAILED), read at scrape time',
      labelNames: ['status'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'bulkwrite_queue_depth',
      help: 'Jobs waiting to be claimed (status ADDED)',
      registers,
    }),
    queueOldest: new Gauge({
      name: 'bulkwrite_queue_oldest_age_seconds',
      help: 'Age of the oldest job waiting to be claimed; 0 when none waits',
      registers,
    }),
    leasesExpired: new Gauge({
      name: 'bulkwrite_jobs_lease_expired',
      help: 'INPROGRESS jobs whose worker lease has expired (their worker died; another will resume them)',
      registers,
    }),
    workers: new Gauge({
      name: 'bulkwrite_worker_threads',
      help: 'Job worker threads this process runs now',
      registers,
    }),
    pool: new Gauge({
      name: 'bulkwrite_store_pool_connections',
      help: 'PostgreSQL pool connections of this process, by state (total, idle); absent on SQLite',
      labelNames: ['state'],
      registers,
    }),
    poolWaiting: new Gauge({
      name: 'bulkwrite_store_pool_waiting',
      help: 'Queries of this process waiting for a PostgreSQL pool connection; absent on SQLite',
      registers,
    }),
  };
}

/** The route a request matched as its pattern (bounded label values), or `unmatched`. */
function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'unmatched';
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * Counts every answer of the app: registered on the root before any route, so every route (and the
 * not-found answer) has it. The Zoho code is read from the head of the body Fastify is about to send.
 */
export function registerHttpMetrics(app: FastifyInstance): void {
  const m = appMetrics();
  app.decorate('bulkwriteMetrics', m);
  const codes = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', async (req, reply: FastifyReply, payload) => {
    if (typeof payload === 'string' && payload.startsWith('{')) {
      const head = payload.slice(0, 400);
      if (reply.statusCode >= 400 || head.includes('"status":"error"')) codes.set(req, CODE.exec(head)?.[1] ?? '');
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = routeOf(req);
    const method = KNOWN_METHODS.has(req.method) ? req.method : 'OTHER';
    m.requests.inc({ route, method, status: String(reply.statusCode), code: codes.get(req) ?? '' });
    m.seconds.observe({ route, method }, reply.elapsedTime / 1000);
  });
}

/** Reads the gauges that live in the store (and this process's pool and threads) for one scrape. */
async function readGauges(m: AppMetrics, deps: AppDeps): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const stats = await deps.storage.ops.jobStats(now);
  m.jobs.reset();
  for (const status of ['ADDED', 'INPROGRESS', 'COMPLETED', 'FAILED']) m.jobs.set({ status }, 0);
  for (const [status, n] of Object.entries(stats.byStatus)) m.jobs.set({ status }, n);
  m.queueDepth.set(stats.byStatus.ADDED ?? 0);
  m.queueOldest.set(stats.oldestQueuedAt === null ? 0 : Math.max(0, now - stats.oldestQueuedAt) / 1000);
  m.leasesExpired.set(stats.leasesExpired);
  m.workers.set(deps.workers?.() ?? 0);
  const pool = deps.storage.ops.poolStats();
  if (pool) {
    m.pool.set({ state: 'total' }, pool.total);
    m.pool.set({ state: 'idle' }, pool.idle);
    m.poolWaiting.set(pool.waiting);
  }
}

/** GET /_bulkwrite/metrics: Prometheus's text format, this app's series and the process's. */
export function registerMetricsRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get('/metrics', async (_req, reply) => {
    const m = app.bulkwriteMetrics;
    await readGauges(m, deps);
    const own = processRegistry();
    const text = `${await m.registry.metrics()}\n${await own.metrics()}`;
    return reply.code(200).header('content-type', own.contentType).send(text);
  });
}
