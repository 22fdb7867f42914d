import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { createOrg } from '../../src/auth/org-setup.js';
import { openFsBlobs, type Blobs } from '../../src/blobs/blobs.js';
import { summarizeZipCsvs } from '../../src/csv/read-csv.js';
import { apiVersionOf } from '../../src/domain/api-versions.js';
import { validateJobRequest } from '../../src/domain/job-request.js';
import type { Job, Org, UploadedFile } from '../../src/domain/types.js';
import { IdAllocator } from '../../src/jobs/id-allocator.js';
import { processBulkWrite, type ProcessDeps } from '../../src/jobs/process-bulk-write.js';
import { openSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../../src/storage/storage.js';
import { unzipEntries } from './api.js';
import { makeZip } from './zip.js';

const WORKER = 'test-worker';

/**
 * A real SQLite store and blob folder in a temporary directory, and the steps of the API around a job
 * without HTTP: an upload, a job created from a request body, and the worker's processing of it.
 */
export interface JobStore {
  storage: Storage;
  blobs: Blobs;
  /** Uploads a zip of the given CSVs for the org, summarised as the upload route does. */
  upload(org: Org, csvs: Record<string, string>): Promise<UploadedFile>;
  /** A job from a create-job request body, validated as the route validates it (v8 unless told). */
  createJob(org: Org, body: unknown, version?: string): Promise<Job>;
  /**
   * Claims the next job and processes it. A failure (such as `onChunk` throwing) hands the job back, as a
   * worker's stop does, and is returned.
   */
  process(opts?: { batchSize?: number; onChunk?: ProcessDeps['onChunk'] }): Promise<unknown>;
  /** Inserts the rows of a CSV into a module with a whole job; returns the record ids in row order. */
  insertRecords(org: Org, module: string, csv: string): Promise<string[]>;
  /** The rows of each CSV of a finished job's result zip, by CSV name. */
  resultRows(job: Job): Promise<Map<string, Array<Record<string, string>>>>;
  newOrg(): Promise<Org>;
  close(): Promise<void>;
}

export async function openJobStore(): Promise<JobStore> {
  const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-job-store-'));
  const storage = openSqliteStorage(join(dir, 'bulkwrite.db'));
  const blobs = openFsBlobs(join(dir, 'blobs'));
  const ids = new IdAllocator(storage);
  const files = new Map<string, UploadedFile>();
  const store: JobStore = {
    storage,
    blobs,
    async newOrg() {
      const { org } = await createOrg(storage, { now: Date.now() });
      return org;
    },
    async upload(org, csvs) {
      const tmp = blobs.tempPath('upload.zip');
      writeFileSync(tmp, await makeZip(csvs));
      const summaries = await summarizeZipCsvs(tmp, 10);
      const id = (await storage.reserveIds(1)).toString();
      const blobKey = `uploads/${org.id}/${id}.zip`;
      await blobs.adopt(blobKey, tmp);
      const first = summaries[0]!;
      const file: UploadedFile = {
        id,
        orgId: org.id,
        name: `${id}.zip`,
        csvName: first.name,
        size: (await blobs.size(blobKey)) ?? 0,
        blobKey,
        header: first.header,
        delimiter: first.delimiter,
        rowCount: first.rowCount,
        createdAt: Date.now(),
        csvs: summaries,
      };
      await storage.files.create(file);
      files.set(id, file);
      return file;
    },
    async createJob(org, body, version = 'v8') {
      const spec = validateJobRequest(body, {
        files,
        limits: { maxRows: 25_000, maxColumns: 200 },
        version: apiVersionOf(version),
      });
      const job: Job = {
        ...spec,
        id: (await storage.reserveIds(1)).toString(),
        orgId: org.id,
        apiVersion: version,
        status: 'ADDED',
        createdAt: Date.now(),
        createdBy: org.user,
        counts: { added: 0, updated: 0, skipped: 0, total: 0 },
        resourceCounts: null,
        fileName: spec.resources[0]!.csvName ?? files.get(spec.resources[0]!.fileId)!.csvName,
        checkpointRow: 0,
        failure: null,
        resultReady: false,
        startedAt: null,
        finishedAt: null,
      };
      await storage.jobs.create(job);
      return job;
    },
    async process(opts = {}) {
      const job = await storage.jobs.claimNext(WORKER, 60_000, Date.now());
      if (!job) throw new Error('no job to claim');
      const deps: ProcessDeps = {
        storage,
        blobs,
        workerId: WORKER,
        batchSize: opts.batchSize ?? 100,
        leaseMs: 60_000,
        ids,
        now: Date.now,
        ...(opts.onChunk ? { onChunk: opts.onChunk } : {}),
      };
      try {
        await processBulkWrite(deps, job);
        return null;
      } catch (e) {
        await storage.jobs.releaseLease(job.id, WORKER);
        return e;
      }
    },
    async insertRecords(org, module, csv) {
      const file = await store.upload(org, { [`${module}.csv`]: csv });
      const job = await store.createJob(org, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: module }, file_id: file.id }],
      });
      const failure = await store.process();
      if (failure !== null) throw failure;
      const [rows] = (await store.resultRows(job)).values();
      return rows!.map((r) => r.RECORD_ID!);
    },
    async resultRows(job) {
      const zip = await blobs.read(`results/${job.orgId}/${job.id}.zip`).toArray();
      const out = new Map<string, Array<Record<string, string>>>();
      for (const [name, bytes] of await unzipEntries(Buffer.concat(zip as Buffer[]))) {
        out.set(
          name,
          Papa.parse<Record<string, string>>(bytes.toString('utf8'), { header: true, skipEmptyLines: true }).data,
        );
      }
      return out;
    },
    async close() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return store;
}
