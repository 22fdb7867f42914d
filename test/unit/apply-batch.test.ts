import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowPlan } from '../../src/domain/row-plan.js';
import type { FieldMapping, Operation, Org } from '../../src/domain/types.js';
import { applyBatch, type BatchOutcome, type UserCache } from '../../src/jobs/apply-batch.js';
import { IdAllocator } from '../../src/jobs/id-allocator.js';
import { IdSet } from '../../src/jobs/id-set.js';
import { openJobStore, type JobStore } from '../helpers/job-store.js';
import { fieldMapping, planOf } from '../helpers/row-plans.js';

/** A plan whose mappings read the columns in order; a column is a field, or a field and more of its mapping. */
const planOn = (
  operation: Operation,
  module: string,
  columns: Array<string | [string, Partial<FieldMapping>]>,
  opts: { findBy?: string; ignoreEmpty?: boolean } = {},
) =>
  planOf(
    operation,
    module,
    columns.map((c, i) => (typeof c === 'string' ? fieldMapping(c, i) : fieldMapping(c[0], i, c[1]))),
    { ignoreEmpty: false, ...opts },
  );

/** Each row's STATUS and ERRORS, as the result CSV shows them. */
const outcomeOf = (o: BatchOutcome) => o.results.map((r) => [r.status, r.errors ?? '']);
const batchOf = (...rows: string[][]) => rows.map((cells, i) => ({ rowNo: i + 1, cells }));

