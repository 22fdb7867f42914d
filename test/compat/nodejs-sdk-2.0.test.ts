// Runs Zoho's official @zohocrm/nodejs-sdk-2.0 (6.1.0), unmodified, against a real bulkwrite server on
// 127.0.0.1 through the whole API v2 flow (paths /crm/v2/upload and /crm/bulk/v2/write, `module` as a plain
// string): token (refresh and grant) → upload → create → poll → getters → download. Only the domain
// changes: a custom Environment whose API, accounts and upload URLs point at the test server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { firstCsvRows, sdkFileBytes, unzipEntries } from '../helpers/api.js';
import { addFault, clearFaults, leadsCsv, listFaults, sdkUntilFinished, startLeadsJob } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

// The SDK is CommonJS and ships no type declarations: its objects are used through their own getters.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;
const require = createRequire(import.meta.url);
const sdk = (path: string): Untyped => require(`@zohocrm/nodejs-sdk-2.0/${path}`);

const { InitializeBuilder } = sdk('routes/initialize_builder');
const { Initializer } = sdk('routes/initializer');
const { OAuthBuilder } = sdk('models/authenticator/oauth_builder');
const { UserSignature } = sdk('routes/user_signature');
const { DataCenter } = sdk('routes/dc/data_center');
const { FileStore } = sdk('models/authenticator/store/file_store');
const { SDKConfigBuilder } = sdk('routes/sdk_config_builder');
const { LogBuilder } = sdk('routes/logger/log_builder');
const { Levels } = sdk('routes/logger/logger');
const { SDKException } = sdk('core/com/zoho/crm/api/exception/sdk_exception');
const { Choice } = sdk('utils/util/choice');
const { StreamWrapper } = sdk('utils/util/stream_wrapper');
const { HeaderMap } = sdk('routes/header_map');
const BW = 'core/com/zoho/crm/api/bulk_write/';
const { BulkWriteOperations, UploadFileHeader } = sdk(`${BW}bulk_write_operations`);
const { FileBodyWrapper } = sdk(`${BW}file_body_wrapper`);
const { RequestWrapper } = sdk(`${BW}request_wrapper`);
const { Resource } = sdk(`${BW}resource`);
const { FieldMapping } = sdk(`${BW}field_mapping`);
const { CallBack } = sdk(`${BW}call_back`);
const { SuccessResponse } = sdk(`${BW}success_response`);
const { APIException } = sdk(`${BW}api_exception`);
const { BulkWriteResponse } = sdk(`${BW}bulk_write_response`);

const CSV_NAME = 'v2_leads.csv';
const CSV_ROWS = [
  ['Last_Name', 'Email', 'Company'],
  ['V2-One', 'v2.one@example.com', 'Acme'],
  ['V2-Two', 'v2.two@example.com', 'Globex'],
  ['', 'v2.nolast@example.com', 'Initech'],
];
const CSV = Papa.unparse(CSV_ROWS, { newline: '\n' }) + '\n';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** InitializeBuilder.initialize() does not await Initializer.initialize(); wait until this user's SDK is current. */
async function initializeSdk(opts: {
  email: string;
  environment: Untyped;
  token: Untyped;
  dir: string;
  store: string;
}): Promise<void> {
  const builder: Untyped = await new InitializeBuilder();
  builder
    .user(new UserSignature(opts.email))
    .environment(opts.environment)
    .token(opts.token)
    .store(new FileStore(join(opts.dir, opts.store)))
    .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
    .resourcePath(opts.dir)
    .logger(new LogBuilder().level(Levels.INFO).filePath(join(opts.dir, 'sdk.log')).build())
    .initialize();
  const until = Date.now() + 5_000;
  for (;;) {
    const current: Untyped = await Initializer.getInitializer();
    if (current?.getUser().getEmail() === opts.email && current.getToken() === opts.token) return;
    assert.ok(Date.now() < until, `the SDK did not initialize for ${opts.email}`);
    await sleep(5);
  }
}

