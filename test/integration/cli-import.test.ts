import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { getJob, unzipEntries } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cli, type Run } from '../helpers/cli.js';

const jobIdIn = (r: Run) => /created job (\d+)/.exec(r.stderr)?.[1];

describe('bulkwrite import', () => {
  let t: TestServer;
  let dir: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => cli(args, env, dir);
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return name;
  };

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-import-'));
    env = {
      BULKWRITE_CONFIG: join(dir, 'config.json'),
      BULKWRITE_STATE_DIR: join(dir, 'state'),
      BULKWRITE_API_DOMAIN: t.url,
      BULKWRITE_ACCOUNTS_URL: t.url,
      BULKWRITE_UPLOAD_URL: t.url,
      BULKWRITE_ORG: t.creds.org_id,
      BULKWRITE_ACCESS_TOKEN: t.creds.access_token,
    };
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('inserts every row of a CSV whose header names the fields, prints a summary and exits 0', async () => {
    file('insert.csv', 'Last_Name,Email,Company\nLovelace,ada@example.com,Analytical\nHopper,grace@example.com,Navy\n');
    const r = await run('import', 'insert.csv', '--module', 'Leads');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /uploaded insert\.zip: 2 rows/);
    assert.match(r.stdout, /Job \d+ ✔ COMPLETED in [\d.]+ s/);
    assert.match(r.stdout, /insert into Leads from insert\.csv/);
    assert.match(r.stdout, /added {4}2\n/);
    assert.match(r.stdout, /skipped {2}0\n/);
    const id = jobIdIn(r)!;
    const details = (await getJob(t, id)).body as { status: string; operation: string };
    assert.deepEqual([details.status, details.operation], ['COMPLETED', 'insert']);
  });

  it('updates the records it finds by a unique field', async () => {
    file('update.csv', 'Email,Company\nada@example.com,Analytical Engines\nnobody@example.com,None\n');
    const r = await run(
      'import',
      'update.csv',
      '--module',
      'Leads',
      '--operation',
      'update',
      '--find-by',
      'Email',
      '--out',
      'update-result.csv',
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /updated {2}1\n/);
    assert.match(r.stdout, /RESOURCE_NOT_FOUND/);
    const rows = Papa.parse<Record<string, string>>(readFileSync(join(dir, 'update-result.csv'), 'utf8'), {
      header: true,
      skipEmptyLines: true,
    }).data;
    assert.deepEqual(
      rows.map((x) => [x.Email, x.STATUS]),
      [
        ['ada@example.com', 'UPDATED'],
        ['nobody@example.com', 'SKIPPED'],
      ],
    );
  });

  it('upserts: updates the rows that match and inserts the others', async () => {
    file('upsert.csv', 'Last_Name,Email\nHopper,grace@example.com\nTuring,alan@example.com\n');
    const r = await run('import', 'upsert.csv', '--module', 'Leads', '--operation', 'upsert', '--find-by', 'Email');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added {4}1\n/);
    assert.match(r.stdout, /updated {2}1\n/);
    assert.match(r.stdout, /upsert into Leads/);
  });

  it('prints a table of the skipped rows with their errors, explains the codes, and exits 3', async () => {
    file(
      'skips.csv',
      'Last Name,Email,Company\nOk,ok@example.com,A\n,nolast@example.com,B\nBad,not-an-email,C\nDup,ok@example.com,D\n',
    );
    const r = await run(
      'import',
      'skips.csv',
      '--module',
      'Leads',
      '--map',
      'Last Name=Last_Name',
      '--find-by',
      'Email',
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /▲ COMPLETED/);
    assert.match(r.stdout, /skipped {2}3\n/);
    assert.match(r.stdout, /3 rows were not written:/);
    const table = r.stdout.split('\n').filter((l) => /^ {2}(ROW|\d+) /.test(l));
    assert.match(table[0]!, /^ {2}ROW {2}Last Name {2}Email +Company {2}STATUS {3}ERRORS$/);
    assert.match(table[1]!, /^ {2}2 {4} +nolast@example\.com +B +SKIPPED +MANDATORY_NOT_FOUND: Last_Name$/);
    assert.match(table[2]!, /^ {2}3 +Bad +not-an-email +C +SKIPPED +INVALID_DATA: Email$/);
    assert.match(table[3]!, /^ {2}4 +Dup +ok@example\.com +D +SKIPPED +\w+: Email$/);
    assert.match(r.stdout, /MANDATORY_NOT_FOUND +a mandatory field is empty/);
    assert.match(r.stdout, /Full result: bulkwrite result \d+ --out result\.csv/);
  });

  it('writes the result CSV with --out, and the zip as downloaded when the name ends in .zip', async () => {
    file('out.csv', 'Last_Name,Email\nOut,out@example.com\n,empty@example.com\n');
    const r = await run('import', 'out.csv', '--module', 'Leads', '--out', 'result.csv');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /Result CSV written to result\.csv/);
    const csv = readFileSync(join(dir, 'result.csv'), 'utf8').split(/\r?\n/);
    assert.equal(csv[0], 'Last_Name,Email,STATUS,RECORD_ID,ERRORS');
    assert.match(csv[1]!, /^Out,out@example\.com,ADDED,\d+,$/);
    assert.equal(csv[2], ',empty@example.com,SKIPPED,,MANDATORY_NOT_FOUND-Last_Name');

    const z = await run('import', 'out.csv', '--module', 'Leads', '--out', 'result.zip');
    const entries = await unzipEntries(readFileSync(join(dir, 'result.zip')));
    assert.deepEqual([...entries.keys()], ['Leads-out.csv']);
    assert.equal(z.code, 3, z.stderr);
    assert.match(z.stdout, /^Result zip \(as downloaded, 1 CSV\) written to result\.zip$/m);
    assert.doesNotMatch(z.stdout, /Result CSV/);
  });

  it('prints one JSON object with --json and nothing else', async () => {
    file('json.csv', 'Last_Name,Email\nJson,json@example.com\n,nolast2@example.com\n');
    const r = await run('import', 'json.csv', '--module', 'Leads', '--json');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, '');
    const body = JSON.parse(r.stdout) as {
      job: { id: string; status: string; resource: Array<{ file: { added_count: number } }> };
      rows: number;
      not_written: Array<{ row: number; status: string; errors: string; values: Record<string, string> }>;
    };
    assert.equal(body.job.status, 'COMPLETED');
    assert.equal(body.rows, 2);
    assert.equal(body.job.resource[0]!.file.added_count, 1);
    assert.deepEqual(body.not_written, [
      {
        row: 2,
        status: 'SKIPPED',
        errors: 'MANDATORY_NOT_FOUND-Last_Name',
        values: { Last_Name: '', Email: 'nolast2@example.com' },
      },
    ]);
    assert.deepEqual((await getJob(t, body.job.id)).body, body.job);
  });

  it('stops after creating the job with --no-wait and prints how to follow it', async () => {
    file('nowait.csv', 'Last_Name\nLater\n');
    const r = await run('import', 'nowait.csv', '--module', 'Leads', '--no-wait');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^job (\d+) is (ADDED|INPROGRESS|COMPLETED); follow it with: bulkwrite job \1 --wait\n$/);
  });

  it('gives defaults to empty cells and columns the CSV lacks', async () => {
    file('defaults.csv', 'Last_Name,Lead_Source\nDefaulted,\n');
    const r = await run('import', 'defaults.csv', '--module', 'Leads', '--default', 'Lead_Source=Trade Show', '--json');
    assert.equal(r.code, 0, r.stderr);
    const mappings = (JSON.parse(r.stdout) as { job: { resource: Array<{ field_mappings: unknown[] }> } }).job
      .resource[0]!.field_mappings;
    assert.deepEqual(mappings[1], {
      api_name: 'Lead_Source',
      index: 1,
      format: null,
      find_by: null,
      module: null,
      default_value: { value: 'Trade Show' },
    });
  });

  it('records each job it creates, and bulkwrite jobs lists them with their current counts', async () => {
    const r = await run('jobs', '--limit', '3');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^JOB ID +CREATED +MODULE +OPERATION +FILE +STATUS +ADDED +UPDATED +SKIPPED +TOTAL$/);
    assert.equal(lines.length, 4);
    assert.match(
      lines[1]!,
      /^\d{19} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +Leads +insert +defaults\.csv +COMPLETED +1 +0 +0 +1$/,
    );
    const json = JSON.parse((await run('jobs', '--json', '--limit', '1')).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(json[0]!).sort(), [
      'apiDomain',
      'createdAt',
      'details',
      'file',
      'jobId',
      'module',
      'operation',
      'org',
      'profile',
    ]);
    assert.equal(json[0]!.apiDomain, t.url);
  });

  describe('failures a user meets, each with one clear message and no stack trace', () => {
    const noStack = (r: Run) => assert.doesNotMatch(r.stderr, /\n\s+at /);

    it('a file that does not exist: exit 2', async () => {
      const r = await run('import', 'nope.csv', '--module', 'Leads');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /bulkwrite: file not found: nope\.csv/);
      noStack(r);
    });

    it('a CSV header that does not match the mapping: exit 2, with the header, before uploading', async () => {
      file('mismatch.csv', 'Surname,E-mail\nX,x@example.com\n');
      const named = await run('import', 'mismatch.csv', '--module', 'Leads', '--map', 'Last Name=Last_Name');
      assert.equal(named.code, 2, named.stderr);
      assert.match(
        named.stderr,
        /the CSV header does not match the mapping: --map names a column "Last Name" that is not in the file/,
      );
      assert.match(named.stderr, /The CSV header is: "Surname", "E-mail"/);
      assert.doesNotMatch(named.stderr, /uploaded/);
      const unmapped = await run('import', 'mismatch.csv', '--module', 'Leads', '--map', 'Surname=Last_Name');
      assert.equal(unmapped.code, 2, unmapped.stderr);
      assert.match(unmapped.stderr, /"E-mail" is not a field API name/);
      assert.match(unmapped.stderr, /--map "E-mail=<API name>" or --map "E-mail="/);
      const findBy = await run(
        'import',
        'mismatch.csv',
        '--module',
        'Leads',
        '--map',
        'Surname=Last_Name',
        '--map',
        'E-mail=',
        '--operation',
        'upsert',
        '--find-by',
        'Email',
      );
      assert.equal(findBy.code, 2, findBy.stderr);
      assert.match(findBy.stderr, /--find-by Email, but no column maps to Email \(mapped fields: Last_Name\)/);
      noStack(findBy);
    });

    it('update or upsert without --find-by: exit 2', async () => {
      const r = await run('import', 'insert.csv', '--module', 'Leads', '--operation', 'upsert');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--operation upsert needs --find-by/);
    });

    it('no org id for the upload: exit 2', async () => {
      const r = await cli(['import', 'insert.csv', '--module', 'Leads'], { ...env, BULKWRITE_ORG: '' }, dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /uploads need the org id .* pass --org/);
    });

    it('a column the module does not have: exit 5, with how to map it', async () => {
      file('unknown-field.csv', 'Last_Name,Shoe_Size\nBig,46\n');
      const r = await run('import', 'unknown-field.csv', '--module', 'Leads');
      assert.equal(r.code, 5, r.stderr);
      assert.match(r.stderr, /"Shoe_Size" is not a field of the module \(INVALID_FIELD, HTTP 400\)/);
      assert.match(r.stderr, /--map "Shoe_Size=<API name>"/);
      noStack(r);
    });

    it('a module that does not exist: exit 5', async () => {
      const r = await run('import', 'insert.csv', '--module', 'Leeds');
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        /Requested module 'Leeds' is not available\. \(MODULE_NOT_AVAILABLE, HTTP 400\) Check --module/,
      );
    });

    it('an unknown flag: exit 2, pointing at --help', async () => {
      const r = await run('import', 'insert.csv', '--module', 'Leads', '--modul', 'x');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Unknown option '--modul'/);
      assert.match(r.stderr, /Run "bulkwrite import --help"/);
    });
  });
});
