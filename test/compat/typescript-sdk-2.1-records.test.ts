// The official @zohocrm/typescript-sdk-2.1 (1.1.0), unmodified, reads records imported by a bulk write job
// back through its own record operations (RecordOperations.getRecords / getRecord / searchRecords), which also
// makes it fetch /crm/v2.1/settings/fields for the module and for every lookup target.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DataCenter,
  FileStore,
  InitializeBuilder,
  Initializer,
  Levels,
  LogBuilder,
  OAuthBuilder,
  ParameterMap,
  Records,
  SDKConfigBuilder,
  UserSignature,
} from '@zohocrm/typescript-sdk-2.1';
import { downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SdkRecord {
  getId(): bigint;
  getKeyValue(name: string): unknown;
  getCreatedTime(): Date;
}

describe('the official @zohocrm/typescript-sdk-2.1 reads imported records back', () => {
  let t: TestServer;
  let dir: string;
  let accountId: string;
  const contactIds: string[] = [];

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-ts-sdk-records-'));
    const accounts = await runJob(t, 'Account_Name,Phone\nInitech,+1 555 0100\n', {
      module: { api_name: 'Accounts' },
    });
    accountId = (await downloadResult(t, accounts.details)).rows[0]!.RECORD_ID!;
    const contacts = await runJob(
      t,
      [
        'Last_Name,First_Name,Email,Account_Name.Account_Name,Date_of_Birth,Email_Opt_Out',
        'Lumbergh,Bill,bill@initech.test,Initech,1960-04-01,true',
        'Waddams,Milton,milton@initech.test,Initech,,false',
        'Bolton,Michael,michael@initech.test,,,',
      ].join('\n'),
      { module: { api_name: 'Contacts' } },
    );
    for (const row of (await downloadResult(t, contacts.details)).rows) contactIds.push(row.RECORD_ID!);
    assert.equal(contactIds.filter(Boolean).length, 3, 'every contact was imported');

    const environment = DataCenter.setEnvironment(t.url, t.creds.token_url, t.url, 'bulkwrite-test');
    const token = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(t.creds.refresh_token)
      .build();
    await new InitializeBuilder()
      .user(new UserSignature('sdk.records@bulkwrite.test'))
      .environment(environment)
      .token(token)
      .store(new FileStore(join(dir, 'tokens.csv')))
      .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
      .resourcePath(dir)
      .logger(new LogBuilder().level(Levels.INFO).filePath(join(dir, 'sdk.log')).build())
      .initialize();
    const until = Date.now() + 5_000;
    while ((await Initializer.getInitializer())?.getToken() !== token) {
      if (Date.now() > until) throw new Error('the SDK did not initialize');
      await sleep(5);
    }
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the imported contacts with getRecords, with paging info, lookups and Owner', async () => {
    const params = new ParameterMap();
    await params.add(Records.GetRecordsParam.PER_PAGE, 2);
    const response = await new Records.RecordOperations().getRecords('Contacts', params);
    assert.equal(response.getStatusCode(), 200);
    const wrapper: unknown = response.getObject();
    assert.ok(wrapper instanceof Records.ResponseWrapper, `expected ResponseWrapper, got ${String(wrapper)}`);
    const records = wrapper.getData() as SdkRecord[];
    assert.equal(records.length, 2);
    assert.equal(wrapper.getInfo().getPerPage(), 2);
    assert.equal(wrapper.getInfo().getCount(), 2);
    assert.equal(wrapper.getInfo().getPage(), 1);
    assert.equal(wrapper.getInfo().getMoreRecords(), true);

    const bill = records[0]!;
    assert.equal(bill.getId(), BigInt(contactIds[0]!));
    assert.equal(bill.getKeyValue('Last_Name'), 'Lumbergh');
    assert.equal(bill.getKeyValue('Email'), 'bill@initech.test');
    assert.equal(bill.getKeyValue('Email_Opt_Out'), true);
    const account = bill.getKeyValue('Account_Name') as SdkRecord;
    assert.equal(account.getId(), BigInt(accountId));
    assert.equal(account.getKeyValue('name'), 'Initech');
    const owner = bill.getKeyValue('Owner') as { getId(): bigint; getEmail(): string };
    const user = (await t.server.storage.orgs.get(t.creds.org_id))!.user;
    assert.equal(owner.getId(), BigInt(user.id));
    assert.equal(owner.getEmail(), user.email);
    const born = bill.getKeyValue('Date_of_Birth') as Date;
    assert.ok(born instanceof Date, `Date_of_Birth is a Date: ${String(born)}`);
    assert.ok(bill.getCreatedTime() instanceof Date);

    await params.add(Records.GetRecordsParam.PAGE, 2);
    const second = await new Records.RecordOperations().getRecords('Contacts', params);
    const rest = (second.getObject() as InstanceType<typeof Records.ResponseWrapper>).getData() as SdkRecord[];
    assert.deepEqual(
      rest.map((r) => r.getKeyValue('Last_Name')),
      ['Bolton'],
    );
    assert.equal(
      (second.getObject() as InstanceType<typeof Records.ResponseWrapper>).getInfo().getMoreRecords(),
      false,
    );
  });

  it('reads one contact with getRecord, and an unknown id as an APIException', async () => {
    const response = await new Records.RecordOperations().getRecord(BigInt(contactIds[1]!), 'Contacts');
    assert.equal(response.getStatusCode(), 200);
    const wrapper = response.getObject() as InstanceType<typeof Records.ResponseWrapper>;
    const [milton] = wrapper.getData() as SdkRecord[];
    assert.equal(milton!.getKeyValue('First_Name'), 'Milton');
    assert.equal(milton!.getKeyValue('Date_of_Birth'), null);

    const missing = await new Records.RecordOperations().getRecord(1000000000000000001n, 'Contacts');
    assert.equal(missing.getStatusCode(), 400);
    const error: unknown = missing.getObject();
    assert.ok(error instanceof Records.APIException, `expected APIException, got ${String(error)}`);
    assert.equal(error.getCode().getValue(), 'INVALID_DATA');
    assert.equal(error.getDetails().get('id'), 1000000000000000001n, 'the SDK reads details.id as a Long');
  });

  it('finds a contact with searchRecords by email, and answers an empty search as no content', async () => {
    const params = new ParameterMap();
    await params.add(Records.SearchRecordsParam.EMAIL, 'MICHAEL@initech.test');
    const response = await new Records.RecordOperations().searchRecords('Contacts', params);
    assert.equal(response.getStatusCode(), 200);
    const found = (response.getObject() as InstanceType<typeof Records.ResponseWrapper>).getData() as SdkRecord[];
    assert.deepEqual(
      found.map((r) => r.getId()),
      [BigInt(contactIds[2]!)],
    );

    const none = new ParameterMap();
    await none.add(Records.SearchRecordsParam.CRITERIA, '(Last_Name:equals:Nobody)');
    const empty = await new Records.RecordOperations().searchRecords('Contacts', none);
    assert.equal(empty.getStatusCode(), 204);
    assert.equal(empty.getObject(), null);
  });
});
