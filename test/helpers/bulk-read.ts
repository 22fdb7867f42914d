import Papa from 'papaparse';
import { auth, call, unzipEntries, type HttpAnswer } from './api.js';
import { fetchFor } from './inject.js';
import type { TestServer } from './server.js';

/** Bulk read over HTTP, as a client does it: create a read job, poll it, download and parse its CSV. */

export async function createReadJob(
  t: TestServer,
  body: unknown,
  opts: { version?: string; token?: string } = {},
): Promise<HttpAnswer> {
  return call(`${t.url}/crm/bulk/${opts.version ?? 'v2.1'}/read`, {
    method: 'POST',
    headers: { ...auth(opts.token ?? t.creds.access_token), 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export type ReadDetails = Record<string, unknown> & {
  id: string;
  state: string;
  result?: {
    page: number;
    count: number;
    download_url: string;
    per_page: number;
    more_records: boolean;
    /** v7+ */
    next_page_token?: string | null;
  };
};

export async function getReadJob(t: TestServer, id: string, opts: { version?: string; token?: string } = {}) {
  return call<{ data: ReadDetails[] }>(`${t.url}/crm/bulk/${opts.version ?? 'v2.1'}/read/${id}`, {
    headers: auth(opts.token ?? t.creds.access_token),
  });
}

export async function waitForReadJob(
  t: TestServer,
  id: string,
  timeoutMs = 60_000,
  version = 'v2.1',
): Promise<ReadDetails> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await getReadJob(t, id, { version });
    if (res.status !== 200) throw new Error(`read job details failed: ${res.text}`);
    const d = res.body.data[0]!;
    if (d.state === 'COMPLETED' || d.state === 'FAILURE') return d;
    if (Date.now() > until) throw new Error(`read job ${id} still ${d.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Parses a read job's zip: its one CSV's name, header and rows (column → cell). */
export async function parseReadZip(
  zip: Buffer,
): Promise<{ name: string; header: string[]; rows: Record<string, string>[] }> {
  const entries = await unzipEntries(zip);
  if (entries.size !== 1) throw new Error(`the zip holds ${entries.size} files`);
  const [name, csv] = [...entries][0]!;
  const parsed = Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true });
  return { name, rows: parsed.data, header: parsed.meta.fields ?? [] };
}

export async function downloadReadResult(t: TestServer, details: ReadDetails, token = t.creds.access_token) {
  const url = `${t.url}${details.result!.download_url}`;
  const res = await fetchFor(url)(url, { headers: auth(token) });
  if (res.status !== 200) throw new Error(`download failed: ${res.status} ${await res.text()}`);
  return parseReadZip(Buffer.from(await res.arrayBuffer()));
}

/** Creates a read job, waits for it and downloads its page. */
export async function runReadJob(t: TestServer, body: unknown, opts: { version?: string } = {}) {
  const res = await createReadJob(t, body, opts);
  if (res.status !== 201) throw new Error(`create read job failed: ${res.status} ${res.text}`);
  const id = (res.body.data as Array<{ details: { id: string } }>)[0]!.details.id;
  const details = await waitForReadJob(t, id, 60_000, opts.version);
  if (details.state !== 'COMPLETED') throw new Error(`read job ${id} ended ${details.state}`);
  return { id, details, ...(await downloadReadResult(t, details)) };
}
