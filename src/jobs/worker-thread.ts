import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { toJobDetails } from '../api/wire.js';
import { openFsBlobs } from '../blobs/blobs.js';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { JobWorker } from './worker.js';

/** Entry of the worker thread `serve` starts: job processing never shares the HTTP thread. */
const { config, baseUrl } = workerData as { config: Config; baseUrl: string };
const storage = openSqliteStorage(join(config.dataDir, 'bulkwrite.db'));
const worker = new JobWorker({
  storage,
  blobs: openFsBlobs(join(config.dataDir, 'blobs')),
  log: createLogger(config.logLevel, 'worker'),
  batchSize: config.batchSize,
  leaseMs: config.leaseMs,
  pollIntervalMs: config.pollIntervalMs,
  callback: config.callback,
  renderJobDetails: (job, org) => toJobDetails(job, org, baseUrl),
});
worker.start();
parentPort?.on('message', (msg: string) => {
  if (msg === 'wake') worker.wake();
  if (msg === 'stop') {
    void worker.stop().then(async () => {
      await storage.close();
      parentPort?.postMessage('stopped');
    });
  }
});
