// Runs Zoho's official @zohocrm/typescript-sdk-8.0 (3.0.0), unmodified, against a real bulkwrite server on
// 127.0.0.1 through the whole v8 bulk write flow: token (refresh and grant) → upload → create → poll →
// every getter → download. Only the domain changes: a custom Environment pointing at the test server.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import {
  BulkWrite,
  Choice,
  DataCenter,
  FileStore,
  HeaderMap,
  InitializeBuilder,
  Levels,
  LogBuilder,
  Modules,
  OAuthBuilder,
  SDKConfigBuilder,
  SDKException,
  StreamWrapper,
  Users,
  type Environment,
  type OAuthToken,
} from '@zohocrm/typescript-sdk-8.0';
import { firstCsvRows, sdkFileBytes, unzipEntries } from '../helpers/api.js';
import { addFault, clearFaults, leadsCsv, listFaults, sdkUntilFinished, startLeadsJob } from '../helpers/faults.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

const CSV_NAME = 'v8_leads.csv';
const CSV_ROWS = [
  ['Last_Name', 'Email', 'Company'],
  ['Eight-One', 'one.v8@example.com', 'Acme'],
  ['Eight-Two', 'two.v8@example.com', 'Globex'],
  ['', 'nolast.v8@example.com', 'Initech'],
];
const CSV = Papa.unparse(CSV_ROWS, { newline: '\n' }) + '\n';

