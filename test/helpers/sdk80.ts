import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as Sdk80 from '@zohocrm/typescript-sdk-8.0';
import { sdkFileBytes } from './api.js';
import { parseReadZip } from './bulk-read.js';
import type { TestServer } from './server.js';

// The SDK's bulk read classes are reached through its namespaces, whose typings do not list them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;
const BR = Sdk80.BulkRead as Untyped;

/**
 * Initializes the official v8 SDK, unmodified, against a test server: its refresh token, the server as
 * API and accounts domain, its token store and log in `dir`.
 */
export async function initSdk80(t: TestServer, dir: string): Promise<void> {
  const token = new Sdk80.OAuthBuilder()
    .clientId(t.creds.client_id)
    .clientSecret(t.creds.client_secret)
    .refreshToken(t.creds.refresh_token)
    .build();
  await new Sdk80.InitializeBuilder()
    .environment(Sdk80.DataCenter.setEnvironment(t.url, t.creds.token_url, t.url))
    .token(token)
    .store(new Sdk80.FileStore(join(dir, 'tokens.csv')))
    .SDKConfig(new Sdk80.SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
    .resourcePath(dir)
    .logger(new Sdk80.LogBuilder().level(Sdk80.Levels.INFO).filePath(join(dir, 'sdk.log')).build())
    .initialize();
}

/** One bulk read condition, the field named as v8 names it (`field: {api_name}`). */
export function sdk80Condition(apiName: string, comparator: string, value: unknown): Untyped {
  const c = new BR.Criteria();
  const field = new (Sdk80.Fields as Untyped).MinifiedField();
  field.setAPIName(apiName);
  c.setField(field);
  c.setComparator(new Sdk80.Choice(comparator));
  c.setValue(value);
  return c;
}

/** A bulk read query of the SDK's model. */
export function sdk80Query(q: {
  module: string;
  fields?: string[];
  criteria?: Untyped;
  page?: number;
  pageToken?: string;
}): Untyped {
  const module = new (Sdk80.Modules as Untyped).MinifiedModule();
  module.setAPIName(q.module);
  const query = new BR.Query();
  query.setModule(module);
  if (q.fields) query.setFields(q.fields);
  if (q.criteria) query.setCriteria(q.criteria);
  if (q.page !== undefined) query.setPage(q.page);
  if (q.pageToken !== undefined) query.setPageToken(q.pageToken);
  return query;
}

/**
 * Through the SDK: creates a read job for the query, polls its details until COMPLETED and downloads its
 * zip. → the job id, the SDK's JobDetail, and the page's CSV (name, header, rows).
 */
export async function sdk80ReadPage(query: Untyped) {
  const ops = new BR.BulkReadOperations();
  const request = new BR.BodyWrapper();
  request.setQuery(query);
  request.setFileType('csv');
  const created = await ops.createBulkReadJob(request);
  assert.equal(created.getStatusCode(), 201);
  const added = created.getObject().getData()[0];
  assert.ok(added instanceof BR.SuccessResponse, `expected SuccessResponse, got ${String(added)}`);
  const jobId = String(added.getDetails().get('id'));
  let job: Untyped;
  for (const end = Date.now() + 30_000; ;) {
    job = (await ops.getBulkReadJobDetails(BigInt(jobId))).getObject().getData()[0];
    if (job.getState().getValue() === 'COMPLETED') break;
    assert.ok(Date.now() < end, `read job ${jobId} did not complete`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const file = (await ops.downloadResult(BigInt(jobId))).getObject();
  assert.ok(file instanceof BR.FileBodyWrapper, `expected FileBodyWrapper, got ${String(file)}`);
  const page = await parseReadZip(await sdkFileBytes(file.getFile().getStream()));
  return { jobId, job, page };
}

/** An SDK criteria group of two or more conditions. */
export function sdk80Group(operator: 'and' | 'or', group: Untyped[]): Untyped {
  const criteria = new BR.Criteria();
  criteria.setGroupOperator(new Sdk80.Choice(operator));
  criteria.setGroup(group);
  return criteria;
}
