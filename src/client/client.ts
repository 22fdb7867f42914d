import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { sleep } from './abort.js';
import { TokenSource, tokenUrlOf, type Credentials } from './auth.js';
import {
  appendPage,
  CreatedReadJobSchema,
  CreateReadJobResponseSchema,
  READ_FINAL_STATES,
  ReadJobDetailsResponseSchema,
  readJobBody,
  withFileTarget,
  type ReadCriteria,
  type ReadJobDetails,
  type ReadJobRequest,
} from './bulk-read.js';
import { CsvCounter, peekCsvHeader, readCsvHeader, zipCsvStream, type CsvHeader } from './csv-source.js';
import { InputError, ZohoApiError } from './errors.js';
import { exchange, requestJson, type Transport } from './http.js';
import { buildFieldMappings, type MappingOptions } from './mapping.js';
import { DATA_CENTRES, preset, type Endpoints } from './presets.js';
import { parseResultCsv, unzipResults, type ResultFile } from './result.js';
import {
  CreateJobRequestSchema,
  CreateJobResponseSchema,
  FINAL_STATUSES,
  JobDetailsSchema,
  UploadResponseSchema,
  type Callback,
  type CreateJobRequest,
  type CreateJobResponse,
  type FieldMapping,
  type JobDetails,
  type Operation,
  type UploadResponse,
} from './schema.js';
import { SchemaError } from './schema-kit.js';
import { uploadBody, type UploadSource } from './upload-body.js';

export interface ClientOptions extends Partial<Endpoints> {
  /**
   * A preset for the three hosts: 'US', 'EU', 'IN', 'AU', 'JP', 'CN', 'CA', 'SA' or 'local'. URLs given
   * explicitly win. Without a dc, `apiDomain` alone also serves as the accounts and upload URL (a bulkwrite).
   */
  dc?: string;
  /** The org's id (zgid), sent as X-CRM-ORG on uploads. Only uploads need it. */
  orgId?: string;
  credentials: Credentials;
  /** The API version in paths (default v2.1). */
  apiVersion?: string;
  /** Refresh the access token when less than this remains (default 60 s, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Extra attempts for GETs on network errors, 429, 502, 503 and 504 (default 2). */
  retries?: number;
  fetch?: typeof fetch;
  userAgent?: string;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** Where a job stands: its status and the counts of all its resources together. */
export interface JobProgress {
  jobId: string;
  status: string;
  added: number;
  updated: number;
  skipped: number;
  /** Rows processed so far (added + updated + skipped). */
  total: number;
  details: JobDetails;
}

export interface WaitOptions extends RequestOptions {
  /** Called after every poll with the current counts. */
  onProgress?: (progress: JobProgress) => void;
  /** First wait between polls (default 250 ms); it grows by `backoff` (1.5) up to `maxIntervalMs` (5 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  backoff?: number;
}

export interface ResultDownload {
  /** The name from Content-Disposition ("<job id>.zip"). */
  fileName: string;
  contentLength: number | null;
  /** The zip bytes, as they arrive. */
  body: Readable;
}

export type ImportEvent =
  | { type: 'header'; header: CsvHeader; fieldMappings: FieldMapping[] | undefined }
  | { type: 'uploaded'; fileId: string; zipName: string; csvBytes: number; rows: number }
  | { type: 'created'; jobId: string; request: CreateJobRequest }
  | { type: 'progress'; progress: JobProgress }
  | { type: 'finished'; job: JobDetails };

export interface ImportOptions extends MappingOptions, WaitOptions {
  module: string;
  operation: Operation;
  /** A unique field (or `id`) that finds the record to update; mandatory for update and upsert. */
  findBy?: string;
  /** Empty cells leave existing values alone (instead of clearing them). */
  ignoreEmpty?: boolean;
  characterEncoding?: string;
  callback?: Callback;
  /** The CSV's name in the zip (default: the file's name, or "data.csv" for a stream). */
  csvName?: string;
  /** Wait for the job to finish (default true); false returns right after the job is created. */
  wait?: boolean;
  /** Download and parse the result when the job completes (default true). */
  download?: boolean;
  onEvent?: (event: ImportEvent) => void;
}

export interface ImportOutcome {
  fileId: string;
  jobId: string;
  /** Data rows in the CSV as uploaded. */
  rows: number;
  /** The last job details seen: final unless `wait` was false. */
  job: JobDetails;
  /** The parsed result, when the job completed and `download` was not false. */
  result: ResultFile | null;
}

export interface ExportOptions extends RequestOptions {
  module: string;
  /** API names of the fields (default: every field); the CSV has `Id` first either way. */
  fields?: string[];
  criteria?: ReadCriteria;
  /** Stop after this many pages (default 50, Zoho's page limit). */
  maxPages?: number;
  /** First wait between polls (default 250 ms), growing by 1.5 up to `maxIntervalMs` (5 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  onEvent?: (event: ExportEvent) => void;
}

export type ExportEvent =
  | { type: 'created'; page: number; jobId: string }
  | { type: 'progress'; page: number; jobId: string; state: string }
  | { type: 'page'; page: number; jobId: string; count: number; moreRecords: boolean; records: number };

export interface ExportOutcome {
  /** The CSV's header as the first page had it (`Id`, then the fields). */
  header: string[];
  /** Records written, over every page (the sum of each page's `count`). */
  records: number;
  pages: number;
  jobIds: string[];
  /** True when the last page said more records follow (stopped by `maxPages`). */
  moreRecords: boolean;
}

/** Sums the counts of every resource of a job. */
export function jobProgress(details: JobDetails): JobProgress {
  const sum = (k: 'added_count' | 'updated_count' | 'skipped_count' | 'total_count') =>
    details.resource.reduce((n, r) => n + (r.file?.[k] ?? 0), 0);
  const added = sum('added_count');
  const updated = sum('updated_count');
  const skipped = sum('skipped_count');
  return {
    jobId: details.id,
    status: details.status,
    added,
    updated,
    skipped,
    total: Math.max(sum('total_count'), added + updated + skipped),
    details,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function fileNameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]!.trim());
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1]!.trim() : fallback;
}

