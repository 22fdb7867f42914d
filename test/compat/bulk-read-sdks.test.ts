// The three official Zoho SDKs, unmodified, through a whole sync round trip against a real bulkwrite
// server: a bulk write job imports Leads, then each SDK creates a bulk read job (with criteria), polls
// its details until COMPLETED, downloads the zip, and every record of the parsed CSV is compared with
// what was written. v2 (@zohocrm/nodejs-sdk-2.0, module as a string), v2.1 (@zohocrm/typescript-sdk-2.1)
// and v8 (@zohocrm/typescript-sdk-8.0, criteria by `field`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as Sdk21 from '@zohocrm/typescript-sdk-2.1';
import { runJob, sdkFileBytes } from '../helpers/api.js';
import { parseReadZip } from '../helpers/bulk-read.js';
import { initSdk80, sdk80Condition, sdk80Group, sdk80Query, sdk80ReadPage } from '../helpers/sdk80.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The nodejs-sdk-2.0 has no types; its classes are reached through require.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;
const require = createRequire(import.meta.url);
const sdk20 = (path: string): Untyped => require(`@zohocrm/nodejs-sdk-2.0/${path}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the write job imports: 40 Leads, every fifth from Initech. */
const ROWS = Array.from({ length: 40 }, (_, i) => ({
  Last_Name: `Lead ${String(i).padStart(2, '0')}`,
  Email: `lead${i}@example.test`,
  Company: i % 5 === 0 ? 'Initech' : `Company ${i}`,
  No_of_Employees: String(i * 3),
}));
const CSV = ['Last_Name,Email,Company,No_of_Employees', ...ROWS.map((r) => Object.values(r).join(','))].join('\n');
const FIELDS = ['Last_Name', 'Email', 'Company', 'No_of_Employees'];
const WANTED = ROWS.filter((r) => r.Company === 'Initech' || Number(r.No_of_Employees) >= 100);

/** Fills a store with the Leads through a bulk write job, as a sync's import half does. */
async function writeLeads(t: TestServer): Promise<void> {
  const written = await runJob(t, CSV, { module: { api_name: 'Leads' } });
  assert.equal(written.details.status, 'COMPLETED');
}

/** Every record of the page, by Last_Name, compared cell by cell with what was written. */
function assertPage(rows: Record<string, string>[], header: string[]): void {
  assert.deepEqual(header, ['Id', ...FIELDS]);
  const ids = rows.map((r) => r.Id!);
  assert.deepEqual(ids, [...ids].sort(), 'in id order');
  assert.equal(new Set(ids).size, ids.length);
  const got = rows.map(({ Id, ...rest }) => (assert.match(Id!, /^\d{19}$/), rest));
  assert.deepEqual(
    got.sort((a, b) => a.Last_Name!.localeCompare(b.Last_Name!)),
    WANTED,
  );
}

async function until<T>(what: string, poll: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    const v = await poll();
    if (v !== undefined) return v;
    assert.ok(Date.now() < end, `${what} did not happen`);
    await sleep(50);
  }
}

describe('official SDKs: bulk write job → bulk read job → poll → download → every record', () => {
  describe('@zohocrm/nodejs-sdk-2.0 (v2)', () => {
    let t: TestServer;
    let dir: string;
    before(async () => {
      t = await startTestServer();
      dir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-sdk20-'));
      await writeLeads(t);
      const { InitializeBuilder } = sdk20('routes/initialize_builder');
      const { Initializer } = sdk20('routes/initializer');
      const { OAuthBuilder } = sdk20('models/authenticator/oauth_builder');
      const { UserSignature } = sdk20('routes/user_signature');
      const { DataCenter } = sdk20('routes/dc/data_center');
      const { FileStore } = sdk20('models/authenticator/store/file_store');
      const { SDKConfigBuilder } = sdk20('routes/sdk_config_builder');
      const { LogBuilder } = sdk20('routes/logger/log_builder');
      const { Levels } = sdk20('routes/logger/logger');
      const token = new OAuthBuilder()
        .clientId(t.creds.client_id)
        .clientSecret(t.creds.client_secret)
        .refreshToken(t.creds.refresh_token)
        .build();
      const builder: Untyped = await new InitializeBuilder();
      builder
        .user(new UserSignature('read20@bulkwrite.test'))
        .environment(DataCenter.setEnvironment(t.url, t.creds.token_url, t.url, 'bulkwrite-test'))
        .token(token)
        .store(new FileStore(join(dir, 'tokens.csv')))
        .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
        .resourcePath(dir)
        .logger(new LogBuilder().level(Levels.INFO).filePath(join(dir, 'sdk.log')).build())
        .initialize();
      await until('the SDK initialized', async () =>
        (await Initializer.getInitializer())?.getToken() === token ? true : undefined,
      );
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates, polls and downloads a read job with criteria; every record matches', async () => {
      const BR = 'core/com/zoho/crm/api/bulk_read/';
      const { BulkReadOperations } = sdk20(`${BR}bulk_read_operations`);
      const { RequestWrapper } = sdk20(`${BR}request_wrapper`);
      const { Query } = sdk20(`${BR}query`);
      const { Criteria } = sdk20(`${BR}criteria`);
      const { ActionWrapper } = sdk20(`${BR}action_wrapper`);
      const { SuccessResponse } = sdk20(`${BR}success_response`);
      const { ResponseWrapper } = sdk20(`${BR}response_wrapper`);
      const { FileBodyWrapper } = sdk20(`${BR}file_body_wrapper`);
      const { Choice } = sdk20('utils/util/choice');
      const ops = new BulkReadOperations();
      const condition = (apiName: string, comparator: string, value: unknown) => {
        const c = new Criteria();
        c.setAPIName(apiName);
        c.setComparator(new Choice(comparator));
        c.setValue(value);
        return c;
      };
      const criteria = new Criteria();
      criteria.setGroupOperator(new Choice('or'));
      criteria.setGroup([condition('Company', 'equal', 'Initech'), condition('No_of_Employees', 'greater_equal', 100)]);
      const query = new Query();
      query.setModule('Leads');
      query.setFields(FIELDS);
      query.setCriteria(criteria);
      query.setPage(1);
      const request = new RequestWrapper();
      request.setQuery(query);
      request.setFileType(new Choice('csv'));

      const created = await ops.createBulkReadJob(request);
      assert.equal(created.getStatusCode(), 201);
      const wrapper = created.getObject();
      assert.ok(wrapper instanceof ActionWrapper, `expected ActionWrapper, got ${String(wrapper)}`);
      const added = wrapper.getData()[0];
      assert.ok(added instanceof SuccessResponse);
      assert.equal(added.getCode().getValue(), 'ADDED_SUCCESSFULLY');
      const jobId: bigint = added.getDetails().get('id');

      const job = await until('the read job completed', async () => {
        const res = await ops.getBulkReadJobDetails(jobId);
        const body = res.getObject();
        assert.ok(body instanceof ResponseWrapper, `expected ResponseWrapper, got ${String(body)}`);
        const detail = body.getData()[0];
        return detail.getState().getValue() === 'COMPLETED' ? detail : undefined;
      });
      assert.equal(job.getOperation(), 'read');
      assert.equal(job.getQuery().getModule(), 'Leads');
      assert.equal(job.getResult().getCount(), WANTED.length);
      assert.equal(job.getResult().getMoreRecords(), false);
      assert.equal(job.getResult().getPerPage(), 200000);

      const download = await ops.downloadResult(jobId);
      const file = download.getObject();
      assert.ok(file instanceof FileBodyWrapper, `expected FileBodyWrapper, got ${String(file)}`);
      const page = await parseReadZip(await sdkFileBytes(file.getFile().getStream()));
      assert.equal(page.name, `${String(jobId)}.csv`);
      assertPage(page.rows, page.header);
    });
  });

  describe('@zohocrm/typescript-sdk-2.1 (v2.1)', () => {
    let t: TestServer;
    let dir: string;
    before(async () => {
      t = await startTestServer();
      dir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-sdk21-'));
      await writeLeads(t);
      const token = new Sdk21.OAuthBuilder()
        .clientId(t.creds.client_id)
        .clientSecret(t.creds.client_secret)
        .refreshToken(t.creds.refresh_token)
        .build();
      await new Sdk21.InitializeBuilder()
        .user(new Sdk21.UserSignature('read21@bulkwrite.test'))
        .environment(Sdk21.DataCenter.setEnvironment(t.url, t.creds.token_url, t.url, 'bulkwrite-test'))
        .token(token)
        .store(new Sdk21.FileStore(join(dir, 'tokens.csv')))
        .SDKConfig(
          new Sdk21.SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build(),
        )
        .resourcePath(dir)
        .logger(new Sdk21.LogBuilder().level(Sdk21.Levels.INFO).filePath(join(dir, 'sdk.log')).build())
        .initialize();
      await until('the SDK initialized', async () =>
        (await Sdk21.Initializer.getInitializer())?.getToken() === token ? true : undefined,
      );
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates, polls and downloads a read job with criteria; every record matches', async () => {
      const BR = Sdk21.BulkRead as Untyped;
      const ops = new BR.BulkReadOperations();
      const condition = (apiName: string, comparator: string, value: unknown) => {
        const c = new BR.Criteria();
        c.setAPIName(apiName);
        c.setComparator(new Sdk21.Choice(comparator));
        c.setValue(value);
        return c;
      };
      const criteria = new BR.Criteria();
      criteria.setGroupOperator(new Sdk21.Choice('or'));
      criteria.setGroup([condition('Company', 'equal', 'Initech'), condition('No_of_Employees', 'greater_equal', 100)]);
      const module = new (Sdk21.Modules as Untyped).Module();
      module.setAPIName('Leads');
      const query = new BR.Query();
      query.setModule(module);
      query.setFields(FIELDS);
      query.setCriteria(criteria);
      const request = new BR.RequestWrapper();
      request.setQuery(query);

      const created = await ops.createBulkReadJob(request);
      assert.equal(created.getStatusCode(), 201);
      const added = created.getObject().getData()[0];
      assert.ok(added instanceof BR.SuccessResponse, `expected SuccessResponse, got ${String(added)}`);
      const jobId: bigint = added.getDetails().get('id');

      const job = await until('the read job completed', async () => {
        const detail = (await ops.getBulkReadJobDetails(jobId)).getObject().getData()[0];
        return detail.getState().getValue() === 'COMPLETED' ? detail : undefined;
      });
      assert.equal(job.getQuery().getModule().getAPIName(), 'Leads');
      assert.equal(job.getResult().getCount(), WANTED.length);
      assert.equal(job.getCreatedBy().getId(), BigInt(t.server.org.user.id));

      const file = (await ops.downloadResult(jobId)).getObject();
      assert.ok(file instanceof BR.FileBodyWrapper, `expected FileBodyWrapper, got ${String(file)}`);
      const page = await parseReadZip(await sdkFileBytes(file.getFile().getStream()));
      assertPage(page.rows, page.header);
    });
  });

  describe('@zohocrm/typescript-sdk-8.0 (v8)', () => {
    let t: TestServer;
    let dir: string;
    before(async () => {
      t = await startTestServer();
      dir = mkdtempSync(join(tmpdir(), 'bulkwrite-read-sdk80-'));
      await writeLeads(t);
      await initSdk80(t, dir);
    });
    after(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates, polls and downloads a read job with criteria by field; every record matches', async () => {
      const criteria = sdk80Group('or', [
        sdk80Condition('Company', 'equal', 'Initech'),
        sdk80Condition('No_of_Employees', 'greater_equal', 100),
      ]);
      const { jobId, job, page } = await sdk80ReadPage(
        sdk80Query({ module: 'Leads', fields: FIELDS, criteria, page: 1 }),
      );
      assert.equal(job.getId(), jobId);
      assert.equal(job.getResult().getCount(), WANTED.length);
      assert.equal(job.getResult().getDownloadUrl(), `/crm/bulk/v8/read/${jobId}/result`);
      assertPage(page.rows, page.header);
    });
  });
});
