// Runs Zoho's official @zohocrm/typescript-sdk-2.1 (1.1.0), unmodified, against a real bulkwrite server on
// 127.0.0.1. Only the domain changes: a custom Environment whose API, accounts (token) and file-upload URLs
// point at the test server. Every step goes through the SDK's own calls and asserts on its parsed objects.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import {
  APIHTTPConnector,
  BulkWrite,
  Choice,
  DataCenter,
  FileStore,
  HeaderMap,
  InitializeBuilder,
  Initializer,
  Levels,
  LogBuilder,
  Modules,
  OAuthBuilder,
  SDKConfigBuilder,
  SDKException,
  StreamWrapper,
  UserSignature,
  type Environment,
  type OAuthToken,
} from '@zohocrm/typescript-sdk-2.1';
import { auth, call, firstCsvRows, sdkFileBytes, unzipEntries } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addFault, leadsCsv, listFaults, sdkUntilFinished, startLeadsJob } from '../helpers/faults.js';
import { makeZip } from '../helpers/zip.js';
import { startCallbackReceiver, type CallbackReceiver } from '../helpers/callback-receiver.js';

const CSV_NAME = 'sdk_leads.csv';
const CSV_ROWS = [
  ['Last_Name', 'First_Name', 'Email', 'Company'],
  ['Sdk-One', 'Ada', 'ada.sdk@example.com', 'Acme Ltd'],
  ['Sdk-Two', 'Grace', 'grace.sdk@example.com', 'Globex, Inc.'],
  ['Sdk-Three', 'Linus', 'linus.sdk@example.com', 'Initech'],
  ['', 'NoLastName', 'nolast.sdk@example.com', 'Umbrella'],
];
const CSV = Papa.unparse(CSV_ROWS, { newline: '\n' }) + '\n';
const MAPPINGS: Array<[string, number]> = [
  ['Last_Name', 0],
  ['First_Name', 1],
  ['Email', 2],
  ['Company', 3],
];

/** SDKException keeps its code in a field without a getter. */
interface SdkError {
  code: string | null;
  message: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * InitializeBuilder.initialize() starts Initializer.initialize() without awaiting it; wait until the SDK's
 * singleton is the one for this user before making calls.
 */
async function initializeSdk(opts: {
  email: string;
  environment: Environment;
  token: OAuthToken;
  storePath: string;
  resourcePath: string;
}): Promise<void> {
  await new InitializeBuilder()
    .user(new UserSignature(opts.email))
    .environment(opts.environment)
    .token(opts.token)
    .store(new FileStore(opts.storePath))
    .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
    .resourcePath(opts.resourcePath)
    .logger(new LogBuilder().level(Levels.INFO).filePath(join(opts.resourcePath, 'sdk.log')).build())
    .initialize();
  const until = Date.now() + 5_000;
  for (;;) {
    const current = await Initializer.getInitializer();
    if (current?.getUser().getEmail() === opts.email && current.getToken() === opts.token) return;
    if (Date.now() > until) throw new Error(`the SDK did not initialize for ${opts.email}`);
    await sleep(5);
  }
}

/** The rows of the SDK's FileStore (a CSV: id,user_mail,client_id,client_secret,refresh_token,access_token,…). */
function storedTokens(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(','));
}

