import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SCHEMA_DATA_TYPES, ZOHO_DATA_TYPE } from '../../src/domain/data-types.js';
import { parseOrgSchema, OrgSchemaError } from '../../src/domain/org-schema.js';
import { applyOrgSchema } from '../../src/org-schema-file.js';
import { auth, call, createJob, downloadResult, runJob, uploadCsv, waitForJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const SCHEMA = {
  modules: [
    {
      api_name: 'Projects',
      singular_label: 'Project',
      display_field: 'Name',
      fields: [
        { api_name: 'Name', data_type: 'text', length: 120, mandatory: true, unique: true },
        { api_name: 'Client', data_type: 'lookup', lookup_module: 'Accounts' },
        { api_name: 'Budget', data_type: 'currency' },
        { api_name: 'Kickoff', data_type: 'datetime' },
        { api_name: 'Stage', data_type: 'picklist', pick_list_values: ['Planned', 'Running'] },
        { api_name: 'Project_No', data_type: 'autonumber' },
        {
          api_name: 'Milestones',
          data_type: 'subform',
          fields: [
            { api_name: 'Title', data_type: 'text', mandatory: true },
            { api_name: 'Due', data_type: 'date' },
            { api_name: 'Done', data_type: 'boolean' },
          ],
        },
      ],
    },
  ],
  fields: {
    Leads: [
      { api_name: 'Loyalty_Tier', data_type: 'picklist', pick_list_values: ['Gold', 'Silver'] },
      { api_name: 'Score', data_type: 'integer', mandatory: true },
    ],
  },
};

describe('custom modules and fields per org', () => {
  let t: TestServer;
  let dir: string;
  let accountId: string;
  const get = (path: string, token = t.creds.access_token) => call<Json>(`${t.url}${path}`, { headers: auth(token) });
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, 'org', 'schema', ...args, '--data-dir', t.dataDir], { encoding: 'utf8' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-schema-'));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    t = await startTestServer({ schemaFile: join(dir, 'schema.json') });
    const accounts = await runJob(t, 'Account_Name\nSchema Corp\n', { module: { api_name: 'Accounts' } });
    accountId = (await downloadResult(t, accounts.details)).rows[0]!.RECORD_ID!;
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [why, document, message] of [
    ['not an object', [], /must be a JSON object/],
    ['a custom module named as a standard one', { modules: [{ api_name: 'leads', fields: [] }] }, /already a module/],
    ['a module without fields', { modules: [{ api_name: 'Things', fields: [] }] }, /non-empty array/],
    [
      'a custom field that clashes with a standard one',
      { fields: { Leads: [{ api_name: 'Email', data_type: 'text' }] } },
      /already a field/,
    ],
    ['an unknown data type', { fields: { Leads: [{ api_name: 'X', data_type: 'json' }] } }, /data_type must be one of/],
    [
      'a lookup to no module',
      { fields: { Leads: [{ api_name: 'X', data_type: 'lookup', lookup_module: 'Nope' }] } },
      /is not a module/,
    ],
    ['fields for a module that is not standard', { fields: { Projects: [] } }, /not a standard module/],
    [
      'a text length past 255',
      { fields: { Leads: [{ api_name: 'X', data_type: 'text', length: 300 }] } },
      /length must be/,
    ],
    [
      'a mandatory auto-number',
      { fields: { Leads: [{ api_name: 'X', data_type: 'autonumber', mandatory: true }] } },
      /cannot be mandatory/,
    ],
    [
      'a multi-select lookup to its own module',
      { fields: { Leads: [{ api_name: 'X', data_type: 'multiselectlookup', lookup_module: 'Leads' }] } },
      /its own module is not supported/,
    ],
    [
      'a linking module named as a module that exists',
      {
        fields: {
          Leads: [
            { api_name: 'X', data_type: 'multiselectlookup', lookup_module: 'Products', linking_module: 'Deals' },
          ],
        },
      },
      /linking module Deals is already a module/,
    ],
  ] as const) {
    it(`refuses a schema with ${why}, naming the problem`, () => {
      assert.throws(
        () => parseOrgSchema(document, '1'),
        (e: unknown) => e instanceof OrgSchemaError && message.test(e.message),
      );
    });
  }

  it('imports into a custom module from the schema file loaded at start, and reads the records back', async () => {
    const csv = [
      'Name,Client,Budget,Kickoff,Stage',
      `Apollo,${accountId},"1,500.25",2024-03-01 09:30,Launch`,
      'Apollo,,1,,',
    ].join('\n');
    const { details } = await runJob(t, csv, {
      module: { api_name: 'Projects' },
      field_mappings: [
        { api_name: 'Name', index: 0 },
        { api_name: 'Client', index: 1 },
        { api_name: 'Budget', index: 2 },
        { api_name: 'Kickoff', index: 3, format: 'yyyy-MM-dd HH:mm' },
        { api_name: 'Stage', index: 4 },
      ],
    });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['SKIPPED', 'DUPLICATE_DATA-Name'],
      ],
    );
    const res = await get(`/crm/v2.1/Projects/${rows[0]!.RECORD_ID}`);
    assert.equal(res.status, 200, res.text);
    const project = (res.body.data as Json[])[0]!;
    assert.equal(project.Name, 'Apollo');
    assert.deepEqual(project.Client, { name: 'Schema Corp', id: accountId });
    assert.equal(project.Budget, 1500.25);
    assert.match(project.Kickoff as string, /^2024-03-01T09:30:00[+-]\d{2}:\d{2}$/);
    assert.equal(project.Stage, 'Launch', 'an unknown picklist value is added, as for standard fields');
    const search = await get('/crm/v2.1/Projects/search?criteria=(Name:equals:apollo)');
    assert.equal((search.body.data as Json[]).length, 1);
  });

  it('writes subform rows with a job of their own, keyed on Parent_Id, and reads them back on the parent', async () => {
    const parent = await runJob(t, 'Name\nGemini\n', { module: { api_name: 'Projects' } });
    const parentId = (await downloadResult(t, parent.details)).rows[0]!.RECORD_ID!;
    const csv = [
      'Parent_Id,Title,Due,Done',
      `${parentId},Design,2024-05-01,true`,
      `${parentId},Build,06/30/2024,false`,
      '1000000000000000001,Orphan,,',
      ',No parent,,',
    ].join('\n');
    const { details } = await runJob(t, csv, {
      module: { api_name: 'Milestones' },
      field_mappings: [
        { api_name: 'Parent_Id', index: 0, find_by: 'id' },
        { api_name: 'Title', index: 1 },
        { api_name: 'Due', index: 2 },
        { api_name: 'Done', index: 3 },
      ],
    });
    const rows = (await downloadResult(t, details)).rows;
    assert.deepEqual(
      rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Parent_Id'],
        ['SKIPPED', 'MANDATORY_NOT_FOUND-Parent_Id'],
      ],
    );
    const res = await get(`/crm/v2.1/Projects/${parentId}`);
    const milestones = (res.body.data as Json[])[0]!.Milestones as Json[];
    assert.deepEqual(
      milestones.map((m) => [m.Title, m.Due, m.Done, m.Parent_Id, m.id]),
      [
        ['Design', '2024-05-01', true, { name: 'Gemini', id: parentId }, rows[0]!.RECORD_ID],
        ['Build', '2024-06-30', false, { name: 'Gemini', id: parentId }, rows[1]!.RECORD_ID],
      ],
    );
    assert.equal(
      (await get('/crm/v2.1/Milestones')).body.code,
      'INVALID_MODULE',
      'subform rows are read on the parent',
    );
    const modules = (await get('/crm/v2.1/settings/modules')).body.modules as Json[];
    const sub = modules.find((m) => m.api_name === 'Milestones')!;
    assert.deepEqual([sub.generated_type, sub.api_supported], ['subform', false]);
    const byName = await createJob(t, {
      operation: 'insert',
      resource: [
        {
          type: 'data',
          module: { api_name: 'Milestones' },
          file_id: await uploadCsv(t, 'Parent_Id,Title\nGemini,X\n'),
          field_mappings: [
            { api_name: 'Parent_Id', index: 0, find_by: 'Name' },
            { api_name: 'Title', index: 1 },
          ],
        },
      ],
    });
    assert.equal(byName.body.code, 'INVALID_DATA');
    assert.equal((byName.body.details as Json).json_path, '$.resource[0].field_mappings[0].find_by');
    const onParent = await createJob(t, {
      operation: 'insert',
      resource: [
        { type: 'data', module: { api_name: 'Projects' }, file_id: await uploadCsv(t, 'Name,Milestones\nX,Y\n') },
      ],
    });
    assert.equal(onParent.body.code, 'INVALID_FIELD');
  });

  it('lists custom modules and fields in the metadata APIs, marked custom', async () => {
    const modules = (await get('/crm/v2.1/settings/modules')).body.modules as Json[];
    const projects = modules.find((m) => m.api_name === 'Projects')!;
    assert.equal(projects.generated_type, 'custom');
    assert.match(projects.id as string, /^\d{19}$/);
    const leadFields = (await get('/crm/v2.1/settings/fields?module=Leads')).body.fields as Json[];
    const tier = leadFields.find((f) => f.api_name === 'Loyalty_Tier')!;
    assert.equal(tier.custom_field, true);
    assert.equal(tier.data_type, 'picklist');
    assert.equal(leadFields.find((f) => f.api_name === 'Last_Name')!.custom_field, false);
  });

  it('reads every schema data_type back from settings/fields under Zoho’s name for it', async () => {
    const own = await startTestServer({ worker: false });
    try {
      const names = Object.keys(SCHEMA_DATA_TYPES).filter((n) => n !== 'subform');
      const fields = names.map((data_type, i) => ({
        api_name: `F${i}_${data_type}`,
        data_type,
        ...(data_type.includes('lookup') && !data_type.includes('user') && !data_type.includes('owner')
          ? { lookup_module: 'Accounts' }
          : {}),
      }));
      const document = { modules: [{ api_name: 'Typed', singular_label: 'Typed', display_field: 'F0_text', fields }] };
      await applyOrgSchema(own.server.storage, own.creds.org_id, JSON.stringify(document), Date.now());
      const read = await call<Json>(`${own.url}/crm/v2.1/settings/fields?module=Typed`, {
        headers: auth(own.creds.access_token),
      });
      const byName = new Map((read.body.fields as Json[]).map((f) => [f.api_name, f.data_type]));
      names.forEach((name, i) =>
        assert.equal(byName.get(`F${i}_${name}`), ZOHO_DATA_TYPE[SCHEMA_DATA_TYPES[name]!], name),
      );
      assert.equal(byName.get(`F${names.indexOf('percent')}_percent`), 'percent');
    } finally {
      await own.close();
    }
  });

  it('validates custom fields of standard modules: mandatory, type, and not writable ones', async () => {
    const missing = await createJob(t, {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: await uploadCsv(t, 'Last_Name\nX\n') }],
    });
    assert.equal(missing.body.code, 'MANDATORY_FIELDS_NOT_MAPPED');
    assert.deepEqual((missing.body.details as Json).missing_fields, ['Score']);
    const { details } = await runJob(t, 'Last_Name,Score,Loyalty_Tier\nA,7,Gold\nB,seven,Silver\n', {});
    assert.deepEqual(
      (await downloadResult(t, details)).rows.map((r) => [r.STATUS, r.ERRORS]),
      [
        ['ADDED', ''],
        ['SKIPPED', 'INVALID_DATA-Score'],
      ],
    );
    const auto = await createJob(t, {
      operation: 'insert',
      resource: [
        { type: 'data', module: { api_name: 'Projects' }, file_id: await uploadCsv(t, 'Name,Project_No\nX,1\n') },
      ],
    });
    assert.equal(auto.body.code, 'INVALID_FIELD');
  });

  it('needs ZohoCRM.modules.custom scopes for a custom module', async () => {
    const leadsOnly = await t.credentials(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.leads.ALL']);
    const fileId = await uploadCsv(t, 'Name\nScoped\n');
    const body = {
      operation: 'insert',
      resource: [{ type: 'data', module: { api_name: 'Projects' }, file_id: fileId }],
    };
    assert.equal((await createJob(t, body, leadsOnly.access_token)).body.code, 'OAUTH_SCOPE_MISMATCH');
    const custom = await t.credentials(['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.custom.ALL']);
    const created = await createJob(t, body, custom.access_token);
    assert.equal(created.status, 201);
    await waitForJob(t, (created.body.details as { id: string }).id);
  });

  it('applies a new schema with the admin command while the server runs, keeping the stored records', async () => {
    const before = await t.server.storage.records.count(t.creds.org_id, 'Projects');
    assert.ok(before >= 1);
    const next = structuredClone(SCHEMA) as unknown as { modules: Array<{ api_name: string; fields: Json[] }> };
    next.modules[0]!.fields.push({ api_name: 'Risk', data_type: 'percent' });
    next.modules.push({ api_name: 'Suppliers', fields: [{ api_name: 'Supplier_Name', data_type: 'text' }] });
    writeFileSync(join(dir, 'next.json'), JSON.stringify(next));

    const applied = cli('apply', join(dir, 'next.json'), '--json');
    assert.equal(applied.status, 0, applied.stderr);
    const summary = JSON.parse(applied.stdout) as Json;
    assert.deepEqual([summary.changed, summary.custom_modules, summary.version], [true, 3, 2]);
    const again = cli('apply', join(dir, 'next.json'), '--json');
    assert.equal((JSON.parse(again.stdout) as Json).changed, false, 'the same document is not stored twice');

    const { details } = await runJob(t, 'Supplier_Name\nAcme Parts\n', { module: { api_name: 'Suppliers' } });
    assert.equal((await downloadResult(t, details)).rows[0]!.STATUS, 'ADDED');
    const { details: risk } = await runJob(t, 'Name,Risk\nHermes,40\n', { module: { api_name: 'Projects' } });
    assert.equal((await downloadResult(t, risk)).rows[0]!.STATUS, 'ADDED');
    assert.equal(await t.server.storage.records.count(t.creds.org_id, 'Projects'), before + 1);

    const bad = cli('apply', join(dir, 'missing.json'));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /cannot read the schema file/);
    const shown = cli('show');
    assert.equal((JSON.parse(shown.stdout) as { modules: Json[] }).modules.length, 2);
  });
});
