import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { startWorkerThread, stopWorkerThread } from './worker-threads.js';
import { ensureDefaultOrg } from './auth/org-setup.js';
import { applyOrgSchemaFile } from './org-schema-file.js';
import { openFsBlobs } from './blobs/blobs.js';
import { publicBaseUrl, type Config } from './config.js';
import type { Presentation } from './data-centres.js';
import { createLogger, messageFirst, type PinoLogger } from './log.js';
import { applyForwardedMetric } from './metrics.js';
import { removeOrphans, startJanitor, type JanitorDeps } from './jobs/janitor.js';
import { presentedOrigins } from './presentation.js';
import type { Org } from './domain/types.js';
import { openStorage, sqlitePath } from './storage/open-storage.js';
import { withReadCache } from './storage/read-cache.js';
import type { Storage } from './storage/storage.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** How the server names itself to clients (api_domain, accounts URL, download host). */
  presentation: Presentation;
  port: number;
  org: Org;
  orgCreated: boolean;
  storage: Storage;
  close(): Promise<void>;
}

const HTTP_PAGE_CACHE_KIB = 8 * 1024;

export function databasePath(config: Config): string {
  return sqlitePath(config);
}

/** Where `serve` records the URL it listens on, so `credentials` can print a matching api_domain. */
export function serverInfoPath(config: Config): string {
  return join(config.dataDir, 'server.json');
}

/**
 * The composition root: storage → app → listen → worker thread. `logger` is the process's one logger;
 * without it, one is built from the config.
 */
export async function startServer(config: Config, opts: { logger?: PinoLogger } = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel, name: 'bulkwrite' });
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
    throw new Error(
      'BULKWRITE_TLS_CERT (--tls-cert) and BULKWRITE_TLS_KEY (--tls-key) go together: set both or neither',
    );
  }
  // The data folder is the server user's alone: it holds the database and every org's uploads.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The HTTP thread reads single rows: a small page cache is plenty (the worker thread's is 64 MiB).
  const storage = withReadCache(await openStorage(config, { cacheSizeKiB: HTTP_PAGE_CACHE_KIB }), {
    ttlMs: config.cacheTtlMs,
  });
  const blobs = openFsBlobs(join(config.dataDir, 'blobs'));
  const { org, created } = await ensureDefaultOrg(storage, Date.now());
  if (config.schemaFile) {
    try {
      await applyOrgSchemaFile(storage, org.id, config.schemaFile, Date.now());
    } catch (e) {
      await storage.close();
      throw e;
    }
  }

  // Retention (jobs/janitor.ts): what a crash left behind goes before the first request, then a sweep
  // every BULKWRITE_JANITOR_INTERVAL_MS.
  const janitorDeps: JanitorDeps = {
    storage,
    blobs,
    retention: config,
    log: messageFirst(logger.child({ component: 'janitor' })),
    now: Date.now,
  };
  const orphans = await removeOrphans(janitorDeps);
  if (orphans.temps + orphans.uploads + orphans.results > 0) logger.info(orphans, 'removed files a crash left behind');
  const janitor = startJanitor(janitorDeps, config.janitorIntervalMs);

  let port = config.port;
  let worker: Worker | null = null;
  let closing = false;
  const app = await buildApp({
    config,
    storage,
    blobs,
    baseUrl: () => publicBaseUrl(config, port),
    presentation: () => presentedOrigins(config, port),
    onJobCreated: () => worker?.postMessage('wake'),
    onDefaultOrgCreated: async (orgId) => {
      if (config.schemaFile) await applyOrgSchemaFile(storage, orgId, config.schemaFile, Date.now());
    },
    workers: () => (worker === null ? 0 : 1),
    logger,
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  if (typeof address === 'object' && address) port = address.port;
  const baseUrl = publicBaseUrl(config, port);
  const presented = presentedOrigins(config, port);
  writeFileSync(
    serverInfoPath(config),
    `${JSON.stringify({ url: baseUrl, pid: process.pid, api_domain: presented.apiDomain, accounts_url: presented.accountsUrl })}\n`,
    { mode: 0o600 },
  );

  if (config.worker) {
    // The worker renders job details only for callbacks; their result links use the presented download host.
    // A worker thread that dies (a bug, out of memory) is replaced; its job resumes from its last chunk
    // once the lease expires.
    const spawnWorker = (): Worker => {
      const w = startWorkerThread(config, presented.downloadBase, logger);
      w.on('message', applyForwardedMetric);
      w.once('exit', (code) => {
        if (closing || worker !== w) return;
        worker = null;
        logger.error({ code }, 'worker thread exited; starting a new one');
        setTimeout(() => {
          if (!closing) worker = spawnWorker();
        }, 1000).unref();
      });
      return w;
    };
    worker = spawnWorker();
  }

  return {
    app,
    url: baseUrl,
    presentation: presented,
    port,
    org,
    orgCreated: created,
    storage,
    async close() {
      closing = true;
      await janitor.stop();
      if (worker) await stopWorkerThread(worker);
      await app.close();
      await storage.close();
    },
  };
}
