import assert from 'node:assert/strict';
import { auth, call } from './api.js';
import { makeZip } from './zip.js';

/** An org's token and id, as `bulkwrite credentials --json` and the admin API's org creation give them. */
export interface OrgToken {
  access_token: string;
  org_id: string;
}

/**
 * Uploads `csv` (as `name`.csv in `name`.zip) to the server at `url` and creates an insert job of Leads
 * from it; the job's id. For tests of separate processes, where the server is only a URL.
 */
export async function insertLeadsJob(url: string, org: OrgToken, csv: string, name = 'leads'): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([await makeZip({ [`${name}.csv`]: csv })]), `${name}.zip`);
  const up = await call(`${url}/crm/v2.1/upload`, {
    method: 'POST',
    headers: { ...auth(org.access_token), feature: 'bulk-write', 'X-CRM-ORG': org.org_id },
    body: form,
  });
  assert.equal(up.status, 200, up.text);
  const created = await call(`${url}/crm/bulk/v2.1/write`, {
    method: 'POST',
    headers: { ...auth(org.access_token), 'content-type': 'application/json' },
    body: JSON.stringify({
      operation: 'insert',
      resource: [
        { type: 'data', module: { api_name: 'Leads' }, file_id: (up.body.details as { file_id: string }).file_id },
      ],
    }),
  });
  assert.equal(created.status, 201, created.text);
  return (created.body.details as { id: string }).id;
}

/** The job's details once it is COMPLETED or FAILED; fails the test after `ms`. */
export async function jobFinished(
  url: string,
  token: string,
  jobId: string,
  ms = 60_000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + ms;
  for (;;) {
    const d = (await call(`${url}/crm/bulk/v2.1/write/${jobId}`, { headers: auth(token) })).body;
    if (d.status === 'COMPLETED' || d.status === 'FAILED') return d;
    assert.ok(Date.now() < until, `job ${jobId} did not finish in ${ms} ms: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
