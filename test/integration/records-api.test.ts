import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { API_VERSION_NAMES } from '../../src/domain/api-versions.js';
import { MODULES } from '../../src/domain/modules.js';
import { LINE_ITEM_MODULES } from '../../src/domain/modules/inventory.js';
import { writePageToken } from '../../src/api/page-token.js';
import { SEARCH_SCAN_LIMIT } from '../../src/api/routes/records.js';
import { auth, call, downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;

describe('reading imported data back through the records and metadata APIs', () => {
  let t: TestServer;
  let accountId: string;
  let contactIds: string[];
  const get = (path: string, token = t.creds.access_token) => call<Json>(`${t.url}${path}`, { headers: auth(token) });

  before(async () => {
    t = await startTestServer({ batchSize: 2 });
    const accounts = await runJob(t, 'Account_Name,Employees\nGlobex,120\n', { module: { api_name: 'Accounts' } });
    accountId = (await downloadResult(t, accounts.details)).rows[0]!.RECORD_ID!;
    const contacts = await runJob(
      t,
      [
        'Last_Name,First_Name,Email,Account_Name.id,Mailing_City',
        `Scorpio,Hank,hank@globex.test,${accountId},Cypress Creek`,
        `Simpson,Homer,homer@globex.test,${accountId},Springfield`,
        'Mouse,Frank,frank@globex.test,,Springfield',
      ].join('\n'),
      { module: { api_name: 'Contacts' } },
    );
    contactIds = (await downloadResult(t, contacts.details)).rows.map((r) => r.RECORD_ID!);
  });
  after(() => t.close());

  it('lists records with Zoho’s data and info shape, lookups as {name, id} and Owner as {name, id, email}', async () => {
    const res = await get('/crm/v2.1/Contacts?per_page=2');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json;charset=utf-8');
    assert.deepEqual(res.body.info, { per_page: 2, count: 2, page: 1, more_records: true });
    const [hank] = res.body.data as Json[];
    const org = (await t.server.storage.orgs.get(t.creds.org_id))!;
    assert.equal(hank!.id, contactIds[0]);
    assert.equal(hank!.Last_Name, 'Scorpio');
    assert.equal(hank!.Full_Name, 'Hank Scorpio');
    assert.deepEqual(hank!.Account_Name, { name: 'Globex', id: accountId });
    assert.deepEqual(hank!.Owner, { name: org.user.name, id: org.user.id, email: org.user.email });
    assert.equal(hank!.Date_of_Birth, null, 'a field never written answers null');
    assert.match(hank!.Created_Time as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    const page2 = await get('/crm/v2.1/Contacts?per_page=2&page=2');
    assert.deepEqual(page2.body.info, { per_page: 2, count: 1, page: 2, more_records: false });
  });

  it('answers an empty list, a page past the end and an empty search with HTTP 204 and no body', async () => {
    for (const path of [
      '/crm/v2.1/Vendors',
      '/crm/v2.1/Contacts?page=9',
      '/crm/v2.1/Contacts/search?email=no@x.test',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 204, path);
      assert.equal(res.text, '', path);
    }
  });

  it('reads one record by id, and an unknown id as INVALID_DATA with the id in details', async () => {
    const res = await get(`/crm/v2.1/Contacts/${contactIds[1]}`);
    assert.equal(res.status, 200);
    assert.equal((res.body.data as Json[])[0]!.First_Name, 'Homer');
    const missing = await get('/crm/v2.1/Contacts/1000000000000000001');
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, {
      code: 'INVALID_DATA',
      details: { id: '1000000000000000001' },
      message: 'the related id given seems to be invalid',
      status: 'error',
    });
  });

  it('searches by criteria on unique and other fields, by email, and with and / or', async () => {
    const ids = async (query: string) => {
      const res = await get(`/crm/v2.1/Contacts/search?${query}`);
      return res.status === 204 ? [] : (res.body.data as Json[]).map((r) => r.id);
    };
    assert.deepEqual(await ids('criteria=(Email:equals:HOMER@globex.test)'), [contactIds[1]]);
    assert.deepEqual(await ids('criteria=(Mailing_City:equals:springfield)'), [contactIds[1], contactIds[2]]);
    assert.deepEqual(
      await ids(encodeURI('criteria=((Mailing_City:equals:Springfield)and(First_Name:starts_with:fr))')),
      [contactIds[2]],
    );
    assert.deepEqual(await ids(encodeURI('criteria=((Last_Name:equals:Scorpio)or(Last_Name:equals:Mouse))')), [
      contactIds[0],
      contactIds[2],
    ]);
    assert.deepEqual(await ids('email=hank@globex.test'), [contactIds[0]]);
    const bad = await get('/crm/v2.1/Contacts/search?criteria=(Nope:equals:1)');
    assert.equal(bad.body.code, 'INVALID_QUERY');
    const none = await get('/crm/v2.1/Contacts/search');
    assert.equal(none.body.code, 'REQUIRED_PARAM_MISSING');
  });

  for (const version of API_VERSION_NAMES) {
    it(`serves records, search and metadata under ${version}`, async () => {
      const fields = version === 'v2' || version === 'v2.1' ? '' : '?fields=Last_Name,Email';
      const list = await get(`/crm/${version}/Contacts${fields}`);
      assert.equal(list.status, 200, list.text);
      assert.equal((list.body.data as Json[]).length, 3);
      const one = await get(`/crm/${version}/Contacts/${contactIds[0]}`);
      assert.equal((one.body.data as Json[])[0]!.id, contactIds[0]);
      const search = await get(`/crm/${version}/Contacts/search?criteria=(Last_Name:equals:Mouse)`);
      assert.equal((search.body.data as Json[]).length, 1);
      const modules = await get(`/crm/${version}/settings/modules`);
      assert.deepEqual(
        (modules.body.modules as Json[]).map((m) => m.api_name),
        [...MODULES, ...LINE_ITEM_MODULES].map((m) => m.apiName),
      );
      // The line items are subform modules: listed, but not served by the records API.
      const quoted = (modules.body.modules as Json[]).find((m) => m.api_name === 'Quoted_Items')!;
      assert.deepEqual([quoted.generated_type, quoted.api_supported], ['subform', false]);
      const meta = await get(`/crm/${version}/settings/fields?module=Contacts`);
      const account = (meta.body.fields as Json[]).find((f) => f.api_name === 'Account_Name')!;
      assert.equal(account.data_type, 'lookup');
      const target = (account.lookup as Json).module;
      assert.deepEqual(
        target,
        version === 'v2' || version === 'v2.1' ? 'Accounts' : { api_name: 'Accounts', id: '4150868000000002177' },
      );
    });
  }

  it('requires the fields parameter on the list call from v3 on, as Zoho does', async () => {
    const res = await get('/crm/v3/Contacts');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      code: 'REQUIRED_PARAM_MISSING',
      details: { param_name: 'fields' },
      message: 'One of the expected parameter is missing',
      status: 'error',
    });
    const only = await get('/crm/v8/Contacts?fields=Last_Name');
    assert.deepEqual(Object.keys((only.body.data as Json[])[0]!), ['Last_Name', 'id']);
  });

  it('describes fields with Zoho’s metadata keys: type, length, mandatory, unique, picklist values', async () => {
    const res = await get('/crm/v2.1/settings/fields?module=Leads');
    const fields = new Map((res.body.fields as Json[]).map((f) => [f.api_name as string, f]));
    assert.equal(fields.get('Last_Name')!.system_mandatory, true);
    assert.equal(fields.get('Last_Name')!.length, 80);
    assert.deepEqual(fields.get('Email')!.unique, { casesensitive: 'false' });
    assert.equal(fields.get('Annual_Revenue')!.data_type, 'currency');
    assert.equal(fields.get('Created_Time')!.read_only, true);
    assert.deepEqual(
      (fields.get('Salutation')!.pick_list_values as Json[]).map((v) => v.actual_value),
      ['-None-', 'Mr.', 'Mrs.', 'Ms.', 'Dr.', 'Prof.'],
    );
    assert.match(fields.get('Email')!.id as string, /^\d{19}$/);
    assert.equal(fields.has('id'), false);
    const again = await get('/crm/v2.1/settings/fields?module=leads');
    assert.deepEqual(again.body, res.body, 'ids and order are stable');
  });

  it('answers an unknown module INVALID_MODULE, a missing module parameter REQUIRED_PARAM_MISSING', async () => {
    for (const path of ['/crm/v2.1/Notes', '/crm/v2.1/Events/1', '/crm/v2.1/settings/fields?module=Notes']) {
      const res = await get(path);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.code, 'INVALID_MODULE', path);
      assert.equal(res.body.message, 'the given module is not supported for this api');
    }
    assert.equal((await get('/crm/v2.1/settings/fields')).body.code, 'REQUIRED_PARAM_MISSING');
  });

  it('answers another method INVALID_REQUEST_METHOD and an unknown version INVALID_URL_PATTERN', async () => {
    for (const [method, path] of [
      ['POST', '/crm/v2.1/Contacts'],
      ['DELETE', `/crm/v2.1/Contacts/${contactIds[0]}`],
      ['PUT', '/crm/v2.1/Contacts/search'],
      ['POST', '/crm/v2.1/settings/fields'],
    ] as const) {
      const res = await call(`${t.url}${path}`, { method, headers: auth(t.creds.access_token) });
      assert.equal(res.body.code, 'INVALID_REQUEST_METHOD', `${method} ${path}`);
    }
    assert.equal((await get('/crm/v9/Contacts')).body.code, 'INVALID_URL_PATTERN');
    assert.equal((await call(`${t.url}/crm/v9/Contacts`, { method: 'POST' })).body.code, 'INVALID_URL_PATTERN');
  });

  it('checks the modules and settings scopes', async () => {
    const cases: Array<[string[], string, number]> = [
      [['ZohoCRM.modules.READ'], '/crm/v2.1/Contacts', 401],
      [['ZohoCRM.modules.contacts.READ'], '/crm/v2.1/Contacts', 200],
      [['zohocrm.modules.contacts.all'], `/crm/v2.1/Contacts/${contactIds[0]}`, 200],
      [['ZohoCRM.modules.leads.ALL'], '/crm/v2.1/Contacts/search?email=hank@globex.test', 401],
      [['ZohoCRM.bulk.ALL'], '/crm/v2.1/Contacts', 401],
      [['ZohoCRM.settings.modules.READ'], '/crm/v2.1/settings/modules', 200],
      [['ZohoCRM.settings.modules.READ'], '/crm/v2.1/settings/fields?module=Leads', 401],
      [['ZohoCRM.settings.fields.READ'], '/crm/v2.1/settings/fields?module=Leads', 200],
      [['ZohoCRM.settings.ALL'], '/crm/v2.1/settings/fields?module=Leads', 200],
      [['ZohoCRM.modules.ALL'], '/crm/v2.1/settings/modules', 401],
    ];
    for (const [scopes, path, status] of cases) {
      const creds = await t.credentials(scopes);
      const res = await get(path, creds.access_token);
      assert.equal(res.status, status, `${scopes.join(',')} ${path}: ${res.text}`);
      if (status === 401) assert.equal(res.body.code, 'OAUTH_SCOPE_MISMATCH');
    }
  });
});

