import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModuleDef } from '../../src/domain/modules.js';
import { standardLayoutId } from '../../src/domain/layouts.js';
import { STANDARD_CATALOGUE } from '../../src/domain/org-schema.js';
import { formatErrors, lookupMatch, mapRow, type LookupMatch } from '../../src/domain/row-plan.js';
import type { Operation } from '../../src/domain/types.js';
import { fieldMapping as mapping, planOf } from '../helpers/row-plans.js';

const LEAD_COLUMNS = [mapping('Last_Name', 0), mapping('Email', 1), mapping('Company', 2)];
const leadPlan = (operation: Operation, ignoreEmpty: boolean) =>
  planOf(operation, 'Leads', LEAD_COLUMNS, { ignoreEmpty, ...(operation === 'insert' ? {} : { findBy: 'Email' }) });

describe('compileRowPlan', () => {
  it('makes a column of each mapping: its field, cell index, default value as text and date parser', () => {
    const plan = planOf('insert', 'Contacts', [
      mapping('Last_Name', 0),
      mapping('Date_of_Birth', 1, { format: 'dd.MM.yyyy' }),
      mapping('Lead_Source', null, { defaultValue: { value: 'Web' } }),
      mapping('Account_Name', 2, { findBy: 'Account_Name' }),
    ]);
    assert.equal(plan.module.apiName, 'Contacts');
    assert.deepEqual(
      plan.columns.map((c) => [c.field.apiName, c.index, c.defaultValue, c.findBy, c.targetModule?.apiName ?? null]),
      [
        ['Last_Name', 0, null, null, null],
        ['Date_of_Birth', 1, null, null, null],
        ['Lead_Source', null, 'Web', null, null],
        ['Account_Name', 2, null, 'Account_Name', 'Accounts'],
      ],
    );
    assert.equal(plan.columns[0]!.ctx.dateParser, null);
    assert.ok(plan.columns[1]!.ctx.dateParser!('31.12.1990'));
    assert.equal(plan.columns[1]!.ctx.offset, '+05:30');
  });

  it("takes the resource's ignore_empty over the job's, and the job's when the resource has none", () => {
    assert.equal(
      planOf('update', 'Leads', LEAD_COLUMNS, { ignoreEmpty: false, jobIgnoreEmpty: true }).ignoreEmpty,
      false,
    );
    assert.equal(
      planOf('update', 'Leads', LEAD_COLUMNS, { ignoreEmpty: null, jobIgnoreEmpty: true }).ignoreEmpty,
      true,
    );
  });

  it('finds the find_by column and the unique columns', () => {
    const plan = planOf('upsert', 'Leads', LEAD_COLUMNS, { findBy: 'Email' });
    assert.equal(plan.findByColumn?.field.apiName, 'Email');
    assert.deepEqual(
      plan.uniqueColumns.map((c) => c.field.apiName),
      ['Email'],
    );
    assert.equal(planOf('insert', 'Leads', LEAD_COLUMNS).findByColumn, null);
  });

  it("knows a multi-module lookup's column and the modules its $se_module may name", () => {
    const plan = planOf('insert', 'Tasks', [mapping('Subject', 0), mapping('What_Id', 1), mapping('$se_module', 2)]);
    assert.equal(plan.multiModuleColumn?.field.apiName, 'What_Id');
    assert.ok(plan.seModules.size > 0);
    assert.equal(plan.seModules.get('Accounts')?.apiName, 'Accounts');
  });

  it("gives the parent rows' keys to the child's link column only", () => {
    const parentIds = new Map([['Q-1', '111']]);
    const plan = planOf(
      'insert',
      'Quoted_Items',
      [mapping('Parent_Id', 0, { parentColumnIndex: 0 }), mapping('Product_Name', 1), mapping('Quantity', 2)],
      { parentIds },
    );
    assert.deepEqual(
      plan.columns.map((c) => c.parentIds),
      [parentIds, null, null],
    );
  });

  it('throws when the module or a mapped field is no longer in the catalogue', () => {
    assert.throws(() => planOf('insert', 'Gone', [mapping('Name', 0)]), /module Gone vanished/);
    assert.throws(() => planOf('insert', 'Leads', [mapping('Gone', 0)]), /field Gone vanished from Leads/);
  });
});

