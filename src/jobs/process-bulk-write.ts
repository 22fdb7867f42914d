import type { Blobs } from '../blobs/blobs.js';
import { readZipCsvRows } from '../csv/read-csv.js';
import { compileRowPlan } from '../domain/row-plan.js';
import { formatOffset, offsetMinutes } from '../domain/time.js';
import type { Job } from '../domain/types.js';
import { ChunkConflictError, type Storage } from '../storage/storage.js';
import { applyBatch, type BatchRow, type UserCache } from './apply-batch.js';
import { IdAllocator } from './id-allocator.js';
import { rebuildResultFile, ResultZipWriter } from './result-file.js';

export interface ProcessDeps {
  storage: Storage;
  blobs: Blobs;
  workerId: string;
  batchSize: number;
  leaseMs: number;
  ids: IdAllocator;
  now: () => number;
  /** Called after each committed chunk; tests use it to stop a job half way. */
  onChunk?: (job: Job, checkpointRow: number) => void | Promise<void>;
}

/** A failure of the whole job (as opposed to a bad row): the job ends FAILED with this code. */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Runs one claimed job to its end: streams zip → CSV → batches of rows, commits each batch with its
 * outcomes and checkpoint in one transaction, then writes the result zip and marks the job COMPLETED.
 * A job that was interrupted resumes after its checkpoint, so no row is applied twice.
 */
export async function processBulkWrite(deps: ProcessDeps, job: Job): Promise<void> {
  const { storage, blobs } = deps;
  const org = await storage.orgs.get(job.orgId);
  if (!org) throw new JobFailure('CANNOT_PROCESS', `org ${job.orgId} no longer exists`);
  const resource = job.resources[0];
  if (!resource) throw new JobFailure('CANNOT_PROCESS', 'the job has no resource');
  const file = await storage.files.get(job.orgId, resource.fileId);
  if (!file || (await blobs.size(file.blobKey)) === null)
    throw new JobFailure('INVALID_FILE_ID', 'the uploaded file is no longer available');

  const offset = formatOffset(offsetMinutes(org.timeZone, job.createdAt));
  const plan = compileRowPlan(job, resource, offset);
  const users: UserCache = new Map();
  let checkpoint = job.checkpointRow;

  // A job that starts from its first row writes its result zip as it goes; one that resumed after an
  // interruption rebuilds it from the stored outcomes at the end.
  const writer = checkpoint === 0 ? new ResultZipWriter(blobs, job) : null;

  const commit = async (batch: BatchRow[]) => {
    let outcome;
    for (let attempt = 1; ; attempt++) {
      outcome = await applyBatch(storage, org, plan, batch, deps.ids, users);
      try {
        await storage.jobs.commitChunk({
          orgId: job.orgId,
          jobId: job.id,
          workerId: deps.workerId,
          module: plan.module.apiName,
          ...outcome,
          checkpointRow: batch[batch.length - 1]!.rowNo,
          leaseUntil: deps.now() + deps.leaseMs,
          now: deps.now(),
        });
        break;
      } catch (e) {
        // Another writer took a unique key this batch wanted: decide the batch again against what is stored now.
        if (!(e instanceof ChunkConflictError) || attempt >= 3) throw e;
      }
    }
    if (writer) for (let i = 0; i < batch.length; i++) await writer.row(batch[i]!.cells, outcome.results[i]!);
    checkpoint = batch[batch.length - 1]!.rowNo;
    await deps.onChunk?.(job, checkpoint);
  };

  let header = true;
  let rowNo = 0;
  let batch: BatchRow[] = [];
  try {
    for await (const cells of readZipCsvRows(blobs.pathOf(file.blobKey), job.characterEncoding, file.delimiter)) {
      if (header) {
        header = false;
        writer?.header(cells);
        continue;
      }
      rowNo++;
      if (rowNo <= checkpoint) continue;
      batch.push({ rowNo, cells });
      if (batch.length >= deps.batchSize) {
        await commit(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await commit(batch);
  } catch (e) {
    writer?.abandon();
    if (e instanceof Error && /zip|inflate|invalid|unexpected/i.test(e.message) && !(e instanceof JobFailure)) {
      throw new JobFailure('CANNOT_PROCESS', `the file could not be read: ${e.message}`);
    }
    throw e;
  }

  if (writer) await writer.finish();
  else
    await rebuildResultFile(
      { storage, blobs },
      (await storage.jobs.get(job.orgId, job.id)) ?? job,
      file,
      deps.batchSize,
    );
  await storage.jobs.complete(job.id, deps.workerId, deps.now());
}
