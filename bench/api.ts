import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { LEADS_COLUMNS } from './data.js';

/** The few Bulk Write calls the benchmarks make, over plain fetch, as any client would. */

export interface JobDetails {
  status: string;
  id: string;
  resource: Array<{
    status: string;
    file?: { added_count?: number; updated_count?: number; skipped_count?: number; total_count?: number };
  }>;
  result?: { download_url: string };
}

export interface JobTimeline {
  details: JobDetails;
  /** ms from job creation to the first poll that saw INPROGRESS. */
  claimedMs: number | null;
  /** ms from job creation to the first poll that saw every row counted (the last chunk committed). */
  allRowsMs: number | null;
  /** ms from job creation to the first poll that saw COMPLETED or FAILED. */
  doneMs: number;
}

export class BulkWriteApi {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly orgId: string,
  ) {}

  get authHeader(): string {
    return `Zoho-oauthtoken ${this.token}`;
  }

  private async json<T>(res: Response, what: string): Promise<T> {
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  /** Uploads a zip from disk (streamed, not read into memory) and returns the file id. */
  async upload(zipPath: string): Promise<string> {
    const form = new FormData();
    form.append('file', await openAsBlob(zipPath, { type: 'application/zip' }), basename(zipPath));
    const res = await fetch(`${this.url}/crm/v2.1/upload`, {
      method: 'POST',
      headers: { authorization: this.authHeader, feature: 'bulk-write', 'X-CRM-ORG': this.orgId },
      body: form,
    });
    const body = await this.json<{ status: string; details: { file_id: string } }>(res, 'upload');
    if (body.status !== 'success') throw new Error(`upload: ${JSON.stringify(body)}`);
    return body.details.file_id;
  }

  async createJob(fileId: string, operation: 'insert' | 'upsert', findBy: string | null = null): Promise<string> {
    const body = {
      operation,
      resource: [
        {
          type: 'data',
          module: { api_name: 'Leads' },
          file_id: fileId,
          ...(findBy ? { find_by: findBy } : {}),
          field_mappings: LEADS_COLUMNS.map((apiName, index) => ({ api_name: apiName, index })),
        },
      ],
    };
    const res = await fetch(`${this.url}/crm/bulk/v2.1/write`, {
      method: 'POST',
      headers: { authorization: this.authHeader, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await this.json<{ status: string; details: { id: string } }>(res, 'create job');
    return answer.details.id;
  }

  jobUrl(jobId: string): string {
    return `${this.url}/crm/bulk/v2.1/write/${jobId}`;
  }

  async getJob(jobId: string): Promise<JobDetails> {
    const res = await fetch(this.jobUrl(jobId), { headers: { authorization: this.authHeader } });
    return this.json<JobDetails>(res, 'job details');
  }

  /**
   * Polls the job until it ends, noting when it was claimed and when every row was counted (the
   * rest, until COMPLETED, is the result zip). `createdAt` is the performance.now() of the create call.
   */
  async waitForJob(
    jobId: string,
    rows: number,
    createdAt: number,
    opts: { intervalMs: number; deadline: number; onPoll?: (d: JobDetails) => void },
  ): Promise<JobTimeline> {
    let claimedMs: number | null = null;
    let allRowsMs: number | null = null;
    for (;;) {
      const details = await this.getJob(jobId);
      const at = performance.now() - createdAt;
      opts.onPoll?.(details);
      if (claimedMs === null && details.status !== 'ADDED') claimedMs = at;
      if (allRowsMs === null && (details.resource[0]?.file?.total_count ?? 0) >= rows) allRowsMs = at;
      if (details.status === 'COMPLETED' || details.status === 'FAILED') {
        return { details, claimedMs, allRowsMs: allRowsMs ?? at, doneMs: at };
      }
      if (Date.now() > opts.deadline) {
        const done = details.resource[0]?.file?.total_count ?? 0;
        throw new TimeoutError(`aborted: job still ${details.status} at ${done} of ${rows} rows`);
      }
      await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
  }

  /** Downloads the result zip and returns its size in bytes. */
  async downloadResult(details: JobDetails): Promise<number> {
    if (!details.result) throw new Error(`job ${details.id} has no result`);
    const res = await fetch(details.result.download_url, { headers: { authorization: this.authHeader } });
    if (res.status !== 200) throw new Error(`download: HTTP ${res.status}`);
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
    return bytes;
  }
}

export class TimeoutError extends Error {}
