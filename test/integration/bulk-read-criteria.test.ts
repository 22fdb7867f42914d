// The criteria table: every comparator on every field type it applies to, each run as a real bulk read
// job over records a bulk write job wrote, and its page compared with a filter written here, over the
// rows as written (docs/bulk-read.md#criteria says what each comparator means). Comparators a type does
// not take are refused before anything is queued.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadResult, runJob } from '../helpers/api.js';
import { createReadJob, runReadJob } from '../helpers/bulk-read.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SCHEMA = {
  fields: {
    Leads: [
      { api_name: 'C_Date', data_type: 'date' },
      { api_name: 'C_DateTime', data_type: 'datetime' },
      { api_name: 'C_Big', data_type: 'bigint' },
      { api_name: 'C_Decimal', data_type: 'decimal' },
      { api_name: 'C_Percent', data_type: 'percent' },
      { api_name: 'C_Multi', data_type: 'multiselectpicklist', pick_list_values: ['Red', 'Green', 'Blue'] },
      { api_name: 'C_Account', data_type: 'lookup', lookup_module: 'Accounts' },
    ],
  },
};

type Kind = 'text' | 'number' | 'date' | 'datetime' | 'boolean' | 'id' | 'multi';
const ALL = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'less_than',
  'less_equal',
  'greater_than',
  'greater_equal',
  'between',
  'not_between',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
];
/** The comparators each kind of field takes, as docs/bulk-read.md lists them. */
const TAKES: Record<Kind, string[]> = {
  text: ['equal', 'not_equal', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with'],
  number: [
    'equal',
    'not_equal',
    'in',
    'not_in',
    'less_than',
    'less_equal',
    'greater_than',
    'greater_equal',
    'between',
    'not_between',
  ],
  date: ['equal', 'not_equal', 'less_than', 'less_equal', 'greater_than', 'greater_equal', 'between', 'not_between'],
  datetime: [
    'equal',
    'not_equal',
    'less_than',
    'less_equal',
    'greater_than',
    'greater_equal',
    'between',
    'not_between',
  ],
  boolean: ['equal', 'not_equal'],
  id: ['equal', 'not_equal', 'in', 'not_in'],
  multi: ['equal', 'not_equal', 'in', 'not_in', 'contains', 'not_contains'],
};

/** Field → its kind, its Zoho type (for the table's names) and its cell in row i ('' when empty). */
const FIELDS: Array<{ name: string; type: string; kind: Kind; cell: (i: number, accounts: string[]) => string }> = [
  { name: 'Last_Name', type: 'text', kind: 'text', cell: (i) => `${['Alpha', 'beta', 'Gamma'][i % 3]} ${i}` },
  {
    name: 'Email',
    type: 'email',
    kind: 'text',
    cell: (i) => (i % 7 === 0 ? '' : `person${i}@${i % 2 ? 'odd' : 'even'}.test`),
  },
  {
    name: 'Phone',
    type: 'phone',
    kind: 'text',
    cell: (i) => (i % 6 === 0 ? '' : `+1 555 01${String(i).padStart(2, '0')}`),
  },
  { name: 'Website', type: 'website', kind: 'text', cell: (i) => (i % 5 === 0 ? '' : `www.site${i % 4}.test`) },
  {
    name: 'Lead_Source',
    type: 'picklist',
    kind: 'text',
    cell: (i) => ['', 'Cold Call', 'Web Download', 'Chat'][i % 4]!,
  },
  { name: 'No_of_Employees', type: 'integer', kind: 'number', cell: (i) => (i % 8 === 0 ? '' : String((i * 37) % 50)) },
  {
    name: 'C_Big',
    type: 'bigint',
    kind: 'number',
    cell: (i) => (i % 9 === 0 ? '' : String(9_000_000_000 + ((i * 13) % 20))),
  },
  {
    name: 'C_Decimal',
    type: 'decimal',
    kind: 'number',
    cell: (i) => (i % 7 === 3 ? '' : (((i * 7) % 25) / 4).toFixed(2)),
  },
  {
    name: 'Annual_Revenue',
    type: 'currency',
    kind: 'number',
    cell: (i) => (i % 5 === 1 ? '' : String(1000 + ((i * 11) % 30) * 250)),
  },
  { name: 'C_Percent', type: 'percent', kind: 'number', cell: (i) => (i % 6 === 2 ? '' : String((i * 17) % 101)) },
  { name: 'C_Date', type: 'date', kind: 'date', cell: (i) => (i % 7 === 5 ? '' : `2024-0${1 + (i % 9)}-1${i % 10}`) },
  {
    name: 'C_DateTime',
    type: 'datetime',
    kind: 'datetime',
    cell: (i) =>
      i % 8 === 4 ? '' : `2024-03-1${i % 10}T${String(i % 24).padStart(2, '0')}:30:00${i % 2 ? '+05:30' : '+00:00'}`,
  },
  {
    name: 'Email_Opt_Out',
    type: 'boolean',
    kind: 'boolean',
    cell: (i) => (i % 3 === 0 ? '' : i % 3 === 1 ? 'true' : 'false'),
  },
  {
    name: 'C_Multi',
    type: 'multiselectpicklist',
    kind: 'multi',
    cell: (i) => ['', 'Red', 'Green;Blue', 'Blue;Red', 'Red;Green;Blue'][i % 5]!,
  },
  { name: 'C_Account', type: 'lookup', kind: 'id', cell: (i, a) => (i % 4 === 0 ? '' : a[i % 2]!) },
];
const ROWS = 30;

/** What a written cell holds, in a form the filter compares. */
const lower = (s: string) => s.toLowerCase();
const instant = (s: string) => Math.floor(new Date(s).getTime() / 1000);

/** The filter under test's contract, written independently: does a written cell match the condition? */
function expected(kind: Kind, comparator: string, cell: string, value: unknown): boolean {
  const negative: Record<string, string> = {
    not_equal: 'equal',
    not_in: 'in',
    not_between: 'between',
    not_contains: 'contains',
  };
  if (negative[comparator]) return !expected(kind, negative[comparator]!, cell, value);
  const list = (Array.isArray(value) ? value : [value]) as Array<string | number | boolean>;
  if (kind === 'boolean') return (cell === 'true') === (value === true || value === 'true');
  if (kind === 'multi') {
    const have = cell === '' ? [] : cell.split(';').map(lower);
    const want = list.map((v) => lower(String(v)));
    if (comparator === 'equal')
      return have.length > 0 && have.length === want.length && want.every((w) => have.includes(w));
    if (comparator === 'in') return have.some((h) => want.includes(h));
    return have.some((h) => h.includes(want[0]!));
  }
  if (cell === '') return false;
  const num = (v: unknown) => (kind === 'number' ? Number(v) : kind === 'datetime' ? instant(String(v)) : String(v));
  if (kind === 'text') {
    const c = lower(cell);
    const v = list.map((x) => lower(String(x)));
    if (comparator === 'equal') return c === v[0];
    if (comparator === 'in') return v.includes(c);
    if (comparator === 'contains') return c.includes(v[0]!);
    if (comparator === 'starts_with') return c.startsWith(v[0]!);
    return c.endsWith(v[0]!);
  }
  if (kind === 'id') return list.map(String).includes(cell);
  const c = num(cell);
  const v = list.map(num);
  switch (comparator) {
    case 'equal':
      return c === v[0];
    case 'in':
      return v.includes(c);
    case 'less_than':
      return c < v[0]!;
    case 'less_equal':
      return c <= v[0]!;
    case 'greater_than':
      return c > v[0]!;
    case 'greater_equal':
      return c >= v[0]!;
    default:
      return c >= v[0]! && c <= v[1]!;
  }
}

/** A criteria value for the comparator, taken from the written rows so that some match and some do not. */
function valueFor(kind: Kind, comparator: string, cells: string[]): unknown {
  const filled = cells.filter((c) => c !== '');
  const pick = (n: number) => filled[n % filled.length]!;
  const typed = (c: string): unknown => (kind === 'number' ? Number(c) : c);
  if (kind === 'boolean') return comparator === 'equal';
  if (kind === 'multi') {
    if (comparator === 'contains' || comparator === 'not_contains') return 'gre';
    if (comparator === 'equal' || comparator === 'not_equal') return ['Blue', 'red'];
    return ['Green', 'Purple'];
  }
  if (comparator === 'in' || comparator === 'not_in') return [typed(pick(3)), typed(pick(7))];
  if (comparator === 'between' || comparator === 'not_between') {
    const ends = [pick(2), pick(9)].sort((a, b) =>
      kind === 'number' ? Number(a) - Number(b) : kind === 'datetime' ? instant(a) - instant(b) : a.localeCompare(b),
    );
    return ends.map(typed);
  }
  if (kind === 'text' && comparator !== 'equal') {
    const word = pick(4);
    if (comparator === 'starts_with') return word.slice(0, 3).toUpperCase();
    if (comparator === 'ends_with') return word.slice(-2);
    return word.slice(2, 5);
  }
  return typed(pick(5));
}

describe('bulk read criteria: every comparator on every field type, against an independent filter', () => {
  let t: TestServer;
  let dir: string;
  const written: Array<{ id: string; cells: Record<string, string> }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-criteria-'));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    t = await startTestServer({ schemaFile: join(dir, 'schema.json') });
    const accounts = await runJob(t, 'Account_Name\nInitech\nGlobex\n', { module: { api_name: 'Accounts' } });
    const accountIds = (await downloadResult(t, accounts.details)).rows.map((r) => r.RECORD_ID!);
    const quote = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const rows = Array.from({ length: ROWS }, (_, i) =>
      Object.fromEntries(FIELDS.map((f) => [f.name, f.cell(i, accountIds)])),
    );
    const csv = [
      FIELDS.map((f) => f.name).join(','),
      ...rows.map((r) => FIELDS.map((f) => quote(r[f.name]!)).join(',')),
    ].join('\n');
    const leads = await runJob(t, csv, { module: { api_name: 'Leads' } });
    const result = await downloadResult(t, leads.details);
    result.rows.forEach((r, i) => {
      assert.equal(r.STATUS, 'ADDED', `row ${i + 1}: ${r.ERRORS}`);
      written.push({ id: r.RECORD_ID!, cells: rows[i]! });
    });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const field of FIELDS) {
    it(`${field.type} (${field.name}): ${TAKES[field.kind].join(', ')}`, async () => {
      const cells = written.map((w) => w.cells[field.name]!);
      let nonTrivial = 0;
      for (const comparator of TAKES[field.kind]) {
        const value = valueFor(field.kind, comparator, cells);
        const criteria = { api_name: field.name, comparator, value };
        const want = written
          .filter((w) => expected(field.kind, comparator, w.cells[field.name]!, value))
          .map((w) => w.id);
        const page = await runReadJob(t, { query: { module: { api_name: 'Leads' }, fields: [field.name], criteria } });
        assert.deepEqual(
          page.rows.map((r) => r.Id),
          want.sort(),
          `${field.name} ${comparator} ${JSON.stringify(value)}`,
        );
        if (want.length > 0 && want.length < ROWS) nonTrivial++;
      }
      assert.ok(nonTrivial >= TAKES[field.kind].length - 1, `${field.name}: the values chosen split the records`);
    });
  }

  it('refuses each comparator a type does not take, and queues nothing', async () => {
    const before = (await t.server.storage.jobs.list(t.server.org.id, 1000)).length;
    for (const field of FIELDS) {
      for (const comparator of ALL.filter((c) => !TAKES[field.kind].includes(c))) {
        const res = await createReadJob(t, {
          query: { module: { api_name: 'Leads' }, criteria: { api_name: field.name, comparator, value: 'x' } },
        });
        assert.equal(res.body.code, 'FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED', `${field.name} ${comparator}`);
        assert.deepEqual(
          [...(res.body.details as { supported: string[] }).supported].sort(),
          [...TAKES[field.kind]].sort(),
          field.name,
        );
      }
    }
    assert.equal((await t.server.storage.jobs.list(t.server.org.id, 1000)).length, before);
  });
});