describe('the official @zohocrm/typescript-sdk-2.1, unmodified, against a real bulkwrite server', () => {
  let t: TestServer;
  let dir: string;
  let environment: Environment;
  let token: OAuthToken;
  let callback: CallbackReceiver;
  const ops = new BulkWrite.BulkWriteOperations();
  let fileId: bigint;
  let jobId: bigint;
  let details: BulkWrite.BulkWriteResponse;

  before(async () => {
    t = await startTestServer();
    callback = await startCallbackReceiver();
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-ts-sdk-'));
    environment = DataCenter.setEnvironment(t.url, t.creds.token_url, t.url, 'bulkwrite-test');
    token = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(t.creds.refresh_token)
      .build();
    await initializeSdk({
      email: 'sdk.refresh@bulkwrite.test',
      environment,
      token,
      storePath: join(dir, 'refresh-tokens.csv'),
      resourcePath: dir,
    });
  });

  after(async () => {
    await callback.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets an access token from the accounts URL through the refresh-token flow', async () => {
    // OAuthToken.refreshAccessToken POSTs multipart/form-data (refresh_token, client_id, client_secret,
    // grant_type=refresh_token) to the accounts URL verbatim, and needs `access_token` in the JSON answer.
    assert.equal(environment.getAccountsUrl(), `${t.url}/oauth/v2/token`);
    const connector = new APIHTTPConnector();
    await token.authenticate(connector);

    const access = token.getAccessToken();
    assert.ok(access, 'the SDK holds an access token');
    assert.match(access, /^\S+$/);
    assert.notEqual(access, t.creds.access_token, 'the SDK asked the server for a new access token');
    assert.equal(connector.getHeaders().get('Authorization'), `Zoho-oauthtoken ${access}`);
    // expires_in is read as seconds: the token must be valid for (about) the configured TTL, not 1000× less.
    const validForMs = Number(token.getExpiresIn()) - Date.now();
    assert.ok(validForMs > (t.config.tokenTtlSeconds - 60) * 1000, `token valid for only ${validForMs} ms`);
    assert.ok(validForMs <= t.config.tokenTtlSeconds * 1000 + 1000);
    assert.equal(token.getRefreshToken(), t.creds.refresh_token, 'a refresh answer carries no new refresh token');

    await sleep(20); // FileStore.saveToken is not awaited by the SDK's refresh path
    const rows = storedTokens(join(dir, 'refresh-tokens.csv'));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]![1], 'sdk.refresh@bulkwrite.test');
    assert.equal(rows[0]![2], t.creds.client_id);
    assert.equal(rows[0]![4], t.creds.refresh_token);
    assert.equal(rows[0]![5], access);

    // The issued token is a real one on the API.
    const res = await call(`${t.url}/crm/bulk/v2.1/write/1000000000000000001`, { headers: auth(access) });
    assert.equal(res.body.code, 'RESOURCE_NOT_FOUND', `unexpected answer: ${res.status} ${res.text}`);
  });

  it('uploads a zip holding one CSV of Leads and reads FILE_UPLOAD_SUCCESS with a numeric file id', async () => {
    const zipPath = join(dir, 'sdk_leads.zip');
    writeFileSync(zipPath, await makeZip({ [CSV_NAME]: CSV }));

    const body = new BulkWrite.FileBodyWrapper();
    body.setFile(new StreamWrapper(undefined, undefined, zipPath));
    const headers = new HeaderMap();
    await headers.add(BulkWrite.UploadFileHeader.FEATURE, 'bulk-write');
    await headers.add(BulkWrite.UploadFileHeader.X_CRM_ORG, t.creds.org_id);

    const response = await ops.uploadFile(body, headers);
    assert.equal(response.getStatusCode(), 200);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'success');
    assert.equal(answer.getCode().getValue(), 'FILE_UPLOAD_SUCCESS');
    assert.equal(answer.getMessage().getValue(), 'file uploaded.');
    const d = answer.getDetails();
    const id: unknown = d.get('file_id');
    assert.equal(typeof id, 'bigint', 'file_id is parsed with BigInt(), so it must be a string of digits');
    assert.ok((id as bigint) > 0n);
    fileId = id as bigint;
    const created: unknown = d.get('created_time');
    assert.ok(created instanceof Date && !Number.isNaN(created.getTime()), `created_time: ${String(created)}`);
    assert.ok(Math.abs(created.getTime() - Date.now()) < 5 * 60_000);
  });

  it('creates an insert job into Leads with index mappings, ignore_empty and a callback, and reads SUCCESS', async () => {
    const module = new Modules.Module();
    module.setAPIName('Leads');
    const resource = new BulkWrite.Resource();
    resource.setType(new Choice('data'));
    resource.setModule(module);
    resource.setFileId(fileId.toString());
    resource.setIgnoreEmpty(true);
    resource.setFieldMappings(
      MAPPINGS.map(([apiName, index]) => {
        const m = new BulkWrite.FieldMapping();
        m.setAPIName(apiName);
        m.setIndex(index);
        return m;
      }),
    );
    const cb = new BulkWrite.CallBack();
    cb.setUrl(callback.url);
    cb.setMethod(new Choice('post'));
    const request = new BulkWrite.RequestWrapper();
    request.setCharacterEncoding('UTF-8');
    request.setOperation(new Choice('insert'));
    request.setCallback(cb);
    request.setResource([resource]);

    const response = await ops.createBulkWriteJob(request);
    assert.equal(response.getStatusCode(), 201);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'success');
    assert.equal(answer.getCode().getValue(), 'SUCCESS');
    assert.equal(answer.getMessage().getValue(), 'success');
    const id: unknown = answer.getDetails().get('id');
    assert.equal(typeof id, 'bigint', 'the job id is parsed with BigInt(), so it must be a string of digits');
    assert.ok((id as bigint) > 0n);
    jobId = id as bigint;
  });

  it('polls getBulkWriteJobDetails until COMPLETED and reads every BulkWriteResponse getter', async () => {
    const until = Date.now() + 30_000;
    const seen = new Set<string>();
    for (;;) {
      const response = await ops.getBulkWriteJobDetails(jobId);
      assert.equal(response.getStatusCode(), 200);
      const answer: unknown = response.getObject();
      assert.ok(answer instanceof BulkWrite.BulkWriteResponse, `expected BulkWriteResponse, got ${String(answer)}`);
      seen.add(answer.getStatus());
      if (answer.getStatus() === 'COMPLETED' || answer.getStatus() === 'FAILED') {
        details = answer;
        break;
      }
      assert.ok(Date.now() < until, `job still ${answer.getStatus()} after 30 s`);
      await sleep(50);
    }
    for (const s of seen) assert.ok(['ADDED', 'INPROGRESS', 'COMPLETED'].includes(s), `unexpected status ${s}`);

    // What the server sent, to compare ids exactly (the SDK turns them into bigints).
    const raw = await call<{ resource: Array<{ module: { id: string } }> }>(`${t.url}/crm/bulk/v2.1/write/${jobId}`, {
      headers: auth(t.creds.access_token),
    });

    assert.equal(details.getStatus(), 'COMPLETED');
    assert.equal(details.getCharacterEncoding(), 'UTF-8');
    assert.equal(details.getId(), jobId);
    assert.equal(details.getOperation(), 'insert');

    const resources = details.getResource();
    assert.equal(resources.length, 1);
    const r = resources[0]!;
    assert.ok(r instanceof BulkWrite.Resource);
    assert.equal(r.getStatus().getValue(), 'COMPLETED');
    assert.equal(r.getType().getValue(), 'data');
    assert.equal(r.getCode(), 'COMPLETED');
    assert.equal(r.getIgnoreEmpty(), true);
    assert.equal(r.getModule().getAPIName(), 'Leads');
    const moduleId = r.getModule().getId();
    assert.equal(typeof moduleId, 'bigint');
    assert.ok(moduleId > 0n);
    assert.equal(moduleId, BigInt(raw.body.resource[0]!.module.id));

    const mappings = r.getFieldMappings();
    assert.equal(mappings.length, MAPPINGS.length);
    const byName = new Map(mappings.map((m) => [m.getAPIName(), m]));
    for (const [apiName, index] of MAPPINGS) {
      const m = byName.get(apiName);
      assert.ok(m instanceof BulkWrite.FieldMapping, `mapping ${apiName} missing`);
      assert.equal(m.getIndex(), index);
      // Sent as null by the server; the SDK leaves null members unset.
      assert.equal(m.getFormat(), undefined);
      assert.equal(m.getFindBy(), undefined);
      assert.equal(m.getModule(), undefined);
      assert.equal(m.getDefaultValue(), undefined);
    }

    const file = r.getFile();
    assert.ok(file instanceof BulkWrite.File);
    assert.equal(file.getStatus().getValue(), 'COMPLETED');
    assert.equal(file.getName(), CSV_NAME);
    assert.equal(file.getAddedCount(), 3);
    assert.equal(file.getSkippedCount(), 1);
    assert.equal(file.getUpdatedCount(), 0);
    assert.equal(file.getTotalCount(), CSV_ROWS.length - 1);

    const cb = details.getCallback();
    assert.ok(cb instanceof BulkWrite.CallBack);
    assert.equal(cb.getUrl(), callback.url);
    assert.equal(cb.getMethod().getValue(), 'post');

    const result = details.getResult();
    assert.ok(result instanceof BulkWrite.Result);
    const url = new URL(result.getDownloadUrl());
    assert.equal(url.origin, new URL(t.url).origin, 'an absolute download URL on the server');

    const createdBy = details.getCreatedBy();
    assert.equal(createdBy.getId(), BigInt(t.server.org.user.id));
    assert.equal(createdBy.getName(), t.server.org.user.name);

    const created = details.getCreatedTime();
    assert.ok(created instanceof Date);
    assert.ok(!Number.isNaN(created.getTime()), 'created_time must be ISO-8601 that new Date() understands');
    assert.ok(Math.abs(created.getTime() - Date.now()) < 5 * 60_000);
  });

  it('downloads the result with downloadBulkWriteResult into a FileBodyWrapper holding the result zip', async () => {
    const response = await ops.downloadBulkWriteResult(details.getResult().getDownloadUrl());
    assert.equal(response.getStatusCode(), 200);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.FileBodyWrapper, `expected FileBodyWrapper, got ${String(answer)}`);
    const wrapper = answer.getFile();
    assert.equal(wrapper.getName(), `${jobId}.zip`);
    // The SDK hands over got's raw body (a Buffer), whatever the declared ReadStream type says.
    const zip = await sdkFileBytes(wrapper.getStream());
    assert.equal(zip.subarray(0, 4).toString('hex'), '504b0304', 'a zip file');

    const entries = await unzipEntries(zip);
    assert.equal(entries.size, 1);
    const [name, csv] = [...entries][0]!;
    assert.match(name, /\.csv$/);
    const parsed = Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true });
    const header = parsed.meta.fields ?? [];
    for (const col of ['STATUS', 'RECORD_ID', 'ERRORS']) assert.ok(header.includes(col), `no ${col} column`);
    const rows = parsed.data;
    assert.equal(rows.length, CSV_ROWS.length - 1, 'one result row per input row');
    rows.forEach((row, i) => {
      const input = CSV_ROWS[i + 1]!;
      assert.equal(row.Email, input[2], `row ${i + 1} keeps the input order`);
      if (input[0] === '') {
        assert.equal(row.STATUS, 'SKIPPED');
        assert.equal(row.RECORD_ID, '');
        assert.match(row.ERRORS ?? '', /MANDATORY_NOT_FOUND/);
        assert.match(row.ERRORS ?? '', /Last_Name/);
      } else {
        assert.equal(row.STATUS, 'ADDED');
        assert.match(row.RECORD_ID ?? '', /^\d+$/);
        assert.equal(row.ERRORS ?? '', '');
      }
    });
  });

  it('posted the finished job details once to the callback URL', async () => {
    await callback.waitFor(1, 10_000);
    await sleep(200); // a second (duplicate) POST would show up here
    assert.equal(callback.hits.length, 1, 'exactly one callback POST');
    const hit = callback.hits[0]!;
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/bulk-write-callback');
    assert.match(String(hit.headers['content-type']), /^application\/json/);
    const body = JSON.parse(hit.body) as Record<string, unknown>;
    assert.equal(body.status, 'COMPLETED');
    assert.equal(body.id, jobId.toString());
  });

  it('reads an unknown job id as an APIException with code RESOURCE_NOT_FOUND', async () => {
    const response = await ops.getBulkWriteJobDetails(1000000000000000001n);
    assert.equal(response.getStatusCode(), 400);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.APIException, `expected APIException, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'error');
    assert.equal(answer.getCode().getValue(), 'RESOURCE_NOT_FOUND');
    assert.equal(typeof answer.getMessage().getValue(), 'string');
    assert.ok(answer.getDetails() instanceof Map);
  });

  it('meets a scripted 429 on job details (a fault rule) as an APIException with code TOO_MANY_REQUESTS', async () => {
    // The SDK sends through got, which retries a GET answered 429 twice (about 1 s, then 2 s, later): its
    // user sees the 429 only when the third answer is one too.
    const id = await addFault(t.url, {
      match: { route: 'job_details' },
      times: 3,
      respond: { status: 429, code: 'TOO_MANY_REQUESTS' },
    });
    const response = await ops.getBulkWriteJobDetails(jobId);
    assert.deepEqual(
      (await listFaults(t.url)).map((r) => [r.id, r.hits]),
      [[id, 3]],
    );
    assert.equal(response.getStatusCode(), 429);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.APIException, `expected APIException, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'error');
    assert.equal(answer.getCode().getValue(), 'TOO_MANY_REQUESTS');
    assert.equal(answer.getMessage().getValue(), 'Too many requests. Please try again later.');
    // The rule is spent: the next poll is answered.
    const next: unknown = (await ops.getBulkWriteJobDetails(jobId)).getObject();
    assert.ok(next instanceof BulkWrite.BulkWriteResponse);
  });

  it('reads a job a fault rule fails at row 2 as FAILED, with 2 rows counted and the rest UNPROCESSED in its result', async () => {
    await addFault(t.url, { times: 1, job: { fail_at_row: 2, code: 'CANNOT_PROCESS' } });
    const failing = BigInt(await startLeadsJob(t, leadsCsv(5, 'SdkFail')));
    const answer = await sdkUntilFinished(
      async () => (await ops.getBulkWriteJobDetails(failing)).getObject() as unknown,
      (o): o is BulkWrite.BulkWriteResponse => o instanceof BulkWrite.BulkWriteResponse,
    );
    assert.equal(answer.getStatus(), 'FAILED');
    const r = answer.getResource()[0]!;
    assert.equal(r.getStatus().getValue(), 'FAILED');
    assert.equal(r.getCode(), 'CANNOT_PROCESS');
    assert.equal(r.getFile().getStatus().getValue(), 'FAILED');
    assert.equal(r.getFile().getAddedCount(), 2);
    assert.equal(r.getFile().getTotalCount(), 2);
    // Zoho's download-result page: a row's STATUS may be "unprocessed"; the SDK downloads it as any result.
    const download = (await ops.downloadBulkWriteResult(answer.getResult().getDownloadUrl())).getObject();
    assert.ok(download instanceof BulkWrite.FileBodyWrapper);
    assert.deepEqual(
      (await firstCsvRows(await sdkFileBytes(download.getFile().getStream()))).map((row) => row.STATUS),
      ['ADDED', 'ADDED', 'UNPROCESSED', 'UNPROCESSED', 'UNPROCESSED'],
    );
  });

  it('gets tokens through the grant-token flow, and refuses the used grant code with SDKException', async () => {
    const grantStore = join(dir, 'grant-tokens.csv');
    const grant = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .build();
    await initializeSdk({
      email: 'sdk.grant@bulkwrite.test',
      environment,
      token: grant,
      storePath: grantStore,
      resourcePath: dir,
    });

    // The first call exchanges the code (grant_type=authorization_code) and uses the new access token.
    const response = await ops.getBulkWriteJobDetails(jobId);
    assert.equal(response.getStatusCode(), 200);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.BulkWriteResponse, `expected BulkWriteResponse, got ${String(answer)}`);
    assert.equal(answer.getId(), jobId);
    assert.equal(answer.getStatus(), 'COMPLETED');

    const access = grant.getAccessToken();
    const refresh = grant.getRefreshToken();
    assert.ok(access, 'the SDK holds an access token');
    assert.notEqual(access, token.getAccessToken());
    assert.ok(refresh, 'the authorization_code answer carries a refresh_token');
    assert.notEqual(refresh, t.creds.refresh_token);
    const validForMs = Number(grant.getExpiresIn()) - Date.now();
    assert.ok(validForMs > (t.config.tokenTtlSeconds - 60) * 1000, `token valid for only ${validForMs} ms`);
    const rows = storedTokens(grantStore);
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0]![1], rows[0]![4], rows[0]![5], rows[0]![6]],
      ['sdk.grant@bulkwrite.test', refresh, access, t.creds.grant_code],
    );

    // The refresh token from the grant works for the refresh flow too.
    const refreshed = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(refresh)
      .build();
    await initializeSdk({
      email: 'sdk.grant-refresh@bulkwrite.test',
      environment,
      token: refreshed,
      storePath: join(dir, 'grant-refresh-tokens.csv'),
      resourcePath: dir,
    });
    const again: unknown = (await ops.getBulkWriteJobDetails(jobId)).getObject();
    assert.ok(again instanceof BulkWrite.BulkWriteResponse);
    assert.equal(again.getId(), jobId);
    assert.notEqual(refreshed.getAccessToken(), access);

    // A grant code is single use: the accounts answer {"error":"invalid_code"} becomes an SDKException.
    const reused = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .build();
    await initializeSdk({
      email: 'sdk.reused@bulkwrite.test',
      environment,
      token: reused,
      storePath: join(dir, 'reused-tokens.csv'),
      resourcePath: dir,
    });
    await assert.rejects(ops.getBulkWriteJobDetails(jobId), (e: unknown) => {
      assert.ok(e instanceof SDKException, `expected SDKException, got ${String(e)}`);
      const err = e as unknown as SdkError;
      assert.equal(err.code, 'INVALID TOKEN ERROR');
      // The message starts with the accounts `error` value; the SDK's own SDKException.toString() (called while
      // it logs the failure) appends JSON.stringify(details), i.e. "undefined", to it.
      assert.match(err.message, /^invalid_code/);
      return true;
    });
  });
});