describe('paging through a module of more than 2,000 records: page, and page_token from v4 on', () => {
  const ROWS = 2_345;
  let t: TestServer;
  let ids: string[];
  const get = (path: string) => call<Json>(`${t.url}${path}`, { headers: auth(t.creds.access_token) });
  const idsOf = (res: { body: Json }) => (res.body.data as Json[]).map((r) => r.id as string);

  before(async () => {
    t = await startTestServer();
    const csv = ['Last_Name,Email', ...Array.from({ length: ROWS }, (_, i) => `Row ${i},row${i}@pages.test`)];
    const job = await runJob(t, csv.join('\n'), {});
    ids = (await downloadResult(t, job.details)).rows.map((r) => r.RECORD_ID!);
    assert.equal(new Set(ids).size, ROWS);
    await runJob(t, 'Last_Name\nOther module\n', { module: { api_name: 'Contacts' } });
  });
  after(() => t.close());

  it('reaches every record by page number up to v3, deep pages included, in id order', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const res = await get(`/crm/v2.1/Leads?per_page=200&page=${page}`);
      if (res.status === 204) break;
      assert.deepEqual(res.body.info, { per_page: 200, count: idsOf(res).length, page, more_records: page < 12 });
      seen.push(...idsOf(res));
    }
    assert.deepEqual(seen, ids);
    const deep = await get('/crm/v3/Leads?fields=Last_Name&per_page=7&page=300');
    assert.deepEqual(idsOf(deep), ids.slice(2_093, 2_100));
    // No page tokens before v4: the parameter is not Zoho's there, and is ignored.
    const ignored = await get(`/crm/v2.1/Leads?per_page=2&page_token=anything`);
    assert.deepEqual(idsOf(ignored), ids.slice(0, 2));
  });

  it('hands out next_page_token from v4 on and reaches every record by following it', async () => {
    for (const version of ['v4', 'v8']) {
      const seen: string[] = [];
      let res = await get(`/crm/${version}/Leads?fields=Last_Name&per_page=150`);
      for (let page = 1; ; page++) {
        assert.equal(res.status, 200, res.text);
        const info = res.body.info as Json;
        assert.equal(info.page, page);
        assert.equal(info.per_page, 150);
        seen.push(...idsOf(res));
        if (!info.more_records) {
          assert.equal(info.next_page_token, null);
          assert.equal(info.page_token_expiry, null);
          break;
        }
        assert.match(info.next_page_token as string, /^[A-Za-z0-9_-]+$/);
        assert.match(info.page_token_expiry as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
        res = await get(`/crm/${version}/Leads?fields=Last_Name&per_page=150&page_token=${info.next_page_token}`);
      }
      assert.deepEqual(seen, ids, version);
    }
  });

  it('refuses page past the first 2,000 records from v4 on, and page with page_token', async () => {
    const tenth = await get('/crm/v5/Leads?fields=Last_Name&per_page=200&page=10');
    assert.deepEqual(idsOf(tenth), ids.slice(1_800, 2_000));
    const past = await get('/crm/v5/Leads?fields=Last_Name&per_page=200&page=11');
    assert.equal(past.status, 400);
    assert.deepEqual(past.body, {
      code: 'DISCRETE_PAGINATION_LIMIT_EXCEEDED',
      details: { limit: 2000 },
      message: 'You can only get the first 2000 records without using page_token param.',
      status: 'error',
    });
    const token = (tenth.body.info as Json).next_page_token as string;
    const both = await get(`/crm/v5/Leads?fields=Last_Name&page=2&page_token=${token}`);
    assert.equal(both.status, 400);
    assert.equal(both.body.code, 'AMBIGUITY_DURING_PROCESSING');
    const next = await get(`/crm/v5/Leads?fields=Last_Name&per_page=200&page_token=${token}`);
    assert.deepEqual(idsOf(next), ids.slice(2_000, 2_200));
    assert.equal((next.body.info as Json).page, 11);
  });

  it('refuses a page token that is not one, is for another module or org, or has expired', async () => {
    const org = t.creds.org_id;
    const expiry = Date.now() + 60_000;
    const token = (module: string, orgId = org, expiresAt = expiry) =>
      writePageToken({ orgId, module, afterId: ids[0]!, page: 2, expiresAt });
    const cases: Array<[string, string]> = [
      ['not a token!', 'INVALID_DATA'],
      [Buffer.from('[1,2,3]').toString('base64url'), 'INVALID_DATA'],
      ['x'.repeat(3000), 'INVALID_DATA'],
      [token('Contacts'), 'INVALID_DATA'],
      [token('Leads', 'another-org'), 'INVALID_DATA'],
      [token('Leads', org, Date.now() - 1), 'EXPIRED_VALUE'],
    ];
    for (const [text, code] of cases) {
      const res = await get(`/crm/v8/Leads?fields=Last_Name&page_token=${encodeURIComponent(text)}`);
      assert.equal(res.status, 400, text);
      assert.equal(res.body.code, code, text);
      assert.deepEqual(res.body.details, { param_name: 'page_token' }, text);
    }
    const good = await get(`/crm/v8/Leads?fields=Last_Name&per_page=2&page_token=${token('Leads')}`);
    assert.deepEqual(idsOf(good), ids.slice(1, 3));
  });
});

