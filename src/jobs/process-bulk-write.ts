import { setTimeout as sleep } from 'node:timers/promises';
import type { Blobs } from '../blobs/blobs.js';
import type { DecodeWatch } from '../csv/decode.js';
import { CsvFileError, readZipCsvRows } from '../csv/read-csv.js';
import { catalogueFor } from '../domain/org-schema.js';
import { childRowLimit, csvOf, parentColumnOf, parentKey } from '../domain/parent-child.js';
import { referenceTime } from '../domain/date-pattern.js';
import { compileRowPlan, mapRow, type RowPlan } from '../domain/row-plan.js';
import type { JobEffect } from '../domain/faults.js';
import { detachedString } from '../domain/field-values.js';
import { formatOffset, offsetMinutes } from '../domain/time.js';
import type { Job, JobResource, Org, ResourceCounts, RowResult, UploadedFile } from '../domain/types.js';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { ChunkConflictError, type Storage } from '../storage/storage.js';
import { applyBatch, type BatchOutcome, type BatchRow, type UserCache } from './apply-batch.js';
import { IdSet } from './id-set.js';
import { IdAllocator } from './id-allocator.js';
import { rebuildResultFile, ResultZipWriter, type ResourceInput, type ResultColumns } from './result-file.js';

export interface ProcessDeps {
  storage: Storage;
  blobs: Blobs;
  workerId: string;
  batchSize: number;
  leaseMs: number;
  ids: IdAllocator;
  /** The emulator clock (domain/emulator-clock.ts): the times a job writes. */
  now: () => number;
  /** Real time, for the job's lease (default: now). */
  leaseNow?: () => number;
  /** Called after each committed chunk; tests use it to stop a job half way. */
  onChunk?: (job: Job, checkpointRow: number) => void | Promise<void>;
  /** What fault rules script for this job (domain/faults.ts): a failure at a row, slow processing. */
  fault?: JobEffect | null;
  /** The input columns the result CSV echoes (default: Zoho's, the first three mapped). */
  resultColumns?: ResultColumns;
}

