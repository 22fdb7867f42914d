import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJob, downloadResult, runJob, uploadCsv, waitForJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { openTestWorker } from '../helpers/worker.js';

type Row = Record<string, string>;
const outcome = (rows: Row[]) => rows.map((r) => [r.STATUS, r.ERRORS]);

/**
 * Runs a job in two goes on a server without a worker of its own: a first worker stops after its first
 * chunk (rows 1–2), a second one resumes at row 3. The second one works in batches of one row, so it
 * remembers the rows before the checkpoint in several steps. Returns the result rows.
 */
async function interruptedThenResumed(quiet: TestServer, jobId: string): Promise<Row[]> {
  // stop() settles once the loop has ended, which is after this hook returns: awaited after drain().
  let stopping: Promise<void> | undefined;
  const first = openTestWorker(quiet, {
    batchSize: 2,
    onChunk: () => {
      stopping ??= first.worker.stop();
    },
  });
  await first.worker.drain();
  await stopping;
  await first.close();
  const second = openTestWorker(quiet, { batchSize: 1 });
  await second.worker.drain();
  await second.close();
  return (await downloadResult(quiet, await waitForJob(quiet, jobId))).rows;
}

describe('matching rows to records on update and upsert', () => {
  let t: TestServer;
  // Two rows per batch, so duplicates are found across batch boundaries too.
  before(async () => {
    t = await startTestServer({ batchSize: 2 });
  });
  after(() => t.close());

  const record = async (id: string) => (await t.server.storage.records.get(t.creds.org_id, 'Leads', id))?.data;
  const insertLeads = async (rows: string[]) => {
    const { details } = await runJob(t, ['Last_Name,Email,Company', ...rows].join('\n'), {});
    return (await downloadResult(t, details)).rows.map((r) => r.RECORD_ID!);
  };

  it('updates by id with the first row of an id winning; later rows of that id are DUPLICATE_DATA-id', async () => {
    const [a, b] = await insertLeads(['A,a@match.test,Old', 'B,b@match.test,Old']);
    const csv = ['id,Company', `${a},First`, `${b},Only`, `${a},Second`, `${a},Third`].join('\n');
    const { details } = await runJob(
      t,
      csv,
      {
        find_by: 'id',
        field_mappings: [
          { api_name: 'id', index: 0 },
          { api_name: 'Company', index: 1 },
        ],
      },
      { operation: 'update' },
    );
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(outcome(rows), [
      ['UPDATED', ''],
      ['UPDATED', ''],
      ['SKIPPED', 'DUPLICATE_DATA-id'],
      ['SKIPPED', 'DUPLICATE_DATA-id'],
    ]);
    assert.deepEqual(
      rows.map((r) => r.RECORD_ID),
      [a, b, '', ''],
    );
    assert.equal((await record(a!))?.Company, 'First');
  });

  it('upserts by a unique field: a value inserted by one row is a duplicate for a later row of the file', async () => {
    const [existing] = await insertLeads(['Kept,kept@match.test,Old']);
    const csv = [
      'Last_Name,Email,Company',
      'New,new@match.test,Inserted',
      'Kept,KEPT@match.test,Updated',
      'New again,New@Match.test,Twice',
      'Kept again,kept@match.test,Twice',
    ].join('\n');
    const { details } = await runJob(t, csv, { find_by: 'Email' }, { operation: 'upsert' });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(outcome(rows), [
      ['ADDED', ''],
      ['UPDATED', ''],
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
    ]);
    assert.equal(rows[1]!.RECORD_ID, existing);
    assert.equal((await record(existing!))?.Company, 'Updated');
    assert.equal((await record(rows[0]!.RECORD_ID!))?.Company, 'Inserted');
  });

  it('still finds a duplicate find_by value after the job is interrupted and resumed', async () => {
    const quiet = await startTestServer({ worker: false });
    try {
      const ids = [] as string[];
      {
        const fileId = await uploadCsv(quiet, 'Last_Name,Email\nR1,r1@match.test\nR2,r2@match.test\n');
        const res = await createJob(quiet, {
          operation: 'insert',
          resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId }],
        });
        const { worker, close } = openTestWorker(quiet);
        await worker.drain();
        await close();
        const done = await waitForJob(quiet, (res.body.details as { id: string }).id);
        for (const r of (await downloadResult(quiet, done)).rows) ids.push(r.RECORD_ID!);
      }
      const csv = ['id,Company', `${ids[0]},One`, `${ids[1]},Two`, `${ids[0]},Again`, `${ids[1]},Again`].join('\n');
      const fileId = await uploadCsv(quiet, csv);
      const created = await createJob(quiet, {
        operation: 'update',
        resource: [
          {
            type: 'data',
            module: { api_name: 'Leads' },
            file_id: fileId,
            find_by: 'id',
            field_mappings: [
              { api_name: 'id', index: 0 },
              { api_name: 'Company', index: 1 },
            ],
          },
        ],
      });
      const jobId = (created.body.details as { id: string }).id;
      const rows = await interruptedThenResumed(quiet, jobId);
      assert.deepEqual(outcome(rows), [
        ['UPDATED', ''],
        ['UPDATED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-id'],
        ['SKIPPED', 'DUPLICATE_DATA-id'],
      ]);
    } finally {
      await quiet.close();
    }
  });

  it('still finds a duplicate unique find_by value after an upsert is interrupted and resumed', async () => {
    const quiet = await startTestServer({ worker: false });
    try {
      const csv = [
        'Last_Name,Email,Company',
        'New,new@resume.test,Inserted',
        'Other,other@resume.test,Inserted',
        'New again,NEW@resume.test,Twice',
        'Third,third@resume.test,Inserted',
        'Other again,other@Resume.test,Twice',
      ].join('\n');
      const fileId = await uploadCsv(quiet, csv);
      const created = await createJob(quiet, {
        operation: 'upsert',
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, find_by: 'Email' }],
      });
      const jobId = (created.body.details as { id: string }).id;
      const rows = await interruptedThenResumed(quiet, jobId);
      assert.deepEqual(outcome(rows), [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
        ['ADDED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ]);
    } finally {
      await quiet.close();
    }
  });

  it('keeps a value on ignore_empty true and clears it on false', async () => {
    const [id] = await insertLeads(['Empty,empty@match.test,Company Kept']);
    const update = (ignoreEmpty: boolean) =>
      runJob(
        t,
        `id,Company\n${id},\n`,
        {
          find_by: 'id',
          ignore_empty: ignoreEmpty,
          field_mappings: [
            { api_name: 'id', index: 0 },
            { api_name: 'Company', index: 1 },
          ],
        },
        { operation: 'update' },
      );
    assert.deepEqual(outcome((await downloadResult(t, (await update(true)).details)).rows), [['UPDATED', '']]);
    assert.equal((await record(id!))?.Company, 'Company Kept');
    assert.deepEqual(outcome((await downloadResult(t, (await update(false)).details)).rows), [['UPDATED', '']]);
    assert.equal((await record(id!))?.Company, undefined);
  });

  // Four rows per job: a new Email (the row inserts, or on update finds nothing) and a stored one (the
  // row updates, or on insert clashes), each with the mandatory Last_Name empty and filled.
  const MANDATORY_CASES: Array<{ operation: string; ignoreEmpty: boolean; outcome: string[][] }> = [
    {
      operation: 'insert',
      ignoreEmpty: false,
      outcome: [
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['ADDED', ''],
        // Every problem of the row at once (issue 16.4; Zoho's download-result example).
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name:DUPLICATE_DATA-Email'],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ],
    },
    {
      operation: 'insert',
      ignoreEmpty: true,
      outcome: [
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['ADDED', ''],
        // Every problem of the row at once (issue 16.4; Zoho's download-result example).
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name:DUPLICATE_DATA-Email'],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ],
    },
    {
      operation: 'update',
      ignoreEmpty: false,
      outcome: [
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['SKIPPED', 'RESOURCE_NOT_FOUND-Email'],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['UPDATED', ''],
      ],
    },
    {
      operation: 'update',
      ignoreEmpty: true,
      outcome: [
        ['SKIPPED', 'RESOURCE_NOT_FOUND-Email'],
        ['SKIPPED', 'RESOURCE_NOT_FOUND-Email'],
        ['UPDATED', ''],
        ['UPDATED', ''],
      ],
    },
    {
      operation: 'upsert',
      ignoreEmpty: false,
      outcome: [
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['ADDED', ''],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['UPDATED', ''],
      ],
    },
    {
      operation: 'upsert',
      ignoreEmpty: true,
      outcome: [
        // The row would insert: a mandatory field is mandatory for the insert half of an upsert.
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['ADDED', ''],
        ['UPDATED', ''],
        ['UPDATED', ''],
      ],
    },
  ];
  for (const { operation, ignoreEmpty, outcome: expected } of MANDATORY_CASES) {
    it(`on ${operation} with ignore_empty ${ignoreEmpty}, needs a mandatory cell to insert, and to update unless ignore_empty leaves the field alone`, async () => {
      const email = (n: number) => `${operation}-${ignoreEmpty}-${n}@mandatory.test`;
      const [stored3, stored4] = await insertLeads([`Kept,${email(3)},Old`, `Kept,${email(4)},Old`]);
      const csv = ['Last_Name,Email,Company', `,${email(1)},New`, `Filled,${email(2)},New`];
      csv.push(`,${email(3)},New`, `Filled,${email(4)},New`);
      const { details } = await runJob(
        t,
        csv.join('\n'),
        { ignore_empty: ignoreEmpty, ...(operation === 'insert' ? {} : { find_by: 'Email' }) },
        { operation },
      );
      const rows = (await downloadResult(t, details)).rows;
      assert.deepEqual(outcome(rows), expected);
      // No record was made for a row that was skipped or found nothing.
      const byEmail = await t.server.storage.records.idsByKey(t.creds.org_id, 'Leads', 'Email', [email(1), email(2)]);
      assert.deepEqual([...byEmail.keys()], rows[1]!.STATUS === 'ADDED' ? [email(2)] : []);
      if (rows[1]!.STATUS === 'ADDED') assert.equal((await record(rows[1]!.RECORD_ID!))?.Last_Name, 'Filled');
      // A stored record keeps its Last_Name unless a row gave it a new one.
      const updated = (row: number) => rows[row]!.STATUS === 'UPDATED';
      const nameAndCompany = async (id: string) => {
        const data = await record(id);
        return [data?.Last_Name, data?.Company];
      };
      assert.deepEqual(await nameAndCompany(stored3!), ['Kept', updated(2) ? 'New' : 'Old']);
      assert.deepEqual(await nameAndCompany(stored4!), updated(3) ? ['Filled', 'New'] : ['Kept', 'Old']);
    });
  }

  it('stores the Layout given by default_value on every record, and reads it back as {name, id}', async () => {
    const layoutId = '4150868000000092175';
    const { details } = await runJob(t, 'Last_Name\nLaid Out\n', {
      field_mappings: [
        { api_name: 'Last_Name', index: 0 },
        { api_name: 'Layout', default_value: { value: layoutId } },
      ],
    });
    const [row] = (await downloadResult(t, details)).rows;
    assert.equal(row!.STATUS, 'ADDED');
    assert.equal((await record(row!.RECORD_ID!))?.Layout, layoutId);
    const res = await fetch(`${t.url}/crm/v2.1/Leads/${row!.RECORD_ID}`, {
      headers: { authorization: `Zoho-oauthtoken ${t.creds.access_token}` },
    });
    const body = (await res.json()) as { data: Array<Record<string, unknown>> };
    assert.deepEqual(body.data[0]!.Layout, { name: 'Standard', id: layoutId });
  });
});