describe('search by e-mail on a module too large to read', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('answers email= from the Email keys and the Secondary_Email index; other searches there are LIMIT_EXCEEDED', async () => {
    const job = await runJob(
      t,
      [
        'Last_Name,Email,Secondary_Email,City',
        'Ann,ann@globex.test,,Leeds',
        'Bob,bob@globex.test,Ann@Globex.TEST,Leeds',
        'Cid,cid@globex.test,cid.home@globex.test,Leeds',
      ].join('\n'),
      { module: { api_name: 'Leads' } },
    );
    const ids = (await downloadResult(t, job.details)).rows.map((r) => r.RECORD_ID!);
    // The store now says the module holds more records than a search may read: only indexes answer.
    const db = new Database(join(t.dataDir, 'bulkwrite.db'));
    db.prepare("UPDATE record_counts SET records = ? WHERE module = 'Leads'").run(SEARCH_SCAN_LIMIT + 1);
    db.close();
    const search = (query: string) =>
      call<Json>(`${t.url}/crm/v2.1/Leads/search?${query}`, { headers: auth(t.creds.access_token) });
    const found = async (query: string) => {
      const res = await search(query);
      assert.ok(res.status === 200 || res.status === 204, res.text);
      return res.status === 204 ? [] : (res.body.data as Json[]).map((r) => r.id);
    };
    assert.deepEqual(await found('email=ANN@globex.test'), [ids[0], ids[1]]);
    assert.deepEqual(await found('email=cid.home@globex.test'), [ids[2]]);
    assert.deepEqual(await found('criteria=(Secondary_Email:equals:ann@globex.test)'), [ids[1]]);
    assert.deepEqual(
      await found(
        encodeURI('criteria=((Email:equals:cid@globex.test)or(Secondary_Email:in:ann@globex.test,x@y.test))'),
      ),
      [ids[1], ids[2]],
    );
    assert.deepEqual(await found('email=nobody@globex.test'), []);
    const scan = await search('criteria=(City:equals:Leeds)');
    assert.equal(scan.status, 400);
    assert.equal(scan.body.code, 'LIMIT_EXCEEDED');
  });
});