describe('applyBatch', () => {
  let s: JobStore;
  let org: Org;
  let ids: IdAllocator;
  let users: UserCache;
  /** Stored Leads by name (kept@, other@), and a stored Account. */
  const stored: Record<string, string> = {};
  const apply = (plan: RowPlan, rows: string[][], matched: IdSet | null = null) =>
    applyBatch(s.storage, org, plan, batchOf(...rows), ids, users, matched);

  before(async () => {
    s = await openJobStore();
    org = await s.newOrg();
    ids = new IdAllocator(s.storage);
    const [kept, other] = await s.insertRecords(
      org,
      'Leads',
      'Last_Name,Email,Company\nKept,kept@apply.test,Old\nOther,other@apply.test,Old',
    );
    const [account] = await s.insertRecords(org, 'Accounts', 'Account_Name\nApply Ltd');
    Object.assign(stored, { kept, other, account });
  });
  after(() => s.close());
  // Each test starts with no users resolved yet.
  const freshUsers = () => (users = new Map());

  it('inserts each good row under a fresh id, owned by the org user, and writes nothing itself', async () => {
    freshUsers();
    const plan = planOn('insert', 'Leads', ['Last_Name', 'Email', 'Company']);
    const outcome = await apply(plan, [
      ['Ada', 'ada@apply.test', ''],
      ['', 'nolast@apply.test', 'X'],
    ]);
    assert.deepEqual(outcomeOf(outcome), [
      ['ADDED', ''],
      ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
    ]);
    assert.deepEqual([outcome.added, outcome.updated, outcome.skipped], [1, 0, 1]);
    const [insert] = outcome.inserts;
    assert.equal(insert!.id, outcome.results[0]!.recordId);
    // An empty cell is not stored on insert.
    assert.deepEqual(insert!.data, { Last_Name: 'Ada', Email: 'ada@apply.test', Owner: org.user.id });
    assert.deepEqual(insert!.keys, [['Email', 'ada@apply.test']]);
    assert.equal(await s.storage.records.get(org.id, 'Leads', insert!.id), undefined);
  });

  it('names every problem of a row at once: a row with other errors is still checked for duplicates (issue 16.4)', async () => {
    freshUsers();
    // Zoho's download-result page: "MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email" (Company is
    // layout-mandatory there; here Last_Name is the one mandatory field of Leads).
    const plan = planOn('insert', 'Leads', ['Company', 'Last_Name', 'Email', 'No_of_Employees']);
    const outcome = await apply(plan, [
      ['', '', 'kept@apply.test', ''],
      ['Co', 'First', 'fresh@apply.test', ''],
      ['Co', 'Second', 'FRESH@apply.test', 'ten'],
      ['Co', '', 'third@apply.test', 'ten'],
    ]);
    assert.deepEqual(outcomeOf(outcome), [
      ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name:DUPLICATE_DATA-Email'],
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-No_of_Employees:DUPLICATE_DATA-Email'],
      ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-No_of_Employees'],
    ]);
    // A skipped row claims no key: only the added row's Email is written.
    assert.deepEqual(
      outcome.inserts.map((i) => i.keys),
      [[['Email', 'fresh@apply.test']]],
    );
  });

  it('refuses on insert a unique value that a stored record or an earlier row of the batch holds', async () => {
    freshUsers();
    const plan = planOn('insert', 'Leads', ['Last_Name', 'Email']);
    const outcome = await apply(plan, [
      ['A', 'KEPT@apply.test'],
      ['B', 'b@apply.test'],
      ['C', ' B@Apply.test '],
    ]);
    assert.deepEqual(outcomeOf(outcome), [
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
      ['ADDED', ''],
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
    ]);
  });

  it('refuses on insert a row whose find_by value matches a stored record', async () => {
    freshUsers();
    const plan = planOn('insert', 'Leads', ['Last_Name', 'Email'], { findBy: 'Email' });
    assert.deepEqual(outcomeOf(await apply(plan, [['A', 'kept@apply.test']])), [['SKIPPED', 'DUPLICATE_DATA-Email']]);
  });

  it('updates by id: merges the row into the record, clears an empty field, and lets the first row of an id win', async () => {
    freshUsers();
    const plan = planOn('update', 'Leads', ['id', 'Company', 'Email'], { findBy: 'id' });
    const matched = new IdSet();
    matched.add(stored.other!);
    const outcome = await apply(
      plan,
      [
        [stored.kept!, 'New Co', ''],
        [stored.kept!, 'Again', 'x@apply.test'],
        ['4150868000009999999', 'Nobody', ''],
        [stored.other!, 'Earlier batch', ''],
      ],
      matched,
    );
    assert.deepEqual(outcomeOf(outcome), [
      ['UPDATED', ''],
      ['SKIPPED', 'DUPLICATE_DATA-id'],
      ['SKIPPED', 'RESOURCE_NOT_FOUND-id'],
      ['SKIPPED', 'DUPLICATE_DATA-id'],
    ]);
    assert.equal(outcome.results[0]!.recordId, stored.kept);
    const [update] = outcome.updates;
    assert.equal(update!.id, stored.kept);
    assert.deepEqual(update!.data, { Last_Name: 'Kept', Company: 'New Co', Owner: org.user.id });
    assert.deepEqual([update!.removeKeys, update!.addKeys], [[['Email', 'kept@apply.test']], []]);
    assert.ok(matched.has(stored.kept!));
  });

  it('upserts by a unique field: a stored match updates, a new value inserts, an insert needs the mandatory fields', async () => {
    freshUsers();
    const plan = planOn('upsert', 'Leads', ['Last_Name', 'Email', 'Company'], { findBy: 'Email', ignoreEmpty: true });
    const outcome = await apply(
      plan,
      [
        ['', 'KEPT@apply.test', 'Kept Co'],
        ['New', 'new@apply.test', ''],
        ['', 'new2@apply.test', 'No Name Co'],
        ['Again', 'new@apply.test', ''],
      ],
      new IdSet(),
    );
    assert.deepEqual(outcomeOf(outcome), [
      ['UPDATED', ''],
      ['ADDED', ''],
      ['SKIPPED', 'MANDATORY_NOT_FOUND-Last_Name'],
      ['SKIPPED', 'DUPLICATE_DATA-Email'],
    ]);
    assert.equal(outcome.results[0]!.recordId, stored.kept);
    // ignore_empty leaves the stored Last_Name alone on the update half.
    assert.equal(outcome.updates[0]!.data.Last_Name, 'Kept');
    assert.equal(outcome.updates[0]!.data.Company, 'Kept Co');
    assert.deepEqual(
      outcome.inserts.map((i) => i.data.Email),
      ['new@apply.test'],
    );
  });

  it('lets a later row of the batch take a unique value an earlier row moved off its record', async () => {
    freshUsers();
    const update = planOn('update', 'Leads', ['id', 'Email'], { findBy: 'id' });
    const moved = await apply(update, [
      [stored.other!, 'moved@apply.test'],
      [stored.kept!, 'other@apply.test'],
    ]);
    assert.deepEqual(outcomeOf(moved), [
      ['UPDATED', ''],
      ['UPDATED', ''],
    ]);
    const keysOf = (id: string) => moved.updates.find((u) => u.id === id)!;
    assert.deepEqual(keysOf(stored.other!).addKeys, [['Email', 'moved@apply.test']]);
    assert.deepEqual(keysOf(stored.kept!).addKeys, [['Email', 'other@apply.test']]);
    assert.deepEqual(keysOf(stored.kept!).removeKeys, [['Email', 'kept@apply.test']]);
  });

  it('resolves lookups and owners against stored records and the org users, and remembers each owner it looked up', async () => {
    freshUsers();
    const plan = planOn('insert', 'Contacts', ['Last_Name', 'Account_Name', ['Owner', { findBy: 'email' }]]);
    const outcome = await apply(plan, [
      ['Ada', stored.account!, org.user.email],
      ['Bob', '4150868000009999999', org.user.email],
      ['Cy', stored.account!, 'stranger@apply.test'],
    ]);
    assert.deepEqual(outcomeOf(outcome), [
      ['ADDED', ''],
      ['SKIPPED', 'INVALID_DATA-Account_Name'],
      ['SKIPPED', 'INVALID_DATA-Owner'],
    ]);
    assert.deepEqual(outcome.inserts[0]!.data, { Last_Name: 'Ada', Account_Name: stored.account, Owner: org.user.id });
    assert.deepEqual(
      [...users],
      [
        [org.user.email, org.user.id],
        ['stranger@apply.test', null],
      ],
    );
  });
});