/** A client for Zoho CRM's Bulk Write API v2.1: real Zoho in any data centre, or a bulkwrite server. */
export class BulkWriteClient {
  readonly endpoints: Endpoints;
  readonly orgId: string | undefined;
  readonly apiVersion: string;
  /** The token source; `tokens.apiDomain` is the API domain the accounts server last named. */
  readonly tokens: TokenSource;
  private readonly transport: Transport;

  constructor(options: ClientOptions) {
    let base: Endpoints = DATA_CENTRES.local;
    if (options.dc !== undefined) {
      const p = preset(options.dc);
      if (!p) {
        throw new InputError('INVALID_OPTION', `unknown data centre "${options.dc}"`, {
          dc: options.dc,
          known: Object.keys(DATA_CENTRES),
        });
      }
      base = p;
    }
    // Without a dc, an API domain alone stands for all three hosts, as a bulkwrite serves them on one origin.
    const single = options.dc === undefined ? options.apiDomain : undefined;
    this.endpoints = {
      apiDomain: trimSlash(options.apiDomain ?? base.apiDomain),
      accountsUrl: trimSlash(options.accountsUrl ?? single ?? base.accountsUrl),
      uploadUrl: trimSlash(options.uploadUrl ?? single ?? base.uploadUrl),
    };
    for (const [name, url] of Object.entries(this.endpoints)) {
      if (!/^https?:\/\/[^/]/i.test(url))
        throw new InputError('INVALID_OPTION', `${name} must be an http(s) URL, got "${url}"`, { [name]: url });
    }
    this.orgId = options.orgId;
    this.apiVersion = options.apiVersion ?? 'v2.1';
    const fetchImpl = options.fetch ?? fetch;
    const userAgent = options.userAgent ?? 'bulkwrite-client';
    this.tokens = new TokenSource(options.credentials, {
      tokenUrl: tokenUrlOf(this.endpoints.accountsUrl),
      fetch: fetchImpl,
      now: options.now ?? Date.now,
      marginMs: options.refreshMarginMs ?? 60_000,
      userAgent,
    });
    this.transport = {
      fetch: fetchImpl,
      tokens: this.tokens,
      userAgent,
      retries: options.retries ?? 2,
      retryBaseMs: 500,
    };
  }

