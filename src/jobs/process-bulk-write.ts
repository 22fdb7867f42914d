import type { Blobs } from '../blobs/blobs.js';
import { CsvFileError, readZipCsvRows } from '../csv/read-csv.js';
import { catalogueFor } from '../domain/org-schema.js';
import { compileRowPlan, mapRow } from '../domain/row-plan.js';
import { detachedString } from '../domain/field-values.js';
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
  const catalogue = catalogueFor(org.id, await storage.schemas.get(org.id));
  let plan;
  try {
    plan = compileRowPlan(job, resource, offset, catalogue);
  } catch (e) {
    // The org's schema changed after the job was created and no longer has its module or a mapped field.
    throw new JobFailure('CANNOT_PROCESS', `the job no longer fits the org's schema: ${(e as Error).message}`);
  }
  const users: UserCache = new Map();
  let checkpoint = job.checkpointRow;
  // Update/upsert: what the rows applied so far matched (first row wins; see applyBatch).
  const matched = plan.operation !== 'insert' && plan.findBy !== null ? new Set<string>() : null;
  // After a resume with find_by id, the rows before the checkpoint are read again to learn their ids.
  const replayed: Array<{ rowNo: number; key: string }> | null = plan.findBy === 'id' ? [] : null;

  // A job that starts from its first row writes its result zip as it goes; one that resumed after an
  // interruption rebuilds it from the stored outcomes at the end.
  const writer = checkpoint === 0 ? new ResultZipWriter(blobs, job) : null;

  const commit = async (batch: BatchRow[]) => {
    let outcome;
    for (let attempt = 1; ; attempt++) {
      outcome = await applyBatch(storage, org, plan, batch, deps.ids, users, matched);
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
      if (rowNo <= checkpoint) {
        if (matched !== null) {
          const key = replayed && mapRow(plan, rowNo, cells).matchKey;
          if (key) replayed!.push({ rowNo, key: detachedString(key) });
          if (rowNo === checkpoint) await rememberApplied(storage, job.id, replayed, matched);
        }
        continue;
      }
      batch.push({ rowNo, cells });
      if (batch.length >= deps.batchSize) {
        await commit(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await commit(batch);
  } catch (e) {
    writer?.abandon();
    if (e instanceof CsvFileError) throw new JobFailure('CANNOT_PROCESS', e.message);
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

/**
 * Rebuilds what the job matched before it was interrupted from its stored row outcomes: the record ids
 * of the applied rows, or with find_by id (`replayed`) their id cells.
 */
async function rememberApplied(
  storage: Storage,
  jobId: string,
  replayed: Array<{ rowNo: number; key: string }> | null,
  matched: Set<string>,
): Promise<void> {
  const keyOf = replayed && new Map(replayed.map((r) => [r.rowNo, r.key]));
  const PAGE = 5000;
  for (let from = 1; ;) {
    const results = await storage.jobs.results(jobId, from, PAGE);
    for (const r of results) {
      // Detached: a stored outcome's id is a slice of its whole chunk's text.
      const key = keyOf ? keyOf.get(r.rowNo) : r.recordId && detachedString(r.recordId);
      if (key !== undefined && key !== null && r.status !== 'SKIPPED') matched.add(key);
    }
    if (results.length < PAGE) return;
    from = results[results.length - 1]!.rowNo + 1;
  }
}
