import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { ensureDefaultOrg } from './auth/org-setup.js';
import { openFsBlobs } from './blobs/blobs.js';
import { publicBaseUrl, type Config } from './config.js';
import type { Org } from './domain/types.js';
import { openSqliteStorage } from './storage/sqlite/sqlite-storage.js';
import type { Storage } from './storage/storage.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  port: number;
  org: Org;
  orgCreated: boolean;
  storage: Storage;
  close(): Promise<void>;
}

export function databasePath(config: Config): string {
  return join(config.dataDir, 'bulkwrite.db');
}

/** Where `serve` records the URL it listens on, so `credentials` can print a matching api_domain. */
export function serverInfoPath(config: Config): string {
  return join(config.dataDir, 'server.json');
}

/** The composition root: storage → app → listen → worker thread. */
export async function startServer(config: Config): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const storage = openSqliteStorage(databasePath(config));
  const blobs = openFsBlobs(join(config.dataDir, 'blobs'));
  const { org, created } = await ensureDefaultOrg(storage, Date.now());

  let baseUrl = publicBaseUrl(config);
  let worker: Worker | null = null;
  const app = await buildApp({
    config,
    storage,
    blobs,
    baseUrl: () => baseUrl,
    onJobCreated: () => worker?.postMessage('wake'),
    logger: config.logLevel === 'debug',
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  baseUrl = publicBaseUrl(config, port);
  writeFileSync(serverInfoPath(config), `${JSON.stringify({ url: baseUrl, pid: process.pid })}\n`);

  if (config.worker) {
    worker = new Worker(new URL('./jobs/worker-thread.js', import.meta.url), { workerData: { config, baseUrl } });
    worker.on('error', (e) => process.stderr.write(`worker thread failed: ${e.stack ?? e.message}\n`));
  }

  return {
    app,
    url: baseUrl,
    port,
    org,
    orgCreated: created,
    storage,
    async close() {
      if (worker) {
        const w = worker;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => void w.terminate().then(() => resolve()), 30_000);
          w.once('message', () => {
            clearTimeout(timer);
            void w.terminate().then(() => resolve());
          });
          w.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          w.postMessage('stop');
        });
      }
      await app.close();
      await storage.close();
    },
  };
}
