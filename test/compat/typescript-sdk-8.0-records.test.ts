// The official @zohocrm/typescript-sdk-8.0 (3.0.0), unmodified, pages through imported records by
// page_token: it reads info.next_page_token and page_token_expiry of each page and sends
// GetRecordsParam.PAGE_TOKEN for the next (RecordOperations.getRecords, which also fetches
// /crm/v8/settings/fields for the module).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DataCenter,
  FileStore,
  InitializeBuilder,
  Levels,
  LogBuilder,
  OAuthBuilder,
  ParameterMap,
  Record,
  SDKConfigBuilder,
} from '@zohocrm/typescript-sdk-8.0';
import { downloadResult, runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface SdkRecord {
  getId(): bigint;
  getKeyValue(name: string): unknown;
}

describe('the official @zohocrm/typescript-sdk-8.0 pages through imported records by page_token', () => {
  let t: TestServer;
  let dir: string;
  let ids: bigint[];

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-ts8-sdk-records-'));
    const rows = Array.from({ length: 5 }, (_, i) => `Token ${i},token${i}@pages.test`);
    const job = await runJob(t, ['Last_Name,Email', ...rows].join('\n'), {});
    ids = (await downloadResult(t, job.details)).rows.map((r) => BigInt(r.RECORD_ID!));
    const token = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(t.creds.refresh_token)
      .findUser(false)
      .build();
    await new InitializeBuilder()
      .environment(DataCenter.setEnvironment(t.url, t.creds.token_url, t.url))
      .token(token)
      .store(new FileStore(join(dir, 'tokens.csv')))
      .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
      .resourcePath(dir)
      .logger(new LogBuilder().level(Levels.INFO).filePath(join(dir, 'sdk.log')).build())
      .initialize();
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads next_page_token and page_token_expiry, and reaches every record by sending it back', async () => {
    const seen: bigint[] = [];
    let pageToken: string | null = null;
    for (let page = 1; page <= 3; page++) {
      const params = new ParameterMap();
      await params.add(Record.GetRecordsParam.FIELDS, 'Last_Name,Email');
      await params.add(Record.GetRecordsParam.PER_PAGE, 2);
      if (pageToken !== null) await params.add(Record.GetRecordsParam.PAGE_TOKEN, pageToken);
      const response = await new Record.RecordOperations('Leads').getRecords(params);
      assert.equal(response.getStatusCode(), 200);
      const wrapper: unknown = response.getObject();
      assert.ok(wrapper instanceof Record.ResponseWrapper, `expected ResponseWrapper, got ${String(wrapper)}`);
      seen.push(...(wrapper.getData() as SdkRecord[]).map((r) => r.getId()));
      const info = wrapper.getInfo();
      assert.equal(info.getPage(), page);
      assert.equal(info.getPerPage(), 2);
      if (page < 3) {
        assert.equal(info.getMoreRecords(), true);
        pageToken = info.getNextPageToken();
        assert.match(pageToken, /^[A-Za-z0-9_-]+$/);
        const expiry = info.getPageTokenExpiry();
        assert.ok(expiry instanceof Date, `page_token_expiry is a Date: ${String(expiry)}`);
        assert.ok(expiry.getTime() > Date.now() + 23 * 3_600_000, 'valid for about a day');
      } else {
        assert.equal(info.getMoreRecords(), false);
        // The answer's null: the SDK leaves a null member unset.
        assert.equal(info.getNextPageToken() ?? null, null);
      }
    }
    assert.deepEqual(seen, ids);
  });
});