  /** Uploads a zip (one CSV inside) to the file server: `POST {uploadUrl}/crm/v2.1/upload` (spec §3). */
  async uploadFile(
    source: UploadSource,
    opts: RequestOptions & { fileName?: string; orgId?: string } = {},
  ): Promise<UploadResponse> {
    const orgId = opts.orgId ?? this.orgId;
    if (!orgId) {
      throw new InputError('INVALID_OPTION', 'uploads need the org id (zgid), sent as X-CRM-ORG: set orgId', {
        option: 'orgId',
      });
    }
    const fileName = opts.fileName ?? (typeof source === 'string' ? basename(source) : 'data.zip');
    const body = await uploadBody(source, fileName);
    return requestJson(
      this.transport,
      {
        step: 'upload',
        method: 'POST',
        url: `${this.endpoints.uploadUrl}/crm/${this.apiVersion}/upload`,
        headers: { feature: 'bulk-write', 'X-CRM-ORG': orgId, ...body.headers },
        body,
        signal: opts.signal,
      },
      UploadResponseSchema,
    );
  }

  /** Creates the job: `POST {apiDomain}/crm/bulk/v2.1/write` (spec §4). The request is checked before it is sent. */
  async createJob(request: CreateJobRequest, opts: RequestOptions = {}): Promise<CreateJobResponse> {
    try {
      CreateJobRequestSchema.parse(request);
    } catch (e) {
      if (e instanceof SchemaError) {
        throw new InputError('INVALID_OPTION', `the job request is not valid: ${e.message}`, {
          path: e.path,
          expected: e.expected,
        });
      }
      throw e;
    }
    const text = JSON.stringify(request);
    return requestJson(
      this.transport,
      {
        step: 'create',
        method: 'POST',
        url: `${this.endpoints.apiDomain}/crm/bulk/${this.apiVersion}/write`,
        headers: { 'content-type': 'application/json' },
        body: { build: () => ({ body: text }), replayable: true },
        signal: opts.signal,
      },
      CreateJobResponseSchema,
    );
  }

  /** The job's details: `GET {apiDomain}/crm/bulk/v2.1/write/{id}` (spec §5). */
  async getJob(jobId: string, opts: RequestOptions = {}): Promise<JobDetails> {
    return requestJson(
      this.transport,
      {
        step: 'job',
        method: 'GET',
        url: `${this.endpoints.apiDomain}/crm/bulk/${this.apiVersion}/write/${encodeURIComponent(jobId)}`,
        signal: opts.signal,
      },
      JobDetailsSchema,
    );
  }

  /**
   * Polls the job until it is COMPLETED or FAILED and returns the final details. The wait between polls
   * grows from `intervalMs` to `maxIntervalMs`. Brief outages (network, 429, 5xx) are waited out; the
   * signal stops the wait (the job goes on on the server).
   */
  async waitForJob(jobId: string, opts: WaitOptions = {}): Promise<JobDetails> {
    let interval = opts.intervalMs ?? 250;
    const max = opts.maxIntervalMs ?? 5_000;
    const factor = opts.backoff ?? 1.5;
    let transientFailures = 0;
    for (;;) {
      let details: JobDetails;
      try {
        details = await this.getJob(jobId, { ...(opts.signal ? { signal: opts.signal } : {}) });
        transientFailures = 0;
      } catch (e) {
        const transient =
          e instanceof ZohoApiError &&
          (e.code === 'NETWORK_ERROR' || e.httpStatus === 429 || e.httpStatus >= 500) &&
          transientFailures < 5;
        if (!transient) throw e;
        transientFailures++;
        await sleep(Math.min(max, interval * 2 ** transientFailures), opts.signal);
        continue;
      }
      opts.onProgress?.(jobProgress(details));
      if (FINAL_STATUSES.includes(details.status)) return details;
      await sleep(interval, opts.signal);
      interval = Math.min(max, interval * factor);
    }
  }

