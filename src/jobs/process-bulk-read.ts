import type { Blobs } from '../blobs/blobs.js';
import { catalogueFor } from '../domain/org-schema.js';
import { csvLineRenderer, recordMatcher } from '../domain/read-records.js';
import { pageSizeOf, readColumns } from '../domain/read-request.js';
import type { Job } from '../domain/types.js';
import { LeaseLostError, type Storage } from '../storage/storage.js';
import { JobFailure } from './process-bulk-write.js';
import { ResultZipWriter } from './result-file.js';

/**
 * Runs a bulk read job (docs/bulk-read.md#how-a-read-job-runs): the module's records stream out of the
 * store in id order, a keyset batch at a time (Storage.records.scan), through the criteria, into a
 * zipped CSV of at most a page of records, 200,000 unless the server says fewer (page `n` holds the
 * matches after the first (n-1) × that many).
 * Memory is bounded by one batch and the zip's buffers, never a page. The zip is written to a temporary
 * file and put in place whole; a job taken over after a crash starts its page again from the start, so
 * its result is exactly the page, whatever the crash left behind.
 */

export interface ReadDeps {
  storage: Storage;
  blobs: Blobs;
  workerId: string;
  leaseMs: number;
  /** The emulator clock: the times a job writes. */
  now: () => number;
  /** Real time, for the job's lease (default: now). */
  leaseNow?: () => number;
  /** Records read from the store at a time. */
  scanBatch?: number;
  /** Called after each batch with the records written so far; tests use it to stop a job half way. */
  onBatch?: (job: Job, written: number) => void | Promise<void>;
}

const SCAN_BATCH = 2_000;
export async function processBulkRead(deps: ReadDeps, job: Job): Promise<void> {
  const { storage, workerId } = deps;
  const leaseNow = deps.leaseNow ?? deps.now;
  const query = job.read!;
  const org = await storage.orgs.get(job.orgId);
  const catalogue = catalogueFor(job.orgId, await storage.schemas.get(job.orgId));
  const module = catalogue.find({ apiName: query.module.apiName });
  // The org's schema changed under the job: its module or a field of it is gone.
  const columns = module ? safeColumns(() => readColumns(module, query.fields)) : null;
  if (!org || !module || !columns)
    throw new JobFailure('CANNOT_PROCESS', 'the module or a field of the query no longer exists');
  const matches = recordMatcher(module, query.criteria, org);
  const render = csvLineRenderer(module, columns, org);

  const pageSize = pageSizeOf(query);
  // A page_token's page starts right after the last record of the page before.
  const skip = query.afterId ? 0 : (query.page - 1) * pageSize;
  let skipped = 0;
  let afterId = query.afterId ?? '0';
  // Without criteria every record matches, so page n starts right after the record at offset skip - 1,
  // which the store finds without reading the records before it (core/record-pages.ts).
  if (query.criteria === null && skip > 0) {
    const [last] = await storage.records.list(job.orgId, module.apiName, skip - 1, 1);
    afterId = last ? last.id : '9'.repeat(19);
    skipped = skip;
  }

  const writer = new ResultZipWriter(deps.blobs, job, 'all', [`${job.id}.csv`]);
  let count = 0;
  let more = false;
  let lastId: string | undefined;
  let renewedAt = leaseNow();
  try {
    writer.cells(['Id', ...columns.map((f) => f.apiName)]);
    scan: for await (const batch of storage.records.scan(
      job.orgId,
      module.apiName,
      afterId,
      deps.scanBatch ?? SCAN_BATCH,
    )) {
      for (const record of batch) {
        if (!matches(record)) continue;
        if (skipped < skip) {
          skipped++;
          continue;
        }
        if (count === pageSize) {
          more = true;
          break scan;
        }
        writer.csvLine(render(record));
        count++;
        lastId = record.id;
      }
      await writer.settle();
      if (leaseNow() - renewedAt > deps.leaseMs / 3) {
        if (!(await storage.jobs.renewLease(job.id, workerId, deps.leaseMs, leaseNow())))
          throw new LeaseLostError(job.id);
        renewedAt = leaseNow();
      }
      await deps.onBatch?.(job, count);
    }
    await writer.finish();
  } catch (e) {
    writer.abandon();
    throw e;
  }
  await storage.jobs.completeRead(
    job.id,
    workerId,
    { count, moreRecords: more, ...(lastId ? { lastId } : {}) },
    deps.now(),
  );
}

function safeColumns<T>(f: () => T): T | null {
  try {
    const out = f();
    return Array.isArray(out) && out.includes(undefined as never) ? null : out;
  } catch {
    return null;
  }
}
