import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Org } from '../../src/domain/types.js';
import { openJobStore, type JobStore } from '../helpers/job-store.js';

type Json = Record<string, unknown>;
type Rows = Array<Record<string, string>>;

/** Records made before the job runs, by name: their ids, which the job's CSVs may name. */
type Seeds = Record<string, string>;

interface Scenario {
  what: string;
  batchSize: number;
  /** Runs whole jobs first: what the job under test finds stored. */
  seed(s: JobStore, org: Org): Promise<Seeds>;
  csvs(seeds: Seeds): Record<string, string>;
  body(fileId: string): Json;
  /** The modules the job writes, whose records are compared. */
  modules: string[];
  /** Each result CSV's STATUS and ERRORS, row by row. */
  outcome: Record<string, string[][]>;
  counts: { added: number; updated: number; skipped: number; total: number };
}

const leadsJob =
  (operation: string, resource: Json = {}) =>
  (fileId: string) => ({
    operation,
    resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId, ...resource }],
  });

const SCENARIOS: Scenario[] = [
  {
    what: 'an insert',
    batchSize: 2,
    seed: async () => ({}),
    csvs: () => ({
      'leads.csv': [
        'Last_Name,Email',
        'A,a@resume.test',
        'B,b@resume.test',
        ',c@resume.test',
        'D,A@resume.test',
        'E,e@resume.test',
        'F,e@Resume.test',
        'G,g@resume.test',
      ].join('\n'),
    }),
    body: leadsJob('insert'),
    modules: ['Leads'],
    outcome: {
      'Leads-leads.csv': [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
        ['ADDED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
        ['ADDED', ''],
      ],
    },
    counts: { added: 4, updated: 0, skipped: 3, total: 7 },
  },
  {
    what: 'an upsert by a unique field, with ignore_empty',
    batchSize: 2,
    seed: async (s, org) => {
      const [kept, other] = await s.insertRecords(
        org,
        'Leads',
        'Last_Name,Email\nKept,kept@resume.test\nOther,other@resume.test',
      );
      return { kept: kept!, other: other! };
    },
    csvs: () => ({
      'leads.csv': [
        'Last_Name,Email,Company',
        'New,new@resume.test,One',
        'Kept2,KEPT@resume.test,Two',
        'New again,New@resume.test,Three',
        'Kept again,kept@resume.test,Four',
        ',new2@resume.test,Five',
        ',other@resume.test,Six',
        'Third,third@resume.test,Seven',
      ].join('\n'),
    }),
    body: leadsJob('upsert', { find_by: 'Email', ignore_empty: true }),
    modules: ['Leads'],
    outcome: {
      'Leads-leads.csv': [
        ['ADDED', ''],
        ['UPDATED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
        ['SKIPPED', 'DUPLICATE_DATA-Email'],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
        ['UPDATED', ''],
        ['ADDED', ''],
      ],
    },
    counts: { added: 2, updated: 2, skipped: 3, total: 7 },
  },
  {
    what: 'an update by id',
    batchSize: 2,
    seed: async (s, org) => {
      const [a, b, c] = await s.insertRecords(org, 'Leads', 'Last_Name,Company\nA,Old\nB,Old\nC,Old');
      return { a: a!, b: b!, c: c! };
    },
    csvs: (seeds) => ({
      'leads.csv': [
        'id,Company',
        `${seeds.a},First`,
        `${seeds.b},Only`,
        `${seeds.a},Second`,
        '4150868000009999999,Nobody',
        ',Empty',
        `${seeds.c},Third`,
        `${seeds.b},Again`,
      ].join('\n'),
    }),
    body: leadsJob('update', {
      find_by: 'id',
      field_mappings: [
        { api_name: 'id', index: 0 },
        { api_name: 'Company', index: 1 },
      ],
    }),
    modules: ['Leads'],
    outcome: {
      'Leads-leads.csv': [
        ['UPDATED', ''],
        ['UPDATED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-id'],
        ['SKIPPED', 'RESOURCE_NOT_FOUND-id'],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-id'],
        ['UPDATED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-id'],
      ],
    },
    counts: { added: 0, updated: 3, skipped: 4, total: 7 },
  },
  {
    what: 'a parent and its children (quotes and their line items)',
    batchSize: 2,
    seed: async (s, org) => {
      const [account] = await s.insertRecords(org, 'Accounts', 'Account_Name\nResume Ltd');
      const [p0, p1] = await s.insertRecords(org, 'Products', 'Product_Name\nWidget\nGadget');
      return { account: account!, p0: p0!, p1: p1! };
    },
    csvs: (seeds) => ({
      'Quotes.csv': [
        'Quote_Ref,Subject,Account_Name',
        `Q-1,First,${seeds.account}`,
        `Q-2,,${seeds.account}`,
        `Q-3,Third,${seeds.account}`,
        `Q-1,First again,${seeds.account}`,
      ].join('\n'),
      'Quoted_Items.csv': [
        'Quote_Ref,Product,Qty',
        `Q-1,${seeds.p0},2`,
        `Q-2,${seeds.p1},1`,
        `Q-3,${seeds.p1},3`,
        `Q-9,${seeds.p0},1`,
        `Q-1,${seeds.p1},many`,
        `Q-3,${seeds.p0},4`,
      ].join('\n'),
    }),
    body: (fileId) => ({
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: { api_name: 'Quotes' },
          file_id: fileId,
          file_names: ['Quotes.csv'],
          field_mappings: [
            { api_name: 'Subject', index: 1 },
            { api_name: 'Account_Name', index: 2, find_by: 'id' },
          ],
        },
        {
          type: 'data',
          module: { api_name: 'Quoted_Items' },
          file_id: fileId,
          file_names: ['Quoted_Items.csv'],
          field_mappings: [
            { api_name: 'Parent_Id', index: 0, parent_column_index: 0 },
            { api_name: 'Product_Name', index: 1, find_by: 'id' },
            { api_name: 'Quantity', index: 2 },
          ],
        },
      ],
    }),
    modules: ['Quotes', 'Quoted_Items'],
    outcome: {
      'Quotes-Quotes.csv': [
        ['ADDED', ''],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Subject'],
        ['ADDED', ''],
        ['ADDED', ''],
      ],
      'Quoted_Items-Quoted_Items.csv': [
        ['ADDED', ''],
        ['SKIPPED', 'RESOURCE_NOT_FOUND-Parent_Id'],
        ['ADDED', ''],
        ['SKIPPED', 'RESOURCE_NOT_FOUND-Parent_Id'],
        ['SKIPPED', 'INVALID_DATA-Quantity'],
        ['ADDED', ''],
      ],
    },
    counts: { added: 6, updated: 0, skipped: 4, total: 10 },
  },
];