describe('the official @zohocrm/nodejs-sdk-2.0, unmodified, against a real bulkwrite server (v2 paths)', () => {
  let t: TestServer;
  let dir: string;
  let environment: Untyped;
  let token: Untyped;
  const ops: Untyped = new BulkWriteOperations();
  let fileId: bigint;
  let jobId: bigint;
  let details: Untyped;

  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-node20-sdk-'));
    environment = DataCenter.setEnvironment(t.url, t.creds.token_url, t.url, 'bulkwrite-test');
    token = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(t.creds.refresh_token)
      .build();
    await initializeSdk({ email: 'node20.refresh@bulkwrite.test', environment, token, dir, store: 'refresh.csv' });
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads to /crm/v2/upload after getting an access token with the refresh token', async () => {
    const zipPath = join(dir, 'v2_leads.zip');
    writeFileSync(zipPath, await makeZip({ [CSV_NAME]: CSV }));
    const body = new FileBodyWrapper();
    body.setFile(new StreamWrapper(undefined, undefined, zipPath));
    const headers = new HeaderMap();
    await headers.add(UploadFileHeader.FEATURE, 'bulk-write');
    await headers.add(UploadFileHeader.X_CRM_ORG, t.creds.org_id);

    const response = await ops.uploadFile(body, headers);
    assert.equal(response.getStatusCode(), 200);
    const answer = response.getObject();
    assert.ok(answer instanceof SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getCode().getValue(), 'FILE_UPLOAD_SUCCESS');
    assert.equal(answer.getMessage().getValue(), 'file uploaded.');
    const id: unknown = answer.getDetails().get('file_id');
    assert.equal(typeof id, 'bigint');
    fileId = id as bigint;

    const access: string = token.getAccessToken();
    assert.ok(access && access !== t.creds.access_token, 'the SDK got a new access token from the server');
    const validForMs = Number(token.getExpiresIn()) - Date.now();
    assert.ok(validForMs > (t.config.tokenTtlSeconds - 60) * 1000, `token valid for only ${validForMs} ms`);
  });

  it('creates a job at /crm/bulk/v2/write, sending module as a plain string, and reads SUCCESS', async () => {
    const resource = new Resource();
    resource.setType(new Choice('data'));
    resource.setModule('Leads');
    resource.setFileId(fileId.toString());
    resource.setFieldMappings(
      CSV_ROWS[0]!.map((apiName, index) => {
        const m = new FieldMapping();
        m.setAPIName(apiName);
        m.setIndex(index);
        return m;
      }),
    );
    const cb = new CallBack();
    cb.setUrl('http://127.0.0.1:9/unreachable-callback');
    cb.setMethod(new Choice('post'));
    const request = new RequestWrapper();
    request.setCharacterEncoding('UTF-8');
    request.setOperation(new Choice('insert'));
    request.setCallback(cb);
    request.setResource([resource]);

    const response = await ops.createBulkWriteJob(request);
    assert.equal(response.getStatusCode(), 201);
    const answer = response.getObject();
    assert.ok(answer instanceof SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getCode().getValue(), 'SUCCESS');
    const id: unknown = answer.getDetails().get('id');
    assert.equal(typeof id, 'bigint', 'the v2 SDK parses the job id with BigInt()');
    jobId = id as bigint;
    const stored = await t.server.storage.jobs.get(t.creds.org_id, jobId.toString());
    assert.equal(stored?.apiVersion, 'v2', 'the job keeps the version it was created with');
  });

  it('polls getBulkWriteJobDetails until COMPLETED and reads module back as the string "Leads"', async () => {
    const until = Date.now() + 30_000;
    for (;;) {
      const response = await ops.getBulkWriteJobDetails(jobId);
      assert.equal(response.getStatusCode(), 200);
      const answer = response.getObject();
      assert.ok(answer instanceof BulkWriteResponse, `expected BulkWriteResponse, got ${String(answer)}`);
      if (answer.getStatus() === 'COMPLETED' || answer.getStatus() === 'FAILED') {
        details = answer;
        break;
      }
      assert.ok(Date.now() < until, 'job still running after 30 s');
      await sleep(50);
    }
    assert.equal(details.getStatus(), 'COMPLETED');
    assert.equal(details.getId(), jobId);
    assert.equal(details.getOperation(), 'insert');
    assert.equal(details.getCharacterEncoding(), 'UTF-8');
    assert.equal(details.getCreatedBy().getId(), BigInt(t.server.org.user.id));
    assert.ok(details.getCreatedTime() instanceof Date);
    assert.equal(details.getCallback().getMethod().getValue(), 'post');

    const resources: Untyped[] = details.getResource();
    assert.equal(resources.length, 1);
    const r = resources[0];
    assert.equal(r.getModule(), 'Leads', 'a string, not "[object Object]"');
    assert.equal(r.getType().getValue(), 'data');
    assert.equal(r.getStatus().getValue(), 'COMPLETED');
    assert.deepEqual(
      r.getFieldMappings().map((m: Untyped) => [m.getAPIName(), m.getIndex()]),
      CSV_ROWS[0]!.map((name, i) => [name, i]),
    );
    const file = r.getFile();
    assert.equal(file.getName(), CSV_NAME);
    assert.deepEqual(
      [file.getAddedCount(), file.getSkippedCount(), file.getUpdatedCount(), file.getTotalCount()],
      [2, 1, 0, 3],
    );
    assert.match(details.getResult().getDownloadUrl(), new RegExp(`^${t.url}/v2/crm/${t.creds.org_id}/bulk-write/`));
  });

  it('downloads the result with downloadBulkWriteResult', async () => {
    const response = await ops.downloadBulkWriteResult(details.getResult().getDownloadUrl());
    assert.equal(response.getStatusCode(), 200);
    const answer = response.getObject();
    assert.ok(answer instanceof FileBodyWrapper, `expected FileBodyWrapper, got ${String(answer)}`);
    assert.equal(answer.getFile().getName(), `${jobId}.zip`);
    const zip = await sdkFileBytes(answer.getFile().getStream());
    const [name, csv] = [...(await unzipEntries(zip))][0]!;
    assert.equal(name, `Leads-${CSV_NAME}`);
    const rows = Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true }).data;
    assert.deepEqual(
      rows.map((row) => [row.Email, row.STATUS]),
      CSV_ROWS.slice(1).map((row) => [row[1], row[0] === '' ? 'SKIPPED' : 'ADDED']),
    );
  });

  it('reads an unknown job id as an APIException RESOURCE_NOT_FOUND', async () => {
    const response = await ops.getBulkWriteJobDetails(1000000000000000001n);
    assert.equal(response.getStatusCode(), 400);
    const answer = response.getObject();
    assert.ok(answer instanceof APIException, `expected APIException, got ${String(answer)}`);
    assert.equal(answer.getCode().getValue(), 'RESOURCE_NOT_FOUND');
  });

  it('meets a scripted 429 on job details as an APIException TOO_MANY_REQUESTS once got has retried twice', async () => {
    // got (the SDK's HTTP client) retries a GET answered 429 twice: the rule must fire three times.
    await addFault(t.url, {
      match: { route: 'job_details' },
      times: 3,
      respond: { status: 429, code: 'TOO_MANY_REQUESTS' },
    });
    const response = await ops.getBulkWriteJobDetails(jobId);
    assert.equal(response.getStatusCode(), 429);
    const answer = response.getObject();
    assert.ok(answer instanceof APIException, `expected APIException, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'error');
    assert.equal(answer.getCode().getValue(), 'TOO_MANY_REQUESTS');
    assert.equal((await listFaults(t.url))[0]!.hits, 3);
    assert.ok((await ops.getBulkWriteJobDetails(jobId)).getObject() instanceof BulkWriteResponse);
    await clearFaults(t.url);
  });

  it('reads a job a fault rule fails at row 2 as FAILED, with 2 rows counted and the rest UNPROCESSED in its result', async () => {
    await addFault(t.url, { times: 1, job: { fail_at_row: 2 } });
    const failing = BigInt(await startLeadsJob(t, leadsCsv(5, 'V2Fail')));
    const answer = await sdkUntilFinished(
      async () => (await ops.getBulkWriteJobDetails(failing)).getObject() as unknown,
      (o): o is Untyped => o instanceof BulkWriteResponse,
    );
    assert.equal(answer.getStatus(), 'FAILED');
    const r = answer.getResource()[0];
    // This SDK's Resource has no getter for `code`: its user sees FAILED and the counts, not the reason.
    assert.equal(r.getCode, undefined);
    assert.deepEqual([r.getStatus().getValue(), r.getFile().getStatus().getValue()], ['FAILED', 'FAILED']);
    assert.deepEqual([r.getFile().getAddedCount(), r.getFile().getTotalCount()], [2, 2]);
    // Zoho's download-result page: a row's STATUS may be "unprocessed"; the SDK downloads it as any result.
    const download = await ops.downloadBulkWriteResult(answer.getResult().getDownloadUrl());
    const zip = await sdkFileBytes((download.getObject() as Untyped).getFile().getStream());
    assert.deepEqual(
      (await firstCsvRows(zip)).map((row) => row.STATUS),
      ['ADDED', 'ADDED', 'UNPROCESSED', 'UNPROCESSED', 'UNPROCESSED'],
    );
  });

  it('gets tokens through the grant-token flow, and refuses the used grant code with SDKException', async () => {
    const grant = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .build();
    await initializeSdk({ email: 'node20.grant@bulkwrite.test', environment, token: grant, dir, store: 'grant.csv' });
    const answer = (await ops.getBulkWriteJobDetails(jobId)).getObject();
    assert.ok(answer instanceof BulkWriteResponse);
    assert.equal(answer.getId(), jobId);
    assert.match(String(grant.getRefreshToken()), /^1000\./, 'the authorization_code answer carries a refresh_token');
    assert.notEqual(grant.getAccessToken(), token.getAccessToken());

    const reused = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .build();
    await initializeSdk({
      email: 'node20.reused@bulkwrite.test',
      environment,
      token: reused,
      dir,
      store: 'reused.csv',
    });
    await assert.rejects(ops.getBulkWriteJobDetails(jobId), (e: unknown) => {
      assert.ok(e instanceof SDKException, `expected SDKException, got ${String(e)}`);
      assert.equal((e as { code: string }).code, 'INVALID TOKEN ERROR');
      assert.match((e as Error).message, /invalid_code/);
      return true;
    });
  });
});
