import { call, createJob, uploadCsv, type HttpAnswer } from './api.js';
import type { TestServer } from './server.js';

/** POST /_bulkwrite/faults; the rule's id (throws on a refusal). */
export async function addFault(url: string, rule: unknown): Promise<string> {
  const res = await postFault(url, rule);
  if (res.status !== 201) throw new Error(`fault refused: ${res.status} ${res.text}`);
  return (res.body as { id: string }).id;
}

export function postFault(url: string, rule: unknown): Promise<HttpAnswer> {
  return call(`${url}/_bulkwrite/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof rule === 'string' ? rule : JSON.stringify(rule),
  });
}

export async function listFaults(url: string): Promise<Array<Record<string, unknown>>> {
  return (await call<{ faults: Array<Record<string, unknown>> }>(`${url}/_bulkwrite/faults`)).body.faults;
}

export function clearFaults(url: string): Promise<HttpAnswer> {
  return call(`${url}/_bulkwrite/faults`, { method: 'DELETE' });
}

export function releaseJob(url: string, jobId: string): Promise<HttpAnswer> {
  return call(`${url}/_bulkwrite/jobs/${jobId}/release`, { method: 'POST' });
}

/** `n` Leads rows with distinct last names, after a header. */
export const leadsCsv = (n: number, prefix = 'Fault') =>
  'Last_Name,Email\n' +
  Array.from({ length: n }, (_, i) => `${prefix}-${i + 1},${prefix.toLowerCase()}${i + 1}@example.com\n`).join('');

/** Uploads a CSV and creates an insert job of Leads on it; the job id. */
export async function startLeadsJob(t: TestServer, csv: string): Promise<string> {
  const fileId = await uploadCsv(t, csv);
  const res = await createJob(t, {
    operation: 'insert',
    resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return (res.body.details as { id: string }).id;
}

/**
 * Polls an official SDK's job details until the job is COMPLETED or FAILED: `read` returns the response's
 * object, `isDetails` says whether it is that SDK's BulkWriteResponse.
 */
export async function sdkUntilFinished<T extends { getStatus(): string }>(
  read: () => Promise<unknown>,
  isDetails: (o: unknown) => o is T,
  timeoutMs = 30_000,
): Promise<T> {
  for (const until = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 50))) {
    const got = await read();
    if (!isDetails(got)) throw new Error(`expected the SDK's BulkWriteResponse, got ${String(got)}`);
    if (got.getStatus() === 'FAILED' || got.getStatus() === 'COMPLETED') return got;
    if (Date.now() > until) throw new Error('the job did not finish');
  }
}