/**
 * What a finished job left, with record ids named for what made them (a seed, or the result row that
 * added the record), so that two runs in two orgs compare.
 */
interface Snapshot {
  status: string;
  counts: Json;
  resourceCounts: Json[] | null;
  results: Record<string, Rows>;
  records: Record<string, Json[]>;
}

async function snapshotOf(s: JobStore, org: Org, jobId: string, seeds: Seeds, modules: string[]): Promise<Snapshot> {
  const job = (await s.storage.jobs.get(org.id, jobId))!;
  const names = new Map<string, string>([[org.user.id, 'owner']]);
  for (const [name, id] of Object.entries(seeds)) names.set(id, `seed ${name}`);
  const csvs = await s.resultRows(job);
  for (const [csv, rows] of csvs) {
    rows.forEach((r, i) => {
      if (r.STATUS === 'ADDED') names.set(r.RECORD_ID!, `${csv} row ${i + 1}`);
    });
  }
  const named = (v: unknown): unknown => (typeof v === 'string' ? (names.get(v) ?? v) : v);
  const results: Record<string, Rows> = {};
  for (const [csv, rows] of csvs) {
    results[csv] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(named(v))])));
  }
  const records: Record<string, Json[]> = {};
  for (const module of modules) {
    const stored = await s.storage.records.list(org.id, module, 0, 1000);
    records[module] = stored
      .map((r) => ({
        id: named(r.id),
        ...Object.fromEntries(Object.entries(r.data).map(([k, v]) => [k, named(v)])),
      }))
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
  return {
    status: job.status,
    counts: { ...job.counts },
    resourceCounts: job.resourceCounts,
    results,
    records,
  };
}

describe('resuming a job after an interruption', () => {
  let s: JobStore;
  before(async () => {
    s = await openJobStore();
  });
  after(() => s.close());

  /** Runs the scenario's job in a fresh org, stopping it after chunk `stopAfter` (if any) and resuming it. */
  const run = async (c: Scenario, stopAfter: number | null): Promise<{ snapshot: Snapshot; chunks: number }> => {
    const org = await s.newOrg();
    const seeds = await c.seed(s, org);
    const file = await s.upload(org, c.csvs(seeds));
    const job = await s.createJob(org, c.body(file.id));
    let chunks = 0;
    const stopped = await s.process({
      batchSize: c.batchSize,
      onChunk: () => {
        if (++chunks === stopAfter) throw new Error(`stopped after chunk ${stopAfter}`);
      },
    });
    if (stopAfter !== null) {
      assert.match(String(stopped), /stopped after chunk/);
      const interrupted = (await s.storage.jobs.get(org.id, job.id))!;
      assert.equal(interrupted.status, 'INPROGRESS');
      // The resuming worker takes larger batches, as one restarted with another batch size would.
      assert.equal(await s.process({ batchSize: c.batchSize + 1 }), null);
    } else assert.equal(stopped, null);
    return { snapshot: await snapshotOf(s, org, job.id, seeds, c.modules), chunks };
  };

  for (const c of SCENARIOS) {
    it(`resumes ${c.what} from every checkpoint with the rows, counts, results and records of an uninterrupted run`, async () => {
      const whole = await run(c, null);
      const { snapshot } = whole;
      assert.equal(snapshot.status, 'COMPLETED');
      assert.deepEqual(snapshot.counts, c.counts);
      assert.deepEqual(
        Object.fromEntries(
          Object.entries(snapshot.results).map(([csv, rows]) => [csv, rows.map((r) => [r.STATUS, r.ERRORS])]),
        ),
        c.outcome,
      );
      for (let k = 1; k <= whole.chunks; k++) {
        const resumed = await run(c, k);
        assert.deepEqual(resumed.snapshot, snapshot, `stopped after chunk ${k} of ${whole.chunks}`);
      }
    });
  }
});