/** SDKException keeps its code in a private field. */
interface SdkError {
  code: string | null;
  message: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Leads with a subform, for a parent/child job: its rows live in the module Secondary. */
const SCHEMA = {
  fields: {
    Leads: [
      {
        api_name: 'Secondary',
        data_type: 'subform',
        fields: [{ api_name: 'Secondary_Email', data_type: 'email', mandatory: true }],
      },
    ],
  },
};

/** The v8 SDK's initialize() awaits the token exchange, so a refused token rejects here. */
async function initializeSdk(environment: Environment, token: OAuthToken, dir: string, store: string): Promise<void> {
  await new InitializeBuilder()
    .environment(environment)
    .token(token)
    .store(new FileStore(join(dir, store)))
    .SDKConfig(new SDKConfigBuilder().autoRefreshFields(false).pickListValidation(false).timeout(20_000).build())
    .resourcePath(dir)
    .logger(new LogBuilder().level(Levels.INFO).filePath(join(dir, 'sdk.log')).build())
    .initialize();
}

describe('the official @zohocrm/typescript-sdk-8.0, unmodified, against a real bulkwrite server (v8 paths)', () => {
  let t: TestServer;
  let dir: string;
  let environment: Environment;
  let token: OAuthToken;
  const ops = new BulkWrite.BulkWriteOperations();
  let fileId: bigint;
  let jobId: string;
  let details: BulkWrite.BulkWriteResponse;

  /** uploadFile as Zoho's samples call it: the zip as a StreamWrapper, with the feature and org headers. */
  const upload = async (zipPath: string) => {
    const body = new BulkWrite.FileBodyWrapper();
    body.setFile(new StreamWrapper(undefined, undefined, zipPath));
    const headers = new HeaderMap();
    await headers.add(BulkWrite.UploadFileHeader.FEATURE, 'bulk-write');
    await headers.add(BulkWrite.UploadFileHeader.X_CRM_ORG, t.creds.org_id);
    return ops.uploadFile(body, headers);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-ts8-sdk-'));
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    t = await startTestServer({ schemaFile: join(dir, 'schema.json') });
    environment = DataCenter.setEnvironment(t.url, t.creds.token_url, t.url);
    // findUser(false): otherwise the SDK asks /crm/v8/users?type=CurrentUser for a user name, which is not bulk write.
    token = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .refreshToken(t.creds.refresh_token)
      .findUser(false)
      .build();
    await initializeSdk(environment, token, dir, 'refresh-tokens.csv');
  });

  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets an access token from the accounts URL through the refresh-token flow, and keeps the api_domain answered', () => {
    const access = token.getAccessToken();
    assert.ok(access, 'the SDK holds an access token');
    assert.notEqual(access, t.creds.access_token, 'the SDK asked the server for a new one');
    const validForMs = Number(token.getExpiresIn()) - Date.now();
    assert.ok(validForMs > (t.config.tokenTtlSeconds - 60) * 1000, `token valid for only ${validForMs} ms`);
    assert.equal(token.getAPIDomain(), t.url, 'api_domain is this server: the SDK stays on its custom environment');
  });

  it('uploads a zip to /crm/v8/upload and reads FILE_UPLOAD_SUCCESS with a numeric file id', async () => {
    const zipPath = join(dir, 'v8_leads.zip');
    writeFileSync(zipPath, await makeZip({ [CSV_NAME]: CSV }));
    const response = await upload(zipPath);
    assert.equal(response.getStatusCode(), 200);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getCode().getValue(), 'FILE_UPLOAD_SUCCESS');
    assert.equal(answer.getMessage().getValue(), 'file uploaded.');
    const id: unknown = answer.getDetails().get('file_id');
    assert.equal(typeof id, 'bigint');
    fileId = id as bigint;
    const created: unknown = answer.getDetails().get('created_time');
    assert.ok(created instanceof Date && !Number.isNaN(created.getTime()));
  });

  it('creates a v8 job with file_names and reads SUCCESS with a string job id and a MinifiedUser with email', async () => {
    const module = new Modules.MinifiedModule();
    module.setAPIName('Leads');
    const resource = new BulkWrite.Resource();
    resource.setType(new Choice('data'));
    resource.setModule(module);
    resource.setFileId(fileId.toString());
    resource.setFileNames([CSV_NAME]);
    resource.setFieldMappings(
      CSV_ROWS[0]!.map((apiName, index) => {
        const m = new BulkWrite.FieldMapping();
        m.setAPIName(apiName);
        m.setIndex(index);
        return m;
      }),
    );
    const request = new BulkWrite.RequestWrapper();
    request.setCharacterEncoding('UTF-8');
    request.setOperation(new Choice('insert'));
    request.setIgnoreEmpty(true);
    request.setResource([resource]);

    const response = await ops.createBulkWriteJob(request);
    assert.equal(response.getStatusCode(), 201);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.SuccessResponse, `expected SuccessResponse, got ${String(answer)}`);
    assert.equal(answer.getCode().getValue(), 'SUCCESS');
    const id: unknown = answer.getDetails().get('id');
    assert.equal(typeof id, 'string', 'v8 types the job id as String');
    assert.match(id as string, /^\d{19}$/);
    jobId = id as string;
    const createdBy: unknown = answer.getDetails().get('created_by');
    assert.ok(createdBy instanceof Users.MinifiedUser, `created_by is a MinifiedUser, got ${String(createdBy)}`);
    assert.equal(createdBy.getEmail(), t.server.org.user.email);
    assert.equal(createdBy.getId(), BigInt(t.server.org.user.id));
  });

  it('polls getBulkWriteJobDetails until COMPLETED and reads every getter of the v8 BulkWriteResponse', async () => {
    const until = Date.now() + 30_000;
    for (;;) {
      const response = await ops.getBulkWriteJobDetails(jobId);
      assert.equal(response.getStatusCode(), 200);
      const answer: unknown = response.getObject();
      assert.ok(answer instanceof BulkWrite.BulkWriteResponse, `expected BulkWriteResponse, got ${String(answer)}`);
      if (answer.getStatus() === 'COMPLETED' || answer.getStatus() === 'FAILED') {
        details = answer;
        break;
      }
      assert.ok(['ADDED', 'INPROGRESS'].includes(answer.getStatus()));
      assert.ok(Date.now() < until, 'job still running after 30 s');
      await sleep(50);
    }
    assert.equal(details.getStatus(), 'COMPLETED');
    assert.equal(details.getId(), jobId);
    assert.equal(details.getOperation(), 'insert');
    assert.equal(details.getCharacterEncoding(), 'UTF-8');
    const createdBy = details.getCreatedBy();
    assert.ok(createdBy instanceof Users.MinifiedUser);
    assert.equal(createdBy.getName(), t.server.org.user.name);
    assert.equal(createdBy.getEmail(), t.server.org.user.email);
    const created = details.getCreatedTime();
    assert.ok(created instanceof Date && Math.abs(created.getTime() - Date.now()) < 5 * 60_000);

    const [r, ...more] = details.getResource();
    assert.equal(more.length, 0);
    assert.ok(r instanceof BulkWrite.Resource);
    assert.equal(r.getStatus().getValue(), 'COMPLETED');
    assert.equal(r.getType().getValue(), 'data');
    assert.equal(r.getCode(), 'COMPLETED');
    assert.ok(r.getModule() instanceof Modules.MinifiedModule);
    assert.equal(r.getModule().getAPIName(), 'Leads');
    assert.equal(typeof r.getModule().getId(), 'bigint');
    assert.deepEqual(r.getFileNames(), [CSV_NAME]);
    const mappings = r.getFieldMappings();
    assert.deepEqual(
      mappings.map((m) => [m.getAPIName(), m.getIndex()]),
      CSV_ROWS[0]!.map((name, i) => [name, i]),
    );
    for (const m of mappings) assert.equal(m.getParentColumnIndex(), undefined, 'sent as null');
    const file = r.getFile();
    assert.equal(file.getName(), CSV_NAME);
    assert.deepEqual(
      [file.getAddedCount(), file.getSkippedCount(), file.getUpdatedCount(), file.getTotalCount()],
      [2, 1, 0, 3],
    );
    assert.equal(new URL(details.getResult().getDownloadUrl()).origin, new URL(t.url).origin);
  });

  it('downloads the result with downloadBulkWriteResult into a FileBodyWrapper holding the result zip', async () => {
    const response = await ops.downloadBulkWriteResult(details.getResult().getDownloadUrl());
    assert.equal(response.getStatusCode(), 200);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.FileBodyWrapper, `expected FileBodyWrapper, got ${String(answer)}`);
    assert.equal(answer.getFile().getName(), `${jobId}.zip`);
    const zip = await sdkFileBytes(answer.getFile().getStream());
    const [name, csv] = [...(await unzipEntries(zip))][0]!;
    assert.equal(name, `Leads-${CSV_NAME}`);
    const rows = Papa.parse<Record<string, string>>(csv.toString('utf8'), { header: true, skipEmptyLines: true }).data;
    assert.deepEqual(
      rows.map((row) => row.STATUS),
      ['ADDED', 'ADDED', 'SKIPPED'],
    );
  });

  it('runs a parent/child job built with setFileNames and setParentColumnIndex, and reads each resource', async () => {
    const zipPath = join(dir, 'parent_child.zip');
    writeFileSync(
      zipPath,
      await makeZip({
        'Leads.csv': 'Ref,Last_Name,Email\nP1,Parent One,p1.v8@example.com\nP2,Parent Two,p2.v8@example.com\n',
        'Secondary.csv': 'Secondary_Email,Lead\ns1.v8@example.com,P1\ns2.v8@example.com,P2\ns3.v8@example.com,P9\n',
      }),
    );
    const uploaded: unknown = (await upload(zipPath)).getObject();
    assert.ok(uploaded instanceof BulkWrite.SuccessResponse);
    const zipId = String(uploaded.getDetails().get('file_id'));

    const mapping = (apiName: string, index: number, parentColumnIndex?: number) => {
      const m = new BulkWrite.FieldMapping();
      m.setAPIName(apiName);
      m.setIndex(index);
      if (parentColumnIndex !== undefined) m.setParentColumnIndex(parentColumnIndex);
      return m;
    };
    const resource = (moduleName: string, csv: string, mappings: BulkWrite.FieldMapping[]) => {
      const module = new Modules.MinifiedModule();
      module.setAPIName(moduleName);
      const r = new BulkWrite.Resource();
      r.setType(new Choice('data'));
      r.setModule(module);
      r.setFileId(zipId);
      r.setFileNames([csv]);
      r.setFieldMappings(mappings);
      return r;
    };
    const request = new BulkWrite.RequestWrapper();
    request.setOperation(new Choice('insert'));
    request.setResource([
      resource('Leads', 'Leads.csv', [mapping('Last_Name', 1), mapping('Email', 2)]),
      resource('Secondary', 'Secondary.csv', [mapping('Secondary_Email', 0), mapping('Parent_Id', 1, 0)]),
    ]);
    const created: unknown = (await ops.createBulkWriteJob(request)).getObject();
    assert.ok(created instanceof BulkWrite.SuccessResponse, `expected SuccessResponse, got ${String(created)}`);
    const id = created.getDetails().get('id') as string;

    let done: BulkWrite.BulkWriteResponse | undefined;
    for (const until = Date.now() + 30_000; !done; await sleep(50)) {
      const answer: unknown = (await ops.getBulkWriteJobDetails(id)).getObject();
      assert.ok(answer instanceof BulkWrite.BulkWriteResponse);
      if (answer.getStatus() === 'COMPLETED') done = answer;
      assert.ok(Date.now() < until, 'job still running after 30 s');
    }
    assert.deepEqual(
      done
        .getResource()
        .map((r) => [
          r.getModule().getAPIName(),
          r.getStatus().getValue(),
          r.getFileNames(),
          r.getFile().getName(),
          r.getFile().getAddedCount(),
          r.getFile().getSkippedCount(),
          r.getFile().getTotalCount(),
        ]),
      [
        ['Leads', 'COMPLETED', ['Leads.csv'], 'Leads.csv', 2, 0, 2],
        ['Secondary', 'COMPLETED', ['Secondary.csv'], 'Secondary.csv', 2, 1, 3],
      ],
    );
    assert.equal(done.getResource()[1]!.getFieldMappings()[1]!.getParentColumnIndex(), 0);
    const file: unknown = (await ops.downloadBulkWriteResult(done.getResult().getDownloadUrl())).getObject();
    assert.ok(file instanceof BulkWrite.FileBodyWrapper);
    const entries = await unzipEntries(await sdkFileBytes(file.getFile().getStream()));
    assert.deepEqual([...entries.keys()], ['Leads-Leads.csv', 'Secondary-Secondary.csv']);
    assert.match(entries.get('Secondary-Secondary.csv')!.toString('utf8'), /P9,SKIPPED,,RESOURCE_NOT_FOUND-Parent_Id/);
  });

  it('reads an unknown job id as an APIException RESOURCE_NOT_FOUND', async () => {
    const response = await ops.getBulkWriteJobDetails('1000000000000000001');
    assert.equal(response.getStatusCode(), 400);
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.APIException, `expected APIException, got ${String(answer)}`);
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
    const answer: unknown = response.getObject();
    assert.ok(answer instanceof BulkWrite.APIException, `expected APIException, got ${String(answer)}`);
    assert.equal(answer.getStatus().getValue(), 'error');
    assert.equal(answer.getCode().getValue(), 'TOO_MANY_REQUESTS');
    assert.equal((await listFaults(t.url))[0]!.hits, 3);
    assert.ok((await ops.getBulkWriteJobDetails(jobId)).getObject() instanceof BulkWrite.BulkWriteResponse);
    await clearFaults(t.url);
  });

  it('reads a job a fault rule fails at row 2 as FAILED, with 2 rows counted and the rest UNPROCESSED in its result', async () => {
    await addFault(t.url, { times: 1, job: { fail_at_row: 2 } });
    const failing = await startLeadsJob(t, leadsCsv(5, 'V8Fail'));
    const answer = await sdkUntilFinished(
      async () => (await ops.getBulkWriteJobDetails(failing)).getObject() as unknown,
      (o): o is BulkWrite.BulkWriteResponse => o instanceof BulkWrite.BulkWriteResponse,
    );
    assert.equal(answer.getStatus(), 'FAILED');
    const r = answer.getResource()[0]!;
    assert.deepEqual(
      [r.getStatus().getValue(), r.getCode(), r.getFile().getStatus().getValue()],
      ['FAILED', 'CANNOT_PROCESS', 'FAILED'],
    );
    assert.deepEqual([r.getFile().getAddedCount(), r.getFile().getTotalCount()], [2, 2]);
    // Zoho's download-result page: a row's STATUS may be "unprocessed"; the SDK downloads it as any result.
    const download = (await ops.downloadBulkWriteResult(answer.getResult().getDownloadUrl())).getObject();
    assert.ok(download instanceof BulkWrite.FileBodyWrapper);
    assert.deepEqual(
      (await firstCsvRows(await sdkFileBytes(download.getFile().getStream()))).map((row) => row.STATUS),
      ['ADDED', 'ADDED', 'UNPROCESSED', 'UNPROCESSED', 'UNPROCESSED'],
    );
  });

  it('refuses a callback method other than post before sending it; curl gets INVALID_CALLBACK_METHOD from the server', async () => {
    const jobsBefore = (await t.server.storage.jobs.list(t.creds.org_id, 100)).length;
    const module = new Modules.MinifiedModule();
    module.setAPIName('Leads');
    const resource = new BulkWrite.Resource();
    resource.setType(new Choice('data'));
    resource.setModule(module);
    resource.setFileId(fileId.toString());
    const cb = new BulkWrite.CallBack();
    cb.setUrl('https://example.test/hook');
    cb.setMethod(new Choice('get'));
    const request = new BulkWrite.RequestWrapper();
    request.setOperation(new Choice('insert'));
    request.setCallback(cb);
    request.setResource([resource]);
    // The SDK checks choice values against its json_details (method: ["post"]) and never sends the request.
    await assert.rejects(ops.createBulkWriteJob(request), /"accepted-values":\["post"\]/);
    assert.equal((await t.server.storage.jobs.list(t.creds.org_id, 100)).length, jobsBefore);
    const raw = await fetch(`${t.url}/crm/bulk/v8/write`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${t.creds.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        operation: 'insert',
        callback: { url: 'https://example.test/hook', method: 'get' },
        resource: [{ type: 'data', module: { api_name: 'Leads' }, file_id: fileId.toString() }],
      }),
    });
    assert.equal(raw.status, 400);
    assert.equal(((await raw.json()) as { code: string }).code, 'INVALID_CALLBACK_METHOD');
  });

  it('gets tokens through the grant-token flow, and refuses the used grant code with SDKException', async () => {
    const grant = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .findUser(false)
      .build();
    await initializeSdk(environment, grant, dir, 'grant-tokens.csv');
    assert.ok(grant.getAccessToken());
    assert.match(String(grant.getRefreshToken()), /^1000\./, 'the authorization_code answer carries a refresh_token');
    const answer: unknown = (await ops.getBulkWriteJobDetails(jobId)).getObject();
    assert.ok(answer instanceof BulkWrite.BulkWriteResponse);
    assert.equal(answer.getId(), jobId);

    const reused = new OAuthBuilder()
      .clientId(t.creds.client_id)
      .clientSecret(t.creds.client_secret)
      .grantToken(t.creds.grant_code)
      .findUser(false)
      .build();
    await assert.rejects(initializeSdk(environment, reused, dir, 'reused-tokens.csv'), (e: unknown) => {
      assert.ok(e instanceof SDKException, `expected SDKException, got ${String(e)}`);
      const err = e as unknown as SdkError;
      assert.equal(err.code, 'INVALID TOKEN ERROR');
      assert.match(err.message, /^invalid_code/);
      return true;
    });
  });
});
