import { parentPort, threadId, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { renderJobDetails } from './api/read-wire.js';
import { openFsBlobs } from './blobs/blobs.js';
import { egressPolicyOf, type Config } from './config.js';
import { createLogger, messageFirst } from './log.js';
import { forwardMetrics } from './metrics.js';
import { openStorage } from './storage/open-storage.js';
import { JobWorker } from './jobs/worker.js';
import { storeClock } from './storage/store-clock.js';

/**
 * Entry of a worker thread (started by `serve`, or N of them by `bulkwrite worker`): job processing never
 * shares the HTTP thread. Messages: 'wake' looks for work now; 'stop' finishes or hands back the chunk in
 * hand, closes the store and answers 'stopped'.
 */
const { config, downloadBase } = workerData as { config: Config; downloadBase: string };
// Job counters belong to the process that serves /_bulkwrite/metrics: they travel to it (metrics.ts).
forwardMetrics((message) => parentPort?.postMessage(message));
const log = messageFirst(createLogger({ level: config.logLevel, name: 'worker', bindings: { thread: threadId } }));
const storage = await openStorage(config, { jobWriter: true });
const clock = storeClock(storage);
const worker = new JobWorker({
  storage,
  now: clock.now,
  leaseNow: Date.now,
  refreshClock: () => clock.refresh(),
  blobs: openFsBlobs(join(config.dataDir, 'blobs')),
  log,
  batchSize: config.batchSize,
  resultColumns: config.resultColumns,
  leaseMs: config.leaseMs,
  pollIntervalMs: config.pollIntervalMs,
  callback: config.callback,
  egress: egressPolicyOf(config),
  adminKey: config.adminKey,
  renderJobDetails: (job, org) => renderJobDetails(job, org, downloadBase),
  warmUp: config.warmUp,
});
worker.start();
parentPort?.on('message', (msg: string) => {
  if (msg === 'wake') worker.wake();
  if (msg === 'stop') {
    // 'stopped' is answered whatever happens, so the parent never waits out its grace period for nothing.
    worker
      .stop()
      .then(() => storage.close())
      .catch((err: unknown) => log.error('worker thread did not stop cleanly', { error: (err as Error).stack }))
      .finally(() => parentPort?.postMessage('stopped'));
  }
});