/** A failure of the whole job (as opposed to a bad row): the job ends FAILED with this code. */
export class JobFailure extends Error {
  /** A result zip was written for the rows done before the failure (the rest are UNPROCESSED). */
  resultReady = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One resource of the job, ready to run. */
interface ResourceRun {
  index: number;
  resource: JobResource;
  input: ResourceInput;
  /** Rows of its CSV, as counted at upload. */
  rows: number;
}

/**
 * Parent/child jobs: for each parent CSV column a child links through, the parent rows' values in it →
 * the records those rows became. Filled while the parent resource runs (or, after a resume, from its
 * stored outcomes).
 */
type ParentKeys = Map<number, Map<string, string>>;

/**
 * Runs one claimed job to its end: streams zip → CSV → batches of rows, commits each batch with its
 * outcomes and checkpoint in one transaction, then writes the result zip and marks the job COMPLETED.
 * A job that was interrupted resumes after its checkpoint, so no row is applied twice.
 *
 * A parent/child job (several resources) runs its resources in order, the parent first. Rows are
 * numbered across the resources' CSVs, so one checkpoint covers the whole job.
 */
export async function processBulkWrite(deps: ProcessDeps, job: Job): Promise<void> {
  const { storage, blobs } = deps;
  const org = await storage.orgs.get(job.orgId);
  if (!org) throw new JobFailure('CANNOT_PROCESS', `org ${job.orgId} no longer exists`);
  if (job.resources.length === 0) throw new JobFailure('CANNOT_PROCESS', 'the job has no resource');

  const runs: ResourceRun[] = [];
  let rowsBefore = 0;
  // The resources of a parent/child job usually share one zip: each file is looked up once.
  const files = new Map<string, UploadedFile>();
  for (const [index, resource] of job.resources.entries()) {
    let file = files.get(resource.fileId);
    if (!file) {
      file = await storage.files.get(job.orgId, resource.fileId);
      if (!file || (await blobs.size(file.blobKey)) === null)
        throw new JobFailure('INVALID_FILE_ID', 'the uploaded file is no longer available');
      files.set(resource.fileId, file);
    }
    const csv = csvOf(file, resource);
    if (!csv) throw new JobFailure('CANNOT_PROCESS', `the uploaded zip holds no CSV named ${resource.csvName}`);
    runs.push({
      index,
      resource,
      input: { zipPath: blobs.pathOf(file.blobKey), csvName: resource.csvName, delimiter: csv.delimiter, rowsBefore },
      rows: csv.rowCount,
    });
    rowsBefore += csv.rowCount;
  }

  const offsetMins = offsetMinutes(org.timeZone, job.createdAt);
  const offset = formatOffset(offsetMins);
  const reference = referenceTime(job.createdAt, offsetMins);
  const catalogue = catalogueFor(org.id, await storage.schemas.get(org.id));
  const multi = runs.length > 1;
  const counts: ResourceCounts[] | null = multi
    ? runs.map((_, i) => ({ ...(job.resourceCounts?.[i] ?? { added: 0, updated: 0, skipped: 0 }) }))
    : null;
  // The parent CSV columns the children link through.
  const parentKeys: ParentKeys = new Map();
  for (const run of runs.slice(1)) {
    const column = parentColumnOf(run.resource);
    if (column !== null) parentKeys.set(column, new Map());
  }

  // A job that starts from its first row writes its result zip as it goes; one that resumed after an
  // interruption rebuilds it from the stored outcomes at the end.
  const columns = deps.resultColumns ?? 'zoho';
  const writer = job.checkpointRow === 0 ? new ResultZipWriter(blobs, job, columns) : null;
  const state: RunState = { checkpoint: job.checkpointRow, users: new Map(), counts, writer };
  const inputs = runs.map((r) => r.input);
  try {
    failIfScripted(deps, job.checkpointRow);
    for (const run of runs) {
      if (run.index > 0) await writer?.nextCsv();
      let plan: RowPlan;
      try {
        const column = run.index > 0 ? parentColumnOf(run.resource) : null;
        const ids = column !== null ? parentKeys.get(column)! : null;
        plan = compileRowPlan(job, run.resource, offset, catalogue, ids, reference);
      } catch (e) {
        // The org's schema changed after the job was created and no longer has its module or a mapped field.
        throw new JobFailure('CANNOT_PROCESS', `the job no longer fits the org's schema: ${(e as Error).message}`);
      }
      await runResource(deps, job, org, run, plan, state, run.index === 0 ? parentKeys : null);
    }
  } catch (e) {
    writer?.abandon();
    const failure = e instanceof CsvFileError ? new JobFailure('CANNOT_PROCESS', e.message) : e;
    if (failure instanceof JobFailure && state.checkpoint > 0)
      await writeFailedResult(deps, job, inputs, state, failure);
    throw failure;
  }

  if (writer) await writer.finish();
  else
    await rebuildResultFile({ storage, blobs }, (await storage.jobs.get(job.orgId, job.id)) ?? job, inputs, {
      pageSize: deps.batchSize,
      columns,
    });
  await storage.jobs.complete(job.id, deps.workerId, deps.now());
}

/**
 * A job that FAILED after committing some rows still has a result, as Zoho's download-result page lists
 * `unprocessed` among a row's statuses: the rows done, then every row it did not reach as `UNPROCESSED`.
 * When even that cannot be written (the CSV no longer reads), the job fails without a result.
 */
async function writeFailedResult(
  deps: ProcessDeps,
  job: Job,
  inputs: ResourceInput[],
  state: RunState,
  failure: JobFailure,
): Promise<void> {
  try {
    await rebuildResultFile({ storage: deps.storage, blobs: deps.blobs }, job, inputs, {
      pageSize: deps.batchSize,
      columns: deps.resultColumns ?? 'zoho',
      unreachedAfter: state.checkpoint,
    });
    failure.resultReady = true;
  } catch {
    // No result: the job's failure code and message say what happened.
  }
}

interface RunState {
  /** The job's checkpoint: rows up to it are committed. */
  checkpoint: number;
  users: UserCache;
  /** Parent/child jobs: each resource's counts so far. */
  counts: ResourceCounts[] | null;
  writer: ResultZipWriter | null;
}

/** One resource being run, and what its rows must remember besides themselves. */
interface ResourceContext {
  deps: ProcessDeps;
  job: Job;
  org: Org;
  run: ResourceRun;
  plan: RowPlan;
  state: RunState;
  /** Update/upsert: what the rows applied so far matched (first row wins; see applyBatch). */
  matched: IdSet | null;
  /** The parent of a parent/child job whose children link through its columns: the key maps to fill. */
  parentKeys: ParentKeys | null;
}

/** A row read again after a resume (it is before the checkpoint): what the rest of the job must know of it. */
interface Replayed {
  /** With find_by id: its id cell (first-row-wins); the stored outcome's record id serves otherwise. */
  matchKey: string | null;
  /** The parent: its values in the columns children link through. */
  keys: Array<[number, string]> | null;
}

/** Runs one resource's rows: those after the checkpoint are applied, those before it only remembered. */
async function runResource(
  deps: ProcessDeps,
  job: Job,
  org: Org,
  run: ResourceRun,
  plan: RowPlan,
  state: RunState,
  /** The parent of a parent/child job: the key maps to fill from its rows. */
  parentKeys: ParentKeys | null,
): Promise<void> {
  const last = run.input.rowsBefore + run.rows;
  // A resource that was done before a resume is read again only if the children need its keys.
  const needKeys = parentKeys !== null && parentKeys.size > 0;
  if (state.writer === null && state.checkpoint >= last && !needKeys) return;
  const ctx: ResourceContext = {
    deps,
    job,
    org,
    run,
    plan,
    state,
    matched: plan.operation !== 'insert' && plan.findBy !== null ? new IdSet() : null,
    parentKeys: needKeys ? parentKeys : null,
  };
  // Rows are numbered across the CSVs, so one may not run into the next one's numbers.
  const isLast = run.index === job.resources.length - 1;
  const replay = new Replay(ctx);
  let header = true;
  let rowNo = run.input.rowsBefore;
  let batch: BatchRow[] = [];
  // Slow processing (a fault rule): batches of at most a second's rows, each followed by its second.
  const rowsPerSecond = deps.fault?.rowsPerSecond;
  const batchSize = rowsPerSecond ? Math.max(1, Math.min(deps.batchSize, Math.floor(rowsPerSecond))) : deps.batchSize;
  // Set once bytes not valid in the job's encoding were read; from then on rows holding U+FFFD are checked.
  const watch: DecodeWatch = { invalid: false };
  const limit = childRowLimit(plan.module, run.resource);
  for await (const rows of readZipCsvRows(
    run.input.zipPath,
    job.characterEncoding,
    run.input.delimiter,
    run.input.csvName,
    watch,
  )) {
    for (const cells of rows) {
      if (header) {
        header = false;
        state.writer?.header(cells);
        continue;
      }
      rowNo++;
      if (rowNo > last && !isLast) {
        throw new JobFailure('CANNOT_PROCESS', `the CSV holds more rows than the ${run.rows} counted at upload`);
      }
      const over = limit?.over(cells) === true;
      if (rowNo <= state.checkpoint) {
        if (replay.add(rowNo, cells)) await replay.flush();
        continue;
      }
      const row: BatchRow =
        watch.invalid && hasReplacement(cells) ? { rowNo, cells, undecodable: true } : { rowNo, cells };
      if (over) row.overParentLimit = limit!.field;
      batch.push(row);
      if (batch.length >= batchSize || rowNo === deps.fault?.failAtRow) {
        await commitBatch(ctx, batch);
        batch = [];
      }
    }
  }
  await replay.flush();
  if (batch.length > 0) await commitBatch(ctx, batch);
}

function hasReplacement(cells: readonly string[]): boolean {
  for (const c of cells) if (c.includes('\uFFFD')) return true;
  return false;
}

/**
 * After a resume, the rows before the checkpoint: not applied again, only remembered from their stored
 * outcomes (what they matched, the records a parent's keys became), a batch at a time, so memory stays
 * bounded by the batch. They are read again only for what the outcomes lack: their id cells (find_by id)
 * and, in a parent, their keys.
 */
class Replay {
  private readonly rows = new Map<number, Replayed>();
  private readonly readBack: boolean;
  private from: number;
  private to = 0;

