import Papa from 'papaparse';
import yauzl from 'yauzl';
import { fetchFor } from './inject.js';
import type { TestServer } from './server.js';

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * fetch, sent again once when an idempotent request met a kept-alive socket the server had already
 * closed: a test that blocks its event loop (spawnSync of the CLI) for longer than the server's
 * keep-alive timeout leaves such a socket in the pool, and the next request on it fails with
 * "other side closed" before the server ever saw it.
 */
async function fetchOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchFor(url)(url, init);
  } catch (e) {
    const code = ((e as { cause?: { code?: string } }).cause ?? {}).code;
    const idempotent = ['GET', 'HEAD', 'PUT', 'DELETE'].includes((init.method ?? 'GET').toUpperCase());
    if (!idempotent || code !== 'UND_ERR_SOCKET') throw e;
    return fetchFor(url)(url, init);
  }
}

/** One request, over a socket or to an injected app (inject.ts), and its answer read whole. */
export async function call<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<HttpAnswer<T>> {
  const res = await fetchOnce(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

/** The keys of `bulkwrite credentials --json`, `POST /_bulkwrite/orgs` and a whole-store reset's answer. */
export const CREDENTIAL_KEYS = [
  'org_id',
  'client_id',
  'client_secret',
  'refresh_token',
  'access_token',
  'grant_code',
  'api_domain',
  'accounts_url',
  'token_url',
];

export const auth = (token: string) => ({ authorization: `Zoho-oauthtoken ${token}` });

export async function upload(
  t: TestServer,
  zip: Buffer,
  opts: { name?: string; token?: string; org?: string; headers?: Record<string, string>; field?: string } = {},
): Promise<HttpAnswer> {
  const form = new FormData();
  form.append(opts.field ?? 'file', new Blob([zip], { type: 'application/zip' }), opts.name ?? 'leads.zip');
  return call(`${t.url}/crm/v2.1/upload`, {
    method: 'POST',
    headers: {
      ...auth(opts.token ?? t.creds.access_token),
      feature: 'bulk-write',
      'X-CRM-ORG': opts.org ?? t.creds.org_id,
      ...opts.headers,
    },
    body: form,
  });
}

export async function uploadCsv(t: TestServer, csv: string, name = 'leads.csv'): Promise<string> {
  const { makeZip } = await import('./zip.js');
  const res = await upload(t, await makeZip({ [name]: csv }), { name: name.replace(/\.csv$/, '.zip') });
  if (res.status !== 200) throw new Error(`upload failed: ${res.text}`);
  return (res.body.details as { file_id: string }).file_id;
}

export async function createJob(t: TestServer, body: unknown, token = t.creds.access_token): Promise<HttpAnswer> {
  return call(`${t.url}/crm/bulk/v2.1/write`, {
    method: 'POST',
    headers: { ...auth(token), 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function getJob(t: TestServer, jobId: string, token = t.creds.access_token): Promise<HttpAnswer> {
  return call(`${t.url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(token) });
}

export async function waitForJob(t: TestServer, jobId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await getJob(t, jobId);
    if (res.status !== 200) throw new Error(`job details failed: ${res.text}`);
    if (res.body.status === 'COMPLETED' || res.body.status === 'FAILED') return res.body;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${String(res.body.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a whole job: upload the CSV, create the job, wait for it; returns the final details. */
export async function runJob(
  t: TestServer,
  csv: string,
  resource: Record<string, unknown>,
  top: Record<string, unknown> = { operation: 'insert' },
): Promise<{ details: Record<string, unknown>; jobId: string }> {
  const fileId = await uploadCsv(t, csv);
  const res = await createJob(t, {
    ...top,
    resource: [{ type: 'data', module: { api_name: 'Leads' }, ...resource, file_id: fileId }],
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  const jobId = (res.body.details as { id: string }).id;
  return { details: await waitForJob(t, jobId), jobId };
}

export function unzipEntries(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => {
      if (err || !z) return reject(err ?? new Error('no zip'));
      const out = new Map<string, Buffer>();
      z.on('entry', (entry: yauzl.Entry) => {
        z.openReadStream(entry, (e, s) => {
          if (e || !s) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            z.readEntry();
          });
        });
      });
      z.on('end', () => resolve(out));
      z.readEntry();
    });
  });
}

/** Downloads a job's result zip and parses its one CSV into rows of column → value. */
export async function downloadResult(
  t: TestServer,
  details: Record<string, unknown>,
): Promise<{ name: string; rows: Record<string, string>[]; header: string[] }> {
  const url = (details.result as { download_url: string }).download_url;
  const res = await fetchFor(url)(url, { headers: auth(t.creds.access_token) });
  if (res.status !== 200) throw new Error(`download failed: ${res.status} ${await res.text()}`);
  const entries = await unzipEntries(Buffer.from(await res.arrayBuffer()));
  const [name, csv] = [...entries][0]!;
  const parsed = Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true });
  return { name, rows: parsed.data, header: parsed.meta.fields ?? [] };
}

/** The rows (column → value) of a result zip's first CSV. */
export async function firstCsvRows(zip: Buffer): Promise<Record<string, string>[]> {
  const [, csv] = [...(await unzipEntries(zip))][0]!;
  return Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true }).data;
}

/** The bytes of an official SDK's file body: a Buffer or a stream, depending on the SDK. */
export async function sdkFileBytes(stream: unknown): Promise<Buffer> {
  if (Buffer.isBuffer(stream)) return stream;
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A refresh grant with the test server's own credentials, as a client renews its access token. */
export function refreshGrant(t: TestServer): Promise<HttpAnswer> {
  return refreshGrantAt(t.url, t.creds);
}

/** A refresh grant at an accounts URL with a client's credentials and refresh token. */
export function refreshGrantAt(
  accountsUrl: string,
  creds: { client_id: string; client_secret: string; refresh_token: string },
): Promise<HttpAnswer> {
  return call(`${accountsUrl}/oauth/v2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: creds.client_id,
      client_secret: creds.client_secret,
      refresh_token: creds.refresh_token,
    }),
  });
}