describe('mapRow', () => {
  // The mandatory Last_Name, empty or filled, for each operation and ignore_empty. An upsert row's half
  // (insert or update) is known only when applyBatch matches it: mapRow hands the choice on.
  const MANDATORY: Array<{
    operation: Operation;
    ignoreEmpty: boolean;
    errors: string;
    emptyMandatory: string[];
  }> = [
    { operation: 'insert', ignoreEmpty: false, errors: 'MANDATORY_NOT_FOUND-Last_Name', emptyMandatory: [] },
    { operation: 'insert', ignoreEmpty: true, errors: 'MANDATORY_NOT_FOUND-Last_Name', emptyMandatory: [] },
    { operation: 'update', ignoreEmpty: false, errors: 'MANDATORY_NOT_FOUND-Last_Name', emptyMandatory: [] },
    { operation: 'update', ignoreEmpty: true, errors: '', emptyMandatory: [] },
    { operation: 'upsert', ignoreEmpty: false, errors: 'MANDATORY_NOT_FOUND-Last_Name', emptyMandatory: [] },
    { operation: 'upsert', ignoreEmpty: true, errors: '', emptyMandatory: ['Last_Name'] },
  ];
  for (const c of MANDATORY) {
    it(`on ${c.operation} with ignore_empty ${c.ignoreEmpty}, reads an empty mandatory cell as ${c.errors || 'no error'}${c.emptyMandatory.length ? ', for the insert half to refuse' : ''}`, () => {
      const plan = leadPlan(c.operation, c.ignoreEmpty);
      const empty = mapRow(plan, 1, [' ', 'a@map.test', 'Acme']);
      assert.equal(formatErrors(empty.errors), c.errors);
      assert.deepEqual(empty.emptyMandatory, c.emptyMandatory);
      assert.equal('Last_Name' in empty.values, false);
      const filled = mapRow(plan, 2, ['Ada', 'a@map.test', 'Acme']);
      assert.equal(formatErrors(filled.errors), '');
      assert.deepEqual(filled.emptyMandatory, []);
      assert.equal(filled.values.Last_Name, 'Ada');
    });
  }

  it('clears an empty field on ignore_empty false and leaves it out on true', () => {
    assert.deepEqual(mapRow(leadPlan('update', false), 1, ['Ada', 'a@map.test', '']).values, {
      Last_Name: 'Ada',
      Email: 'a@map.test',
      Company: null,
    });
    assert.deepEqual(mapRow(leadPlan('update', true), 1, ['Ada', 'a@map.test', '']).values, {
      Last_Name: 'Ada',
      Email: 'a@map.test',
    });
  });

  it('fills an empty cell from the default value, and a mapping without a column from it alone', () => {
    const plan = planOf('insert', 'Leads', [
      mapping('Last_Name', 0),
      mapping('Company', 1, { defaultValue: { value: 'Default Co' } }),
      mapping('Lead_Source', null, { defaultValue: { value: 'Web' } }),
    ]);
    assert.deepEqual(mapRow(plan, 1, ['Ada', '']).values, {
      Last_Name: 'Ada',
      Company: 'Default Co',
      Lead_Source: 'Web',
    });
    assert.equal(mapRow(plan, 1, ['Ada', 'Own Co']).values.Company, 'Own Co');
  });

  it('names every bad cell, grouped by code in mapping order, and keeps the good ones', () => {
    const plan = planOf('insert', 'Leads', [
      mapping('Last_Name', 0),
      mapping('Email', 1),
      mapping('No_of_Employees', 2),
      mapping('Company', 3),
    ]);
    const row = mapRow(plan, 7, ['', 'not an email', 'many', 'Acme']);
    assert.equal(row.rowNo, 7);
    assert.equal(formatErrors(row.errors), 'MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Email,No_of_Employees');
    assert.equal(row.values.Company, 'Acme');
  });

  it("reads the find_by cell as the row's match key: a record id, or a unique value without case", () => {
    const byId = planOf('update', 'Leads', [mapping('id', 0), mapping('Company', 1)], { findBy: 'id' });
    assert.equal(mapRow(byId, 1, [' 4150868000000100001 ', 'X']).matchKey, '4150868000000100001');
    assert.equal(formatErrors(mapRow(byId, 1, ['12ab', 'X']).errors), 'INVALID_DATA-id');
    assert.equal(formatErrors(mapRow(byId, 1, ['', 'X']).errors), 'MANDATORY_NOT_FOUND-id');
    const byEmail = leadPlan('upsert', false);
    assert.equal(mapRow(byEmail, 1, ['Ada', ' Ada@Map.Test ', 'X']).matchKey, 'ada@map.test');
    assert.equal(formatErrors(mapRow(byEmail, 1, ['Ada', '', 'X']).errors), 'MANDATORY_NOT_FOUND-Email');
    // On insert a find_by cell may be empty: the row is then inserted without matching.
    const insertBy = planOf('insert', 'Leads', LEAD_COLUMNS, { findBy: 'Email' });
    assert.equal(formatErrors(mapRow(insertBy, 1, ['Ada', '', 'X']).errors), '');
  });

  it('hands lookups on to be resolved, with the module to look in', () => {
    const plan = planOf('insert', 'Contacts', [
      mapping('Last_Name', 0),
      mapping('Account_Name', 1),
      mapping('Owner', 2, { findBy: 'email' }),
    ]);
    const row = mapRow(plan, 1, ['Ada', '4150868000000100001', 'owner@map.test']);
    assert.deepEqual(
      row.lookups.map((l) => [l.column.field.apiName, l.value, l.target?.apiName ?? null]),
      [
        ['Account_Name', '4150868000000100001', 'Accounts'],
        ['Owner', 'owner@map.test', null],
      ],
    );
  });

  it("points What_Id into the module its row's $se_module names, and refuses a row without a usable one", () => {
    const plan = planOf('insert', 'Tasks', [mapping('Subject', 0), mapping('What_Id', 1), mapping('$se_module', 2)]);
    const ok = mapRow(plan, 1, ['Call', '4150868000000100001', 'deals']);
    assert.equal(ok.values.$se_module, 'Deals');
    assert.equal(ok.lookups[0]!.target?.apiName, 'Deals');
    assert.equal(
      formatErrors(mapRow(plan, 1, ['Call', '4150868000000100001', '']).errors),
      'MANDATORY_NOT_FOUND-$se_module',
    );
    assert.equal(
      formatErrors(mapRow(plan, 1, ['Call', '4150868000000100001', 'Nope']).errors),
      'INVALID_DATA-$se_module',
    );
  });

  it('points What_Id into the module its mapping names, without $se_module, and refuses a $se_module that disagrees', () => {
    // Issue 16.7: field_mappings[].module, "the related module for lookup-style mappings".
    const plan = planOf('insert', 'Tasks', [mapping('Subject', 0), mapping('What_Id', 1, { module: 'accounts' })]);
    const row = mapRow(plan, 1, ['Call', '4150868000000100001']);
    assert.deepEqual(
      [row.errors.size, row.values.$se_module, row.lookups[0]!.target?.apiName],
      [0, 'Accounts', 'Accounts'],
    );
    const both = planOf('insert', 'Tasks', [
      mapping('Subject', 0),
      mapping('What_Id', 1, { module: 'Accounts' }),
      mapping('$se_module', 2),
    ]);
    assert.equal(mapRow(both, 1, ['Call', '4150868000000100001', 'accounts']).errors.size, 0);
    assert.equal(
      formatErrors(mapRow(both, 1, ['Call', '4150868000000100001', 'Deals']).errors),
      'INVALID_DATA-$se_module',
    );
  });

  it('falls back on an empty cell to the record a default_value {name, module} names, matched on its display field', () => {
    // Issue 16.8: the v4+ SDKs' DefaultValue {value, name, module}.
    const plan = planOf('insert', 'Tasks', [
      mapping('Subject', 0),
      mapping('What_Id', null, { defaultValue: { name: 'Acme', module: 'Accounts' } }),
      mapping('Who_Id', 1, { findBy: 'Full_Name', defaultValue: { name: 'Ann Lee' } }),
    ]);
    const empty = mapRow(plan, 1, ['Call', '']);
    assert.deepEqual(
      empty.lookups.map((l) => [l.column.field.apiName, l.value, l.target?.apiName, l.findBy]),
      [
        ['What_Id', 'Acme', 'Accounts', 'Account_Name'],
        ['Who_Id', 'Ann Lee', 'Contacts', 'Full_Name'],
      ],
    );
    assert.equal(empty.values.$se_module, 'Accounts');
    const given = mapRow(plan, 1, ['Call', 'Bo Chen']);
    assert.deepEqual(given.lookups[1]!.value, 'Bo Chen');
  });

  it('matches a lookup by id, by a unique key, or by display text (Full_Name as First_Name and Last_Name)', () => {
    const contacts = STANDARD_CATALOGUE.find({ apiName: 'Contacts' })!;
    const accounts = STANDARD_CATALOGUE.find({ apiName: 'Accounts' })!;
    const products = STANDARD_CATALOGUE.find({ apiName: 'Products' })!;
    const cases: Array<[string, string | null, LookupMatch]> = [
      ['Contacts', null, { by: 'id' }],
      ['Contacts', 'id', { by: 'id' }],
      ['Contacts', 'Email', { by: 'key', field: 'Email' }],
      ['Contacts', 'Full_Name', { by: 'text', fields: ['First_Name', 'Last_Name'] }],
      ['Accounts', 'Account_Name', { by: 'key', field: 'Account_Name' }],
      ['Products', 'Product_Name', { by: 'text', fields: ['Product_Name'] }],
      ['Products', 'Product_Code', { by: 'key', field: 'Product_Code' }],
    ];
    const modules: Record<string, ModuleDef> = { Contacts: contacts, Accounts: accounts, Products: products };
    for (const [module, findBy, expected] of cases) {
      assert.deepEqual(lookupMatch(modules[module]!, findBy), expected, `${module} by ${findBy}`);
    }
  });

  it('stores a Layout given by name or id as its id, and refuses one the module does not have', () => {
    // Issue 16.9; DOC7: "specify the name of the custom layout in your CSV file" (its samples give ids).
    const plan = planOf('insert', 'Leads', [mapping('Last_Name', 0), mapping('Layout', 1)]);
    const standard = standardLayoutId(plan.module);
    assert.equal(mapRow(plan, 1, ['A', 'Standard']).values.Layout, standard);
    assert.equal(mapRow(plan, 1, ['A', ' standard ']).values.Layout, standard);
    assert.equal(mapRow(plan, 1, ['A', standard]).values.Layout, standard);
    assert.equal(formatErrors(mapRow(plan, 1, ['A', '4150868000000091055']).errors), 'INVALID_DATA-Layout');
    assert.equal(formatErrors(mapRow(plan, 1, ['A', 'Partners']).errors), 'INVALID_DATA-Layout');
    const byName = planOf('insert', 'Leads', [
      mapping('Last_Name', 0),
      mapping('Layout', null, { defaultValue: { name: 'Standard' } }),
    ]);
    assert.equal(mapRow(byName, 1, ['A']).values.Layout, standard);
  });

  it("links a child row to the record its parent row's key became, or names the link when none did", () => {
    const plan = planOf(
      'insert',
      'Quoted_Items',
      [mapping('Parent_Id', 0, { parentColumnIndex: 0 }), mapping('Product_Name', 1), mapping('Quantity', 2)],
      { parentIds: new Map([['Q-1', '4150868000000100009']]) },
    );
    assert.equal(mapRow(plan, 1, [' Q-1 ', '4150868000000100001', '2']).values.Parent_Id, '4150868000000100009');
    assert.equal(
      formatErrors(mapRow(plan, 1, ['Q-2', '4150868000000100001', '2']).errors),
      'RESOURCE_NOT_FOUND-Parent_Id',
    );
    assert.equal(
      formatErrors(mapRow(plan, 1, ['', '4150868000000100001', '2']).errors),
      'MANDATORY_NOT_FOUND-Parent_Id',
    );
  });
});