  constructor(private readonly ctx: ResourceContext) {
    this.from = ctx.run.input.rowsBefore + 1;
    this.readBack = (ctx.matched !== null && ctx.plan.findBy === 'id') || ctx.parentKeys !== null;
  }

  /** Takes a row before the checkpoint; true when the rows taken so far are to be remembered now. */
  add(rowNo: number, cells: readonly string[]): boolean {
    const { ctx } = this;
    this.to = rowNo;
    if (this.readBack) {
      const matchKey =
        ctx.matched !== null && ctx.plan.findBy === 'id' ? mapRow(ctx.plan, rowNo, cells).matchKey : null;
      this.rows.set(rowNo, { matchKey, keys: ctx.parentKeys ? keysOf(ctx.parentKeys, cells) : null });
    }
    return rowNo === ctx.state.checkpoint || rowNo - this.from + 1 >= ctx.deps.batchSize;
  }

  async flush(): Promise<void> {
    if (this.to < this.from) return;
    const { ctx } = this;
    if (ctx.matched !== null || ctx.parentKeys !== null) {
      await rememberApplied(ctx.deps.storage, ctx.job.id, this.from, this.to, this.rows, ctx.matched, ctx.parentKeys);
    }
    this.rows.clear();
    this.from = this.to + 1;
  }
}

/**
 * Applies a batch: decides and commits it (with its outcomes and the checkpoint), remembers a parent's
 * keys, writes its result lines, and moves the checkpoint on.
 */
async function commitBatch(ctx: ResourceContext, batch: BatchRow[]): Promise<void> {
  const { state } = ctx;
  const outcome = await decideAndCommit(ctx, batch);
  if (ctx.parentKeys) {
    const keys = batch.map((r) => keysOf(ctx.parentKeys!, r.cells));
    rememberParentKeys(ctx.parentKeys, outcome.results, keys);
  }
  if (state.writer) {
    for (let i = 0; i < batch.length; i++) state.writer.row(batch[i]!.cells, outcome.results[i]!);
    await state.writer.settle();
  }
  state.checkpoint = batch[batch.length - 1]!.rowNo;
  await ctx.deps.onChunk?.(ctx.job, state.checkpoint);
  const rowsPerSecond = ctx.deps.fault?.rowsPerSecond;
  if (rowsPerSecond) await sleep((batch.length * 1000) / rowsPerSecond);
  failIfScripted(ctx.deps, state.checkpoint);
}

/**
 * A fault rule's `fail_at_row` N: once N rows are committed (written and counted, as in any chunk), the
 * job ends FAILED with the rule's code, as a job that failed there for real would.
 */
function failIfScripted(deps: ProcessDeps, checkpoint: number): void {
  const at = deps.fault?.failAtRow;
  if (at === undefined || checkpoint < at) return;
  const code = (deps.fault?.code ?? 'CANNOT_PROCESS') as ErrorCode;
  throw new JobFailure(code, deps.fault?.message ?? ERROR_CODES[code]?.message ?? 'The file could not be processed');
}

/**
 * Decides a batch and commits it in one transaction. When another writer took a unique key the batch
 * wanted, the batch is decided again against what is stored now (three tries in all).
 */
async function decideAndCommit(ctx: ResourceContext, batch: BatchRow[]): Promise<BatchOutcome> {
  const { deps, job, state, plan } = ctx;
  for (let attempt = 1; ; attempt++) {
    const outcome = await applyBatch(deps.storage, ctx.org, plan, batch, deps.ids, state.users, ctx.matched);
    const counts = state.counts && countsWith(state.counts, ctx.run.index, outcome);
    try {
      await deps.storage.jobs.commitChunk({
        orgId: job.orgId,
        jobId: job.id,
        workerId: deps.workerId,
        module: plan.module.apiName,
        ...outcome,
        checkpointRow: batch[batch.length - 1]!.rowNo,
        ...(counts ? { resourceCounts: counts } : {}),
        leaseUntil: (deps.leaseNow ?? deps.now)() + deps.leaseMs,
        now: deps.now(),
      });
      if (counts) state.counts = counts;
      return outcome;
    } catch (e) {
      if (!(e instanceof ChunkConflictError) || attempt >= 3) throw e;
    }
  }
}

/** A parent/child job's counts per resource, with a batch's outcome added to resource `index`. */
function countsWith(counts: readonly ResourceCounts[], index: number, outcome: BatchOutcome): ResourceCounts[] {
  return counts.map((c, i) =>
    i === index
      ? { added: c.added + outcome.added, updated: c.updated + outcome.updated, skipped: c.skipped + outcome.skipped }
      : c,
  );
}

/** A parent row's values in the columns its children link through (copied: they outlive the row's text). */
function keysOf(parentKeys: ParentKeys, cells: readonly string[]): Array<[number, string]> {
  return [...parentKeys.keys()].map((c) => [c, detachedString(parentKey(cells[c] ?? ''))]);
}

/** Each key of a parent row that became a record leads to that record; the first row with a key wins. */
function rememberParentKeys(
  parentKeys: ParentKeys,
  results: readonly RowResult[],
  keys: ReadonlyArray<Array<[number, string]> | null>,
): void {
  results.forEach((r, i) => {
    if (r.status === 'SKIPPED' || r.recordId === null) return;
    for (const [column, key] of keys[i] ?? []) {
      const map = parentKeys.get(column)!;
      if (key !== '' && !map.has(key)) map.set(key, r.recordId);
    }
  });
}

/**
 * Rebuilds what a resumed resource must know of its rows `from`..`to`, applied before the interruption,
 * from their stored outcomes: what they matched (first-row-wins: the record ids they wrote, or with
 * find_by id their id cells) and, in a parent, the records its keys became.
 */
async function rememberApplied(
  storage: Storage,
  jobId: string,
  from: number,
  to: number,
  replayed: ReadonlyMap<number, Replayed>,
  matched: IdSet | null,
  parentKeys: ParentKeys | null,
): Promise<void> {
  const PAGE = 5000;
  for (let at = from; ;) {
    const page = await storage.jobs.results(jobId, at, PAGE);
    const results = page.filter((r) => r.rowNo <= to);
    if (matched !== null) {
      for (const r of results) {
        if (r.status === 'SKIPPED') continue;
        const key = replayed.get(r.rowNo)?.matchKey ?? r.recordId;
        if (key !== null) matched.add(key);
      }
    }
    if (parentKeys !== null) {
      const keys = results.map((r) => replayed.get(r.rowNo)?.keys ?? null);
      rememberParentKeys(parentKeys, results, keys);
    }
    if (page.length < PAGE || page[page.length - 1]!.rowNo >= to) return;
    at = page[page.length - 1]!.rowNo + 1;
  }
}
