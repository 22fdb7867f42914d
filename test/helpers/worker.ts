import { join } from 'node:path';
import { renderJobDetails } from '../../src/api/read-wire.js';
import { openFsBlobs } from '../../src/blobs/blobs.js';
import { egressPolicyOf } from '../../src/config.js';
import type { Job } from '../../src/domain/types.js';
import type { EgressPolicy } from '../../src/egress/egress-policy.js';
import { JobWorker } from '../../src/jobs/worker.js';
import { createLogger, messageFirst } from '../../src/log.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { TestServer } from './server.js';

/** A worker of its own over a test server's data folder (the server runs with worker: false). */
export function openTestWorker(
  t: TestServer,
  opts: {
    batchSize?: number;
    onChunk?: (job: Job, row: number) => void | Promise<void>;
    /** The callback egress policy (default: the test server's). */
    egress?: EgressPolicy;
    /** Warm the pipeline up when idle (jobs/warm-up.ts), as a worker thread does. */
    warmUp?: boolean;
  } = {},
): { worker: JobWorker; close(): Promise<void> } {
  const storage = openSqliteStorage(join(t.dataDir, 'bulkwrite.db'));
  const worker = new JobWorker({
    storage,
    blobs: openFsBlobs(join(t.dataDir, 'blobs')),
    log: messageFirst(createLogger({ level: 'silent', name: 'test-worker' })),
    batchSize: opts.batchSize ?? t.config.batchSize,
    resultColumns: t.config.resultColumns,
    leaseMs: t.config.leaseMs,
    pollIntervalMs: 20,
    callback: t.config.callback,
    egress: opts.egress ?? egressPolicyOf(t.config),
    renderJobDetails: (job, org) => renderJobDetails(job, org, t.url),
    onChunk: opts.onChunk,
    warmUp: opts.warmUp,
  });
  return { worker, close: () => storage.close() };
}
