import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { findModule, mandatoryFields } from '../../src/domain/modules.js';
import type { RecordValue } from '../../src/domain/types.js';
import { downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** An expected outcome: the stored value, or the row error code for the column. */
type Expect = { stored: RecordValue } | { error: 'INVALID_DATA' };
const stored = (v: RecordValue): Expect => ({ stored: v });
const invalid: Expect = { error: 'INVALID_DATA' };

interface TypeCase {
  type: string;
  module: string;
  field: string;
  mapping?: Record<string, unknown>;
  rows: Array<[string, Expect | ((ctx: Ctx) => Expect)]>;
}
interface Ctx {
  accountId: string;
  userId: string;
  userEmail: string;
}

const CASES: TypeCase[] = [
  {
    type: 'text (length 200)',
    module: 'Leads',
    field: 'Company',
    rows: [
      ['Acme', stored('Acme')],
      ['  Padded  ', stored('Padded')],
      ['x'.repeat(200), stored('x'.repeat(200))],
      ['x'.repeat(201), invalid],
    ],
  },
  {
    type: 'textarea (length 32000, kept as written)',
    module: 'Leads',
    field: 'Description',
    rows: [
      [' two\nlines ', stored(' two\nlines ')],
      ['y'.repeat(32001), invalid],
    ],
  },
  {
    type: 'email',
    module: 'Leads',
    field: 'Secondary_Email',
    rows: [
      ['ann@example.com', stored('ann@example.com')],
      ['not-an-email', invalid],
      ['a b@example.com', invalid],
      [`${'a'.repeat(95)}@x.com`, invalid],
    ],
  },
  {
    type: 'phone (length 30)',
    module: 'Leads',
    field: 'Phone',
    rows: [
      ['+1 (555) 010-0199', stored('+1 (555) 010-0199')],
      ['call me', invalid],
      ['1'.repeat(31), invalid],
    ],
  },
  {
    type: 'website',
    module: 'Leads',
    field: 'Website',
    rows: [
      ['www.example.com', stored('www.example.com')],
      ['https://example.com/path?q=1', stored('https://example.com/path?q=1')],
      ['not a site', invalid],
    ],
  },
  {
    type: 'integer (at most 9 digits: Kaizen #103, Zoho field metadata `length` 9)',
    module: 'Leads',
    field: 'No_of_Employees',
    rows: [
      ['42', stored(42)],
      ['-7', stored(-7)],
      ['999999999', stored(999999999)],
      ['1000000000', invalid],
      ['2147483648', invalid],
      ['4.5', invalid],
    ],
  },
  {
    type: 'bigint (up to 18 digits, kept exact as a string)',
    module: 'Campaigns',
    field: 'Num_sent',
    rows: [
      ['9007199254740993', stored('9007199254740993')],
      ['+12', stored('12')],
      ['999999999999999999', stored('999999999999999999')],
      ['1234567890123456789', invalid],
      ['12e3', invalid],
    ],
  },
  {
    type: 'decimal',
    module: 'Products',
    field: 'Qty_in_Stock',
    rows: [
      ['12.5', stored(12.5)],
      ['1,234.75', stored(1234.75)],
      ['.5', stored(0.5)],
      ['1.234,56', invalid],
      ['12.345', invalid],
      ['12345678901234567890', invalid],
      ['abc', invalid],
    ],
  },
  {
    type: 'currency',
    module: 'Leads',
    field: 'Annual_Revenue',
    rows: [
      ['1000.50', stored(1000.5)],
      ['-3', stored(-3)],
      ['1234.5678', stored(1234.57)],
      ['1.234,56', invalid],
      ['ten', invalid],
    ],
  },
  {
    type: 'percent (0 to 100)',
    module: 'Deals',
    field: 'Probability',
    rows: [
      ['55', stored(55)],
      ['12.5', stored(12.5)],
      ['101', invalid],
      ['-1', invalid],
    ],
  },
  {
    type: 'boolean',
    module: 'Leads',
    field: 'Email_Opt_Out',
    rows: [
      ['TRUE', stored(true)],
      ['yes', stored(true)],
      ['0', stored(false)],
      ['false', stored(false)],
      ['maybe', invalid],
    ],
  },
  {
    type: 'date (default MM/dd/yyyy, and ISO)',
    module: 'Contacts',
    field: 'Date_of_Birth',
    rows: [
      ['12/31/1990', stored('1990-12-31')],
      ['1991-02-03', stored('1991-02-03')],
      ['02/30/1990', invalid],
      ['31/12/1990', invalid],
    ],
  },
  {
    type: 'date with a Java-style format',
    module: 'Campaigns',
    field: 'Start_Date',
    mapping: { format: 'dd.MM.yyyy' },
    rows: [
      ['31.12.2024', stored('2024-12-31')],
      ['12/31/2024', invalid],
    ],
  },
  {
    type: 'picklist (an unknown value is added, as Zoho does)',
    module: 'Leads',
    field: 'Lead_Status',
    rows: [
      ['Contacted', stored('Contacted')],
      ['Brand New Status', stored('Brand New Status')],
    ],
  },
  {
    type: 'multi-select picklist (;-separated)',
    module: 'Products',
    field: 'Tax',
    rows: [
      ['Vat; Sales Tax', stored(['Vat', 'Sales Tax'])],
      ['New Tax', stored(['New Tax'])],
      ['Vat;;', stored(['Vat'])],
    ],
  },
  {
    type: 'lookup by id',
    module: 'Contacts',
    field: 'Account_Name',
    rows: [
      ['ACCOUNT', (c) => stored(c.accountId)],
      ['1000000000000000001', invalid],
      ['not-an-id', invalid],
    ],
  },
  {
    type: 'lookup by a unique field of the target (find_by)',
    module: 'Deals',
    field: 'Account_Name',
    mapping: { find_by: 'Account_Name' },
    rows: [
      ['  types corp ', (c) => stored(c.accountId)],
      ['No Such Account', invalid],
    ],
  },
  {
    type: 'owner lookup by user id or email',
    module: 'Leads',
    field: 'Owner',
    rows: [
      ['USER_ID', (c) => stored(c.userId)],
      ['USER_EMAIL', (c) => stored(c.userId)],
      ['nobody@example.com', invalid],
      ['1000000000000000001', invalid],
    ],
  },
  {
    type: 'user lookup (Products Handler) by email',
    module: 'Products',
    field: 'Handler',
    rows: [
      ['USER_EMAIL', (c) => stored(c.userId)],
      ['someone', invalid],
    ],
  },
];

describe('every field type, through real jobs: the result row and the stored value', () => {
  let t: TestServer;
  let ctx: Ctx;

  before(async () => {
    t = await startTestServer({ batchSize: 4 });
    const { details } = await runJob(t, 'Account_Name\nTypes Corp\n', { module: { api_name: 'Accounts' } });
    const org = (await t.server.storage.orgs.get(t.creds.org_id))!;
    ctx = {
      accountId: (await downloadResult(t, details)).rows[0]!.RECORD_ID!,
      userId: org.user.id,
      userEmail: org.user.email,
    };
  });
  after(() => t.close());

  /** Inserts one record per row with only the mandatory fields, for the update and upsert runs. */
  const seed = async (
    module: string,
    fill: Array<{ apiName: string; type: string; picklist?: string[] }>,
    n: number,
  ) => {
    const header = fill.map((f) => f.apiName);
    const rows = Array.from({ length: n }, (_, i) =>
      fill.map((f) => (f.type === 'picklist' ? f.picklist![0]! : `seed ${i}`)),
    );
    const csv = Papa.unparse([header, ...rows], { newline: '\n' }) + '\n';
    const { details } = await runJob(t, csv, { module: { api_name: module } });
    return (await downloadResult(t, details)).rows.map((r) => r.RECORD_ID!);
  };

  for (const operation of ['insert', 'update', 'upsert'] as const) {
    for (const c of CASES) {
      it(`${operation}: validates and normalises ${c.type}: ${c.module}.${c.field}`, async () => {
        const module = findModule({ apiName: c.module })!;
        const fill = mandatoryFields(module).filter((f) => f.apiName !== c.field);
        const cell = (raw: string) =>
          raw === 'ACCOUNT'
            ? ctx.accountId
            : raw === 'USER_ID'
              ? ctx.userId
              : raw === 'USER_EMAIL'
                ? ctx.userEmail
                : raw;
        // Update and upsert match existing records by id and write only the field under test.
        const ids = operation === 'insert' ? [] : await seed(c.module, fill, c.rows.length);
        // Upsert may insert, so it maps the mandatory fields as insert does.
        const cols = operation === 'update' ? [] : fill;
        const rows = c.rows.map(([raw], i) => [
          ...(operation === 'insert' ? [] : [ids[i]!]),
          ...cols.map((f) => (f.type === 'picklist' ? f.picklist![0]! : `${c.field} row ${i}`)),
          cell(raw),
        ]);
        const header = [...(operation === 'insert' ? [] : ['id']), ...cols.map((f) => f.apiName), c.field];
        const csv = Papa.unparse([header, ...rows], { newline: '\n' }) + '\n';
        const { details } = await runJob(
          t,
          csv,
          {
            module: { api_name: c.module },
            ...(operation === 'insert' ? {} : { find_by: 'id' }),
            field_mappings: header.map((api_name, index) =>
              api_name === c.field ? { api_name, index, ...c.mapping } : { api_name, index },
            ),
          },
          { operation },
        );
        const result = (await downloadResult(t, details)).rows;
        for (const [i, [raw, expectOrFn]] of c.rows.entries()) {
          const expected = typeof expectOrFn === 'function' ? expectOrFn(ctx) : expectOrFn;
          const row = result[i]!;
          const label = `${operation} ${c.field} ${JSON.stringify(raw.slice(0, 40))}`;
          if ('error' in expected) {
            assert.deepEqual(
              [row.STATUS, row.RECORD_ID, row.ERRORS],
              ['SKIPPED', '', `INVALID_DATA-${c.field}`],
              label,
            );
            continue;
          }
          assert.deepEqual([row.STATUS, row.ERRORS], [operation === 'insert' ? 'ADDED' : 'UPDATED', ''], label);
          assert.equal(row.RECORD_ID, operation === 'insert' ? row.RECORD_ID : ids[i], label);
          assert.match(row.RECORD_ID!, /^\d{19}$/, label);
          const record = await t.server.storage.records.get(t.creds.org_id, c.module, row.RECORD_ID!);
          assert.deepEqual(record?.data[c.field], expected.stored, label);
        }
      });
    }
  }
});
