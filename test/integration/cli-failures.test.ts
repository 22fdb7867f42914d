import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI as a user would (own HOME, config and state; no BULKWRITE_* of ours); output can be awaited as it comes. */
function start(args: string[], env: Record<string, string>, cwd: string) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('BULKWRITE_') && !k.startsWith('XDG_')),
  );
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...base, HOME: cwd, ...env },
  });
  const out = { stdout: '', stderr: '' };
  const waiters: Array<() => void> = [];
  const onData = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on('data', (c: Buffer) => ((out.stdout += c.toString()), onData()));
  child.stderr.on('data', (c: Buffer) => ((out.stderr += c.toString()), onData()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  const waitFor = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = pattern.exec(out.stderr) ?? pattern.exec(out.stdout);
      if (m) return m;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { child, done, waitFor };
}

const cli = (args: string[], env: Record<string, string>, cwd: string) => start(args, env, cwd).done;
const noStack = (r: Run) => assert.doesNotMatch(r.stderr, /\n\s+at /);

describe('the exit codes and messages of the client commands', () => {
  let t: TestServer;
  let idle: TestServer;
  let dir: string;
  let jobId: string;
  const envFor = (s: TestServer, token = s.creds.access_token): Record<string, string> => ({
    BULKWRITE_CONFIG: join(dir, 'config.json'),
    BULKWRITE_STATE_DIR: join(dir, 'state'),
    BULKWRITE_API_DOMAIN: s.url,
    BULKWRITE_ACCOUNTS_URL: s.url,
    BULKWRITE_UPLOAD_URL: s.url,
    BULKWRITE_ORG: s.creds.org_id,
    BULKWRITE_ACCESS_TOKEN: token,
  });

  before(async () => {
    t = await startTestServer();
    idle = await startTestServer({ worker: false });
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-fail-'));
    writeFileSync(join(dir, 'leads.csv'), 'Last_Name,Email\nOne,one@example.com\n');
    ({ jobId } = await runJob(t, 'Last_Name\nDone\n', {}));
  });
  after(async () => {
    await t.close();
    await idle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('2: no credentials for the local default tells the user how to get them', async () => {
    const r = await cli(
      ['job', jobId],
      { BULKWRITE_CONFIG: join(dir, 'none.json'), BULKWRITE_STATE_DIR: join(dir, 's') },
      dir,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no credentials for the local bulkwrite at http:\/\/127\.0\.0\.1:8080/);
    assert.match(r.stderr, /npx bulkwrite credentials --json/);
    assert.match(r.stderr, /--access-token/);
    noStack(r);
  });

  it('4: the job failed as a whole; import, job --wait and result all say why', async () => {
    const run = start(['import', 'leads.csv', '--module', 'Leads', '--timeout', '30'], envFor(idle), dir);
    const id = (await run.waitFor(/created job (\d+)/))[1]!;
    // The uploaded file disappears before a worker takes the job: it fails with INVALID_FILE_ID.
    const blobs = join(idle.dataDir, 'blobs');
    for (const f of readdirSync(blobs, { recursive: true }) as string[])
      if (f.includes('uploads') && f.endsWith('.zip')) rmSync(join(blobs, f));
    const w = openTestWorker(idle);
    await w.worker.drain();
    await w.close();
    const r = await run.done;
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, new RegExp(`Job ${id} ✖ FAILED`));
    assert.match(r.stdout, /reason {3}INVALID_FILE_ID/);
    noStack(r);

    const job = await cli(['job', id, '--wait'], envFor(idle), dir);
    assert.equal(job.code, 4, job.stderr);
    assert.match(job.stdout, /\n {2}status +FAILED\n/);
    const result = await cli(['result', id], envFor(idle), dir);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout, /✖ FAILED/);
  });

  it("5: the API refused the request (the org id is not the token's)", async () => {
    const r = await cli(['import', 'leads.csv', '--module', 'Leads', '--org', '123'], envFor(t), dir);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /the org id 123 is not the org of the access token \(INVALID_DATA, HTTP 400\): check --org/);
  });

  it('6: an expired access token says it has expired and how to get a fresh one', async () => {
    const short = await startTestServer({ tokenTtlSeconds: 1 });
    try {
      await new Promise((r) => setTimeout(r, 1_200));
      const r = await cli(['job', jobId], envFor(short), dir);
      assert.equal(r.code, 6, r.stderr);
      assert.match(
        r.stderr,
        /the access token was refused while reading the job \(INVALID_TOKEN, HTTP 401\): it has expired/,
      );
      assert.match(r.stderr, /npx bulkwrite credentials --json/);
      noStack(r);
    } finally {
      await short.close();
    }
  });

  it('6: a token without a scope a step needs names the scope', async () => {
    const noFiles = await t.credentials(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL']);
    const upload = await cli(['import', 'leads.csv', '--module', 'Leads'], envFor(t, noFiles.access_token), dir);
    assert.equal(upload.code, 6, upload.stderr);
    assert.match(
      upload.stderr,
      /lacks a scope needed for uploading the file \(OAUTH_SCOPE_MISMATCH, HTTP 401\)\. It needs ZohoFiles\.files\.ALL/,
    );
    const filesOnly = await t.credentials(['ZohoFiles.files.ALL']);
    const job = await cli(['job', jobId], envFor(t, filesOnly.access_token), dir);
    assert.equal(job.code, 6, job.stderr);
    assert.match(job.stderr, /needed for reading the job .* It needs ZohoCRM\.bulk\.CREATE or ZohoCRM\.bulk\.ALL/);
  });

  it('6: a refused refresh token or an unknown client says which, and where to look', async () => {
    const env = { ...envFor(t), BULKWRITE_ACCESS_TOKEN: '' };
    const badRefresh = await cli(
      [
        'job',
        jobId,
        '--client-id',
        t.creds.client_id,
        '--client-secret',
        t.creds.client_secret,
        '--refresh-token',
        '1000.x.y',
      ],
      env,
      dir,
    );
    assert.equal(badRefresh.code, 6, badRefresh.stderr);
    assert.match(badRefresh.stderr, /refused the refresh token \(invalid_code, HTTP 200\)/);
    const badClient = await cli(
      ['job', jobId, '--client-id', '1000.NOPE', '--client-secret', 'x', '--refresh-token', t.creds.refresh_token],
      env,
      dir,
    );
    assert.equal(badClient.code, 6, badClient.stderr);
    assert.match(
      badClient.stderr,
      /does not know the client id \(invalid_client, HTTP 200\): check --client-id, and that --dc\/--accounts-url/,
    );
  });

  it('7: nothing listening at a local address asks whether bulkwrite is running', async () => {
    const gone = await startTestServer();
    const url = gone.url;
    await gone.close();
    const r = await cli(['job', jobId, '--api-domain', url], envFor(t), dir);
    assert.equal(r.code, 7, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `nothing answers at ${url.replace(/\./g, '\\.')} while reading the job \\(ECONNREFUSED\\)\\. Is bulkwrite running\\?`,
      ),
    );
  });

  it('7: a domain that answers like a web site, not the API, is called a wrong domain', async () => {
    const site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body>Zoho CRM</body></html>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const port = (site.address() as { port: number }).port;
    try {
      const r = await cli(['job', jobId, '--api-domain', `http://127.0.0.1:${port}`], envFor(t), dir);
      assert.equal(r.code, 7, r.stderr);
      assert.match(
        r.stderr,
        /answered like something else than Zoho's Bulk Write API \(HTTP 200, text\/html; charset=utf-8\)/,
      );
      assert.match(
        r.stderr,
        /--api-domain must be the API domain, e\.g\. https:\/\/www\.zohoapis\.com, not the CRM web address/,
      );
      noStack(r);
    } finally {
      site.close();
    }
  });

  it('8: --timeout gives up waiting, and says the job goes on', async () => {
    // The server has no worker, so the job never finishes; the timeout leaves time to upload and create
    // it on a busy machine.
    const r = await cli(['import', 'leads.csv', '--module', 'Leads', '--timeout', '3'], envFor(idle), dir);
    assert.equal(r.code, 8, r.stderr);
    assert.match(
      r.stderr,
      /job (\d+) has not finished within --timeout 3 s\. The job goes on on the server: bulkwrite job \1 --wait/,
    );
    const w = await cli(
      ['job', /job (\d+) has not/.exec(r.stderr)![1]!, '--wait', '--timeout', '0.3'],
      envFor(idle),
      dir,
    );
    assert.equal(w.code, 8, w.stderr);
  });

  it('130: Ctrl-C while waiting stops the CLI, not the job', async () => {
    const run = start(['import', 'leads.csv', '--module', 'Leads'], envFor(idle), dir);
    const id = (await run.waitFor(/created job (\d+)/))[1]!;
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`interrupted\\. The job goes on on the server: bulkwrite job ${id} --wait`));
  });
});