  private async downloadUrl(
    target: JobDetails | string,
    opts: RequestOptions,
  ): Promise<{ url: string; job: JobDetails | null }> {
    let job: JobDetails | null = null;
    if (typeof target === 'string' && /^\d+$/.test(target)) job = await this.getJob(target, opts);
    else if (typeof target !== 'string') job = target;
    if (!job) return { url: new URL(target as string, `${this.endpoints.apiDomain}/`).toString(), job: null };
    const url = job.result?.download_url;
    if (!url) {
      throw new ZohoApiError({
        code: 'RESULT_NOT_READY',
        httpStatus: 200,
        message: `job ${job.id} is ${job.status}: it has no result to download`,
        details: { job_id: job.id, status: job.status },
        step: 'download',
        method: 'GET',
        url: `${this.endpoints.apiDomain}/crm/bulk/${this.apiVersion}/write/${job.id}`,
      });
    }
    // A relative download_url (the v7 docs' sample) is relative to the API domain (spec §5.3).
    return { url: new URL(url, `${this.endpoints.apiDomain}/`).toString(), job };
  }

  /**
   * Streams the result zip (spec §6). The target is the job's details, its id, or the download URL. The
   * download sends the same Authorization header, as the SDKs do.
   */
  async downloadResult(target: JobDetails | string, opts: RequestOptions = {}): Promise<ResultDownload> {
    const { url } = await this.downloadUrl(target, opts);
    const { res } = await exchange(this.transport, { step: 'download', method: 'GET', url, signal: opts.signal }, true);
    const length = res.headers.get('content-length');
    const fallback = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'result.zip');
    return {
      fileName: fileNameFrom(res.headers.get('content-disposition'), fallback),
      contentLength: length && /^\d+$/.test(length) ? Number(length) : null,
      body: res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) : Readable.from([]),
    };
  }

  /**
   * Downloads the result and parses its CSV: every row with STATUS, RECORD_ID and its errors. A parent/child
   * job's result has a CSV per resource: this is the parent's; `downloadResultFiles` gives them all.
   */
  async downloadResultRows(target: JobDetails | string, opts: RequestOptions = {}): Promise<ResultFile> {
    return (await this.downloadResultFiles(target, opts))[0]!;
  }

  /** Downloads the result and parses every CSV in it, one per resource of the job, in `resource` order. */
  async downloadResultFiles(target: JobDetails | string, opts: RequestOptions = {}): Promise<ResultFile[]> {
    const { url, job } = await this.downloadUrl(target, opts);
    const download = await this.downloadResult(url, opts);
    const chunks: Buffer[] = [];
    for await (const chunk of download.body) chunks.push(chunk as Buffer);
    let entries;
    try {
      entries = await unzipResults(Buffer.concat(chunks));
    } catch (e) {
      throw new ZohoApiError({
        code: 'UNEXPECTED_RESPONSE',
        httpStatus: 200,
        message: `the result is not a zip with a CSV: ${(e as Error).message}`,
        details: {},
        step: 'download',
        method: 'GET',
        url,
      });
    }
    return entries.map((e) => parseResultCsv(e.csvName, e.csv, job?.character_encoding ?? 'utf-8'));
  }

  /**
   * The whole bulk write from a CSV file or stream: checks the header against the mapping, zips the CSV on
   * the fly while uploading it, creates the job, waits for it with progress, and downloads the result.
   */
  async importCsv(source: string | Readable, opts: ImportOptions): Promise<ImportOutcome> {
    const encoding = opts.characterEncoding ?? 'utf-8';
    try {
      new TextDecoder(encoding);
    } catch {
      throw new InputError('INVALID_OPTION', `unknown character encoding "${encoding}"`, { encoding });
    }
    const signal = opts.signal;
    let header: CsvHeader;
    let makeCsv: () => Readable;
    let replayable: boolean;
    let csvName: string;
    if (typeof source === 'string') {
      header = await readCsvHeader(source, encoding);
      const path = source;
      makeCsv = () => createReadStream(path);
      replayable = true;
      csvName = opts.csvName ?? basename(source);
    } else {
      const peeked = await peekCsvHeader(source, encoding);
      header = peeked.header;
      makeCsv = () => peeked.stream;
      replayable = false;
      csvName = opts.csvName ?? 'data.csv';
    }
    if (!/\.csv$/i.test(csvName)) csvName += '.csv';
    if (header.columns.length === 0) throw new InputError('CSV_EMPTY', 'the CSV is empty: it has no header row');

    const fieldMappings = buildFieldMappings(header, {
      ...(opts.columns ? { columns: opts.columns } : {}),
      ...(opts.defaults ? { defaults: opts.defaults } : {}),
      ...(opts.findBy !== undefined ? { findBy: opts.findBy } : {}),
    });
    opts.onEvent?.({ type: 'header', header, fieldMappings });

    let counter = new CsvCounter();
    const zipName = csvName.replace(/\.csv$/i, '.zip');
    const makeZip = () => {
      counter = new CsvCounter();
      const csv = makeCsv();
      csv.once('error', (e) => counter.destroy(e));
      return zipCsvStream(csv.pipe(counter), csvName);
    };
    const uploaded = await this.uploadFile(replayable ? makeZip : makeZip(), {
      fileName: zipName,
      ...(signal ? { signal } : {}),
    });
    const fileId = uploaded.details.file_id;
    opts.onEvent?.({ type: 'uploaded', fileId, zipName, csvBytes: counter.bytes, rows: counter.dataRows });

    const request: CreateJobRequest = {
      operation: opts.operation,
      ...(opts.characterEncoding ? { character_encoding: opts.characterEncoding } : {}),
      ...(opts.ignoreEmpty !== undefined ? { ignore_empty: opts.ignoreEmpty } : {}),
      ...(opts.callback ? { callback: opts.callback } : {}),
      resource: [
        {
          type: 'data',
          module: { api_name: opts.module },
          file_id: fileId,
          ...(opts.findBy !== undefined ? { find_by: opts.findBy } : {}),
          ...(opts.ignoreEmpty !== undefined ? { ignore_empty: opts.ignoreEmpty } : {}),
          ...(fieldMappings ? { field_mappings: fieldMappings } : {}),
        },
      ],
    };
    const created = await this.createJob(request, signal ? { signal } : {});
    const jobId = created.details.id;
    opts.onEvent?.({ type: 'created', jobId, request });

    const rows = counter.dataRows;
    if (opts.wait === false) {
      const job = await this.getJob(jobId, signal ? { signal } : {});
      return { fileId, jobId, rows, job, result: null };
    }
    const job = await this.waitForJob(jobId, {
      ...opts,
      onProgress: (progress) => {
        opts.onProgress?.(progress);
        opts.onEvent?.({ type: 'progress', progress });
      },
    });
    opts.onEvent?.({ type: 'finished', job });
    const result =
      job.status === 'COMPLETED' && opts.download !== false && job.result?.download_url
        ? await this.downloadResultRows(job, signal ? { signal } : {})
        : null;
    return { fileId, jobId, rows, job, result };
  }

  // ── Bulk Read (docs/bulk-read.md) ──────────────────────────────────────────────────────────────────

  private readUrl(jobId?: string): string {
    const base = `${this.endpoints.apiDomain}/crm/bulk/${this.apiVersion}/read`;
    return jobId === undefined ? base : `${base}/${encodeURIComponent(jobId)}`;
  }

  /** Creates a read job: `POST {apiDomain}/crm/bulk/{version}/read`. Returns the job's id. */
  async createReadJob(request: ReadJobRequest, opts: RequestOptions = {}): Promise<{ id: string }> {
    const text = JSON.stringify(readJobBody(request));
    const url = this.readUrl();
    const answer = await requestJson(
      this.transport,
      {
        step: 'create',
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        body: { build: () => ({ body: text }), replayable: true },
        signal: opts.signal,
      },
      CreateReadJobResponseSchema,
    );
    const first = answer.data[0];
    if (!first || first.status !== 'success') {
      throw new ZohoApiError({
        code: first?.code ?? 'UNEXPECTED_RESPONSE',
        httpStatus: 200,
        message: first?.message ?? 'the create answer holds no job',
        details: first?.details ?? {},
        step: 'create',
        method: 'POST',
        url,
      });
    }
    return CreatedReadJobSchema.parse(first.details, '$.data[0].details');
  }

  /** A read job's details: `GET {apiDomain}/crm/bulk/{version}/read/{job_id}`. */
  async getReadJob(jobId: string, opts: RequestOptions = {}): Promise<ReadJobDetails> {
    const url = this.readUrl(jobId);
    const answer = await requestJson(
      this.transport,
      { step: 'job', method: 'GET', url, signal: opts.signal },
      ReadJobDetailsResponseSchema,
    );
    const details = answer.data[0];
    if (!details) {
      throw new ZohoApiError({
        code: 'UNEXPECTED_RESPONSE',
        httpStatus: 200,
        message: 'the job details answer holds no job',
        details: {},
        step: 'job',
        method: 'GET',
        url,
      });
    }
    return details;
  }

  /** Polls a read job until it is COMPLETED or FAILURE; `onState` sees every poll. */
  async waitForReadJob(
    jobId: string,
    opts: RequestOptions & { intervalMs?: number; maxIntervalMs?: number; onState?: (d: ReadJobDetails) => void } = {},
  ): Promise<ReadJobDetails> {
    let interval = opts.intervalMs ?? 250;
    const max = opts.maxIntervalMs ?? 5_000;
    for (;;) {
      const details = await this.getReadJob(jobId, opts.signal ? { signal: opts.signal } : {});
      opts.onState?.(details);
      if (READ_FINAL_STATES.includes(details.state)) return details;
      await sleep(interval, opts.signal);
      interval = Math.min(max, interval * 1.5);
    }
  }

  /** Streams a completed read job's zip: its `download_url` (relative to the API domain), as the SDKs fetch it. */
  async downloadReadResult(job: ReadJobDetails, opts: RequestOptions = {}): Promise<ResultDownload> {
    const path = job.result?.download_url ?? `${this.readUrl(job.id)}/result`;
    return this.downloadResult(new URL(path, `${this.endpoints.apiDomain}/`).toString(), opts);
  }

  /**
   * Exports a module's records into one CSV (a file path or a Writable): a read job per page (1, 2, …
   * while `more_records`), each polled, downloaded and streamed out; the header is written once. A file
   * appears only whole. The signal stops it (jobs already created go on on the server).
   */
  async exportRecords(target: string | Writable, opts: ExportOptions): Promise<ExportOutcome> {
    if (typeof target === 'string') return withFileTarget(target, (out) => this.exportRecords(out, opts));
    const signal = opts.signal;
    const maxPages = opts.maxPages ?? 50;
    const outcome: ExportOutcome = { header: [], records: 0, pages: 0, jobIds: [], moreRecords: false };
    for (let page = 1; page <= maxPages; page++) {
      const { id: jobId } = await this.createReadJob(
        {
          module: opts.module,
          ...(opts.fields ? { fields: opts.fields } : {}),
          ...(opts.criteria ? { criteria: opts.criteria } : {}),
          page,
        },
        signal ? { signal } : {},
      );
      outcome.jobIds.push(jobId);
      opts.onEvent?.({ type: 'created', page, jobId });
      const job = await this.waitForReadJob(jobId, {
        ...(signal ? { signal } : {}),
        ...(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}),
        ...(opts.maxIntervalMs !== undefined ? { maxIntervalMs: opts.maxIntervalMs } : {}),
        onState: (d) => opts.onEvent?.({ type: 'progress', page, jobId, state: d.state }),
      });
      if (job.state !== 'COMPLETED' || !job.result) {
        throw new ZohoApiError({
          code: 'JOB_FAILED',
          httpStatus: 200,
          message: `read job ${jobId} (page ${page}) ended ${job.state}`,
          details: { job_id: jobId, state: job.state, page },
          step: 'job',
          method: 'GET',
          url: this.readUrl(jobId),
        });
      }
      const download = await this.downloadReadResult(job, signal ? { signal } : {});
      const written = await appendPage(download.body, target, { first: page === 1, signal });
      if (page === 1) outcome.header = written.header === '' ? [] : written.header.split(',');
      outcome.records += job.result.count;
      outcome.pages = page;
      outcome.moreRecords = job.result.more_records;
      opts.onEvent?.({
        type: 'page',
        page,
        jobId,
        count: job.result.count,
        moreRecords: job.result.more_records,
        records: outcome.records,
      });
      if (!job.result.more_records) break;
    }
    return outcome;
  }
}

export function createClient(options: ClientOptions): BulkWriteClient {
  return new BulkWriteClient(options);
}
