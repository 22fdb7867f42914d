import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJob, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CLI, cli, type Run } from '../helpers/cli.js';

const ESC = String.fromCharCode(27);

/** Each leaf of a JSON body as a dotted path, arrays of objects by index: what the seed's sample code reads. */
function leaves(value: unknown, path = ''): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null && Object.keys(value).length > 0)
    return Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k));
  return [[path, value]];
}

describe('bulkwrite job, result and jobs', () => {
  let t: TestServer;
  let dir: string;
  let env: Record<string, string>;
  let jobId: string;
  const run = (...args: string[]) => cli(args, env, dir);

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-job-'));
    env = {
      BULKWRITE_CONFIG: join(dir, 'config.json'),
      BULKWRITE_STATE_DIR: join(dir, 'state'),
      BULKWRITE_API_DOMAIN: t.url,
      BULKWRITE_ACCESS_TOKEN: t.creds.access_token,
    };
    // The seed's job: three mappings in Zoho's order, ignore_empty and a callback.
    ({ jobId } = await runJob(
      t,
      'Last_Name,Mobile,Owner\nOne,555-0100,\nTwo,555-0101,\n,555-0102,\n',
      {
        field_mappings: [
          { api_name: 'Owner', index: 2 },
          { api_name: 'Last_Name', index: 0 },
          { api_name: 'Mobile', index: 1 },
        ],
      },
      { operation: 'insert', ignore_empty: true, callback: { url: 'http://127.0.0.1:9/', method: 'post' } },
    ));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every field of the job details, named as in the response, field mappings as a table', async () => {
    const r = await run('job', jobId);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Job ${jobId} {2}COMPLETED {2}added 2 · updated 0 · skipped 1 · total 3\n`));
    const body = (await getJob(t, jobId)).body;
    const lines = r.stdout.split('\n');
    for (const [path, value] of leaves(body)) {
      const mapping = /^resource\[(\d+)\]\.field_mappings\[(\d+)\]\.(\w+)$/.exec(path);
      if (mapping) continue; // checked in the table below
      const key = path.replace(/^resource\[\d+\]\./, '');
      const shown = value === null ? 'null' : String(value);
      assert.ok(
        lines.some((l) =>
          new RegExp(`^ +${key.replace(/[.[\]]/g, '\\$&')} +${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`).test(l),
        ),
        `no line for ${path} = ${shown}`,
      );
    }
    const table = lines.slice(lines.findIndex((l) => l.trim() === 'field_mappings') + 1).filter(Boolean);
    assert.match(table[0]!, /^ {6}api_name +index +format +find_by +module +default_value$/);
    assert.match(table[1]!, /^ {6}Owner +2 +- +- +- +-$/);
    assert.match(table[2]!, /^ {6}Last_Name +0 /);
    assert.match(table[3]!, /^ {6}Mobile +1 /);
    for (const key of [
      'callback.url',
      'callback.method',
      'result.download_url',
      'created_by.name',
      'ignore_empty',
      'created_time',
    ])
      assert.match(r.stdout, new RegExp(`\n  ${key.replace('.', '\\.')} `));
  });

  it('prints the response body with --json, the same JSON the API sent', async () => {
    const r = await run('job', jobId, '--json');
    assert.equal(r.code, 0, r.stderr);
    const api = await getJob(t, jobId);
    assert.deepEqual(JSON.parse(r.stdout), api.body);
    assert.equal(JSON.stringify(JSON.parse(r.stdout)), api.text);
  });

  it('says there is no such job, and exits 5', async () => {
    const r = await run('job', '4150868000000000042');
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /there is no job 4150868000000000042 in this org \(RESOURCE_NOT_FOUND, HTTP 400\)/);
  });

  it('refuses a job id that is not digits, exit 2', async () => {
    const r = await run('job', 'job_abc');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /"job_abc" is not a job id/);
  });

  it('follows a job with --wait and exits 3 when rows were skipped', async () => {
    const r = await run('job', jobId, '--wait');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /job \d+: COMPLETED 3 rows \(added 2 · updated 0 · skipped 1\)/);
  });

  it('downloads the result: summary, the rows not written, and the CSV with --out', async () => {
    const r = await run('result', jobId, '--out', 'r.csv');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /1 row was not written:/);
    assert.match(r.stdout, /\n {2}3 +555-0102 +SKIPPED +MANDATORY_NOT_FOUND: Last_Name\n/);
    assert.match(r.stdout, /Result CSV written to r\.csv/);
    const csv = await run('result', jobId, '--out', '-');
    assert.equal(csv.code, 3, csv.stderr);
    assert.match(csv.stdout, /^Last_Name,Mobile,Owner,STATUS,RECORD_ID,ERRORS\r\n/);
    assert.equal(csv.stdout.trim().split('\n').length, 4);
    const json = JSON.parse((await run('result', jobId, '--json')).stdout) as { rows: unknown[]; not_written: number };
    assert.equal(json.rows.length, 3);
    assert.equal(json.not_written, 1);
  });

  it('ends quietly with exit 0 when the reader of --out - stops early, as head does', async () => {
    // A result far larger than a pipe's buffer, so the CLI is still writing when head has gone.
    const rows = Array.from({ length: 5000 }, (_, i) => `Row ${i} ${'x'.repeat(60)},555-${i}`).join('\n');
    const { jobId: big } = await runJob(t, `Last_Name,Mobile\n${rows}\n`, {});
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BULKWRITE_')));
    // Asynchronously: the test server answers from this process.
    const piped = await new Promise<Run>((resolve) => {
      const child = spawn(
        'bash',
        ['-c', '"$0" "$1" result "$2" --out - | head -n 1; exit "${PIPESTATUS[0]}"', process.execPath, CLI, big],
        { cwd: dir, env: { ...base, HOME: dir, ...env } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(piped.stdout, 'Last_Name,Mobile,STATUS,RECORD_ID,ERRORS\r\n');
    assert.equal(piped.stderr, '');
    assert.equal(piped.code, 0);
  });

  it('says a job that has not finished has no result yet, exit 5', async () => {
    const idle = await startTestServer({ worker: false });
    try {
      const { createJob, uploadCsv } = await import('../helpers/api.js');
      const fileId = await uploadCsv(idle, 'Last_Name\nX\n');
      const created = await createJob(idle, {
        operation: 'insert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
      });
      const id = (created.body.details as { id: string }).id;
      const r = await cli(
        ['result', id],
        { ...env, BULKWRITE_API_DOMAIN: idle.url, BULKWRITE_ACCESS_TOKEN: idle.creds.access_token },
        dir,
      );
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`job ${id} is ADDED: it has no result to download\\. Wait for it with: bulkwrite job ${id} --wait`),
      );
    } finally {
      await idle.close();
    }
  });

  it('explains an empty job list: Zoho has no endpoint that lists jobs', async () => {
    const r = await run('jobs');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`No jobs recorded for ${t.url.replace(/\./g, '\\.')} yet\\.`));
    assert.match(r.stdout, /Zoho has no endpoint that lists bulk write jobs/);
  });

  it('shows --help with examples for every command, exit 0', async () => {
    for (const command of ['import', 'job', 'result', 'jobs', 'profile']) {
      const r = await run(command, '--help');
      assert.equal(r.code, 0, command);
      assert.match(r.stdout, new RegExp(`^Usage: bulkwrite ${command} `), command);
      assert.match(r.stdout, /\nExamples:\n {2}(npx )?bulkwrite /, command);
    }
    const top = await run('--help');
    assert.match(top.stdout, /import +zip, upload and import a CSV/);
    assert.match(top.stdout, /Exit codes: 0 ok/);
  });

  it('prints plain lines without escape codes when not on a terminal', async () => {
    writeFileSync(join(dir, 'plain.csv'), 'Last_Name\nPlain\n');
    const r = await run('import', 'plain.csv', '--module', 'Leads', '--org', t.creds.org_id);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!(r.stdout + r.stderr).includes(`${ESC}[`));
    assert.match(r.stderr, /^job \d+: COMPLETED 1\/1 rows \(added 1 · updated 0 · skipped 0\)$/m);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it(
    'draws a progress bar and colours on a terminal',
    { skip: !hasScript && 'no script(1) to make a terminal' },
    async () => {
      writeFileSync(join(dir, 'tty.csv'), 'Last_Name,Email\nTty,tty@example.com\n,notty@example.com\n');
      const command = [process.execPath, CLI, 'import', 'tty.csv', '--module', 'Leads', '--org', t.creds.org_id]
        .map((a) => `'${a}'`)
        .join(' ');
      const base = Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !k.startsWith('BULKWRITE_') && !k.startsWith('XDG_') && k !== 'NO_COLOR',
        ),
      );
      // script(1) runs the command on a pseudo-terminal; everything it printed comes back on stdout.
      const r = await new Promise<Run>((resolve) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], {
          cwd: dir,
          env: { ...base, HOME: dir, TERM: 'xterm', ...env },
        });
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
      });
      assert.equal(r.code, 3, r.stdout);
      assert.ok(r.stdout.includes(`\r${ESC}[2K`));
      assert.match(r.stdout, /█+/);
      assert.match(r.stdout, /100% {2}2\/2 rows/);
      assert.ok(r.stdout.includes(`${ESC}[33m▲ COMPLETED${ESC}[39m`));
    },
  );
});
