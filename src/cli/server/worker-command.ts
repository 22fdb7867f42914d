import type { Worker } from 'node:worker_threads';
import Fastify, { type FastifyInstance } from 'fastify';
import { guardAdminSurface } from '../../api/admin/admin-access.js';
import { loadConfig, type Config } from '../../config.js';
import { createLogger } from '../../log.js';
import { applyForwardedMetric, processRegistry } from '../../metrics.js';
import { presentedOrigins } from '../../presentation.js';
import { startWorkerThread, stopWorkerThread } from '../../worker-threads.js';
import { openStorage } from '../../storage/open-storage.js';
import { parseCommand } from '../args.js';
import { CliError } from '../exit-codes.js';

export const WORKER_HELP = `Usage: bulkwrite worker [--concurrency N] [--data-dir DIR] [--metrics-port N [--metrics-host H]]

Runs job workers only (no HTTP API), for scale-out: many \`bulkwrite serve --no-worker\` API processes
and many \`bulkwrite worker\` processes share one PostgreSQL (BULKWRITE_DATABASE_URL). Jobs are claimed
with FOR UPDATE SKIP LOCKED and a lease that the worker renews with every chunk; a job whose worker died
is taken over when its lease expires (BULKWRITE_LEASE_MS) and resumed from its last chunk.
SIGTERM or SIGINT: each worker finishes the chunk in hand, hands its job back, and the process exits.

Options:
  --concurrency N  worker threads in this process, each running one job at a time (default 1)
  --data-dir DIR   the data folder (SQLite, and files when no shared folder is set)
  --metrics-port N serve this process's job metrics (rows, job durations, callbacks: the events of the
                   jobs its threads run) at http://H:N/_bulkwrite/metrics, under the admin rule
                   (BULKWRITE_ADMIN_KEY, else loopback callers only); 0 picks a free port
  --metrics-host H the address it listens on (default 127.0.0.1)

Examples:
  BULKWRITE_DATABASE_URL=postgres://bulkwrite@db/bulkwrite bulkwrite worker --concurrency 2
  bulkwrite worker --data-dir ./data`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals, help } = parseCommand('worker', argv, {
    concurrency: { type: 'string' },
    'data-dir': { type: 'string' },
    'metrics-port': { type: 'string' },
    'metrics-host': { type: 'string' },
  });
  if (help) {
    console.log(WORKER_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new CliError(`--concurrency must be a whole number from 1 to 64, got "${values.concurrency}"`);
  }
  const metricsPort = values['metrics-port'] === undefined ? null : Number(values['metrics-port']);
  if (metricsPort !== null && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) {
    throw new CliError(`--metrics-port must be a port number from 0 to 65535, got "${values['metrics-port']}"`);
  }
  if (values['metrics-host'] !== undefined && metricsPort === null) {
    throw new CliError('--metrics-host goes with --metrics-port');
  }
  const overrides: Partial<Config> = values['data-dir'] ? { dataDir: values['data-dir'] } : {};
  const config = loadConfig(process.env, overrides);
  const log = createLogger({ level: config.logLevel, name: 'bulkwrite-worker' });
  // Apply migrations once here, so the threads do not race each other at start.
  await (await openStorage(config)).close();
  const threads: Worker[] = [];
  // Callbacks name the hosts `serve` names, so a job's result link does not depend on who ran it.
  const { downloadBase } = presentedOrigins(config);
  for (let i = 0; i < concurrency; i++) {
    const thread = startWorkerThread(config, downloadBase, log);
    thread.on('message', applyForwardedMetric);
    threads.push(thread);
  }
  const metricsApp =
    metricsPort === null ? null : await serveMetrics(config, values['metrics-host'] ?? '127.0.0.1', metricsPort);
  console.log(
    `bulkwrite worker: ${concurrency} worker thread${concurrency === 1 ? '' : 's'} on ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all(threads.map((t) => stopWorkerThread(t)));
  await metricsApp?.close();
  return 0;
}

/**
 * A worker process's own metrics endpoint: the job events of its threads (metrics.ts) and Node's process
 * metrics, for Prometheus to scrape beside every `serve` process. The store's gauges stay with `serve`.
 */
async function serveMetrics(config: Config, host: string, port: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  guardAdminSurface(app, config.adminKey);
  app.get('/_bulkwrite/metrics', async (_req, reply) => {
    const registry = processRegistry();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  const address = await app.listen({ host, port });
  console.log(`bulkwrite worker: metrics at ${address}/_bulkwrite/metrics`);
  return app;
}
