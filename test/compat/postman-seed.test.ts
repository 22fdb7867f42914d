import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// ---------------------------------------------------------------------------------------------
// The seed's Postman item, kept in test/fixtures/seed/ (the job-details page the project started from).
// ---------------------------------------------------------------------------------------------

interface SeedUrl {
  raw: string;
}

interface SeedAuth {
  type: string;
  bearer?: Array<{ key: string; value: string; type: string }>;
}

interface SeedExample {
  name: string;
  originalRequest: { method: string; url: SeedUrl };
  code: number;
  body: string;
}

interface SeedItem {
  name: string;
  request: { auth: SeedAuth; method: string; url: SeedUrl };
  response: SeedExample[];
}

/** The repository root is three levels up from dist/test/compat/postman-seed.test.js. */
const repoRoot = new URL('../../../', import.meta.url);
const seedPath = fileURLToPath(new URL('test/fixtures/seed/postman-job-details.item.json', repoRoot));

const SUCCESS = 'SUCCESS RESPONSE';
const ERRORS = [
  'INVALID_URL_PATTERN',
  'INVALID_REQUEST_METHOD',
  'AUTHENTICATION_FAILURE',
  'RESOURCE_NOT_FOUND',
  'OAUTH_SCOPE_MISMATCH',
] as const;

// ---------------------------------------------------------------------------------------------
// The small part of newman's Node API this file uses (newman ships no TypeScript types).
// ---------------------------------------------------------------------------------------------

interface PostmanEvent {
  listen: 'test';
  script: { type: 'text/javascript'; exec: string[] };
}

interface PostmanItem {
  name: string;
  request: { method: string; url: string; header: never[]; auth: SeedAuth };
  event: PostmanEvent[];
}

interface PostmanCollection {
  info: { name: string; schema: string };
  item: PostmanItem[];
}

interface PostmanEnvironment {
  name: string;
  values: Array<{ key: string; value: string; type: 'default' | 'secret'; enabled: boolean }>;
}

interface NewmanRunOptions {
  collection: PostmanCollection;
  environment: PostmanEnvironment;
  reporters: string[];
  timeout: number;
  timeoutRequest: number;
  timeoutScript: number;
  ignoreRedirects: boolean;
}

interface NewmanStat {
  total: number;
  failed: number;
  pending: number;
}

interface NewmanError {
  name: string;
  message: string;
  test?: string;
}

interface NewmanExecution {
  item: { name: string };
  request: { method: string; url: { toString(): string; getHost(): string; getPath(): string } };
  response?: { code: number; text(): string };
  requestError?: NewmanError;
  assertions?: Array<{ assertion: string; skipped: boolean; error?: NewmanError }>;
  testScript?: Array<{ error: NewmanError }>;
}

interface NewmanSummary {
  error?: unknown;
  run: {
    stats: Record<'iterations' | 'items' | 'requests' | 'testScripts' | 'assertions', NewmanStat>;
    failures: Array<{ error: NewmanError; source?: { name?: string } }>;
    executions: NewmanExecution[];
    error?: unknown;
  };
}

interface Newman {
  run(options: NewmanRunOptions, callback: (err: Error | null, summary: NewmanSummary) => void): unknown;
}

const newman = createRequire(import.meta.url)('newman') as Newman;

function runNewman(options: NewmanRunOptions): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => {
    newman.run(options, (err, summary) => (err ? reject(err) : resolve(summary)));
  });
}

// ---------------------------------------------------------------------------------------------
// The Postman test scripts, run inside newman's sandbox against each response.
// ---------------------------------------------------------------------------------------------

/** Names of the pm.test assertions each script makes, in order. */
const SUCCESS_TESTS = [
  'HTTP status is the seed code',
  'Content-Type is JSON',
  'body has the seed keys, in order, with the same JSON types',
  'status is COMPLETED',
];
const ERROR_TESTS = ['HTTP status is the seed code', 'Content-Type is JSON', 'body is the seed body'];

function successScript(example: SeedExample): string[] {
  return [
    `const expected = JSON.parse(${JSON.stringify(example.body)});`,
    `pm.test(${JSON.stringify(SUCCESS_TESTS[0])}, function () {`,
    `  pm.expect(pm.response.code).to.equal(${JSON.stringify(example.code)});`,
    `});`,
    `pm.test(${JSON.stringify(SUCCESS_TESTS[1])}, function () {`,
    `  pm.expect(String(pm.response.headers.get('Content-Type'))).to.match(/^application\\/json/);`,
    `});`,
    `function kind(v) { return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v; }`,
    `function sameShape(actual, exp, path) {`,
    `  pm.expect(kind(actual), path + ': type').to.equal(kind(exp));`,
    `  if (Array.isArray(exp)) {`,
    `    pm.expect(actual.length, path + ': empty array').to.be.above(0);`,
    `    actual.forEach(function (item) { sameShape(item, exp[0], path + '[]'); });`,
    `  } else if (kind(exp) === 'object') {`,
    `    pm.expect(Object.keys(actual), path + ': keys').to.eql(Object.keys(exp));`,
    `    Object.keys(exp).forEach(function (k) { sameShape(actual[k], exp[k], path + '.' + k); });`,
    `  }`,
    `}`,
    `pm.test(${JSON.stringify(SUCCESS_TESTS[2])}, function () {`,
    `  sameShape(JSON.parse(pm.response.text()), expected, '$');`,
    `});`,
    `pm.test(${JSON.stringify(SUCCESS_TESTS[3])}, function () {`,
    `  pm.expect(JSON.parse(pm.response.text()).status).to.equal('COMPLETED');`,
    `});`,
  ];
}

function errorScript(example: SeedExample): string[] {
  return [
    `const expected = JSON.stringify(JSON.parse(${JSON.stringify(example.body)}));`,
    `pm.test(${JSON.stringify(ERROR_TESTS[0])}, function () {`,
    `  pm.expect(pm.response.code).to.equal(${JSON.stringify(example.code)});`,
    `});`,
    `pm.test(${JSON.stringify(ERROR_TESTS[1])}, function () {`,
    `  pm.expect(String(pm.response.headers.get('Content-Type'))).to.match(/^application\\/json/);`,
    `});`,
    `pm.test(${JSON.stringify(ERROR_TESTS[2])}, function () {`,
    `  pm.expect(JSON.stringify(JSON.parse(pm.response.text()))).to.equal(expected);`,
    `});`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Building the collection: one item per saved example response.
// ---------------------------------------------------------------------------------------------

const bearer = (variable: string): SeedAuth => ({
  type: 'bearer',
  bearer: [{ key: 'token', value: `{{${variable}}}`, type: 'string' }],
});

function buildCollection(seed: SeedItem): PostmanCollection {
  const item = seed.response.map((example): PostmanItem => {
    const isSuccess = example.name === SUCCESS;
    // The success example names a job of Zoho's; ask for the job made here instead, as the item does.
    const url = isSuccess
      ? example.originalRequest.url.raw.replace(/\/\d+$/, '/{{job_id}}')
      : example.originalRequest.url.raw;
    const auth =
      example.name === 'AUTHENTICATION_FAILURE'
        ? { type: 'noauth' }
        : example.name === 'OAUTH_SCOPE_MISMATCH'
          ? bearer('scopeless-token')
          : seed.request.auth;
    return {
      name: example.name,
      request: { method: example.originalRequest.method, url, header: [], auth },
      event: [
        {
          listen: 'test',
          script: { type: 'text/javascript', exec: isSuccess ? successScript(example) : errorScript(example) },
        },
      ],
    };
  });
  return {
    info: {
      name: `bulkwrite: seed ${seed.name}`,
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item,
  };
}

// ---------------------------------------------------------------------------------------------

describe('the seed Postman item "Job Details", run with newman against a real server', () => {
  const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as SeedItem;
  const examples = new Map(seed.response.map((e) => [e.name, e]));
  let t: TestServer;
  let jobId: string;
  let collection: PostmanCollection;
  let summary: NewmanSummary;

  before(async () => {
    t = await startTestServer({ host: '127.0.0.1' });
    assert.equal(new URL(t.url).hostname, '127.0.0.1', 'the test server listens on 127.0.0.1');
    const csv = 'Last_Name,Mobile,Owner\nOne,555-0100,\nTwo,555-0101,\n,555-0102,\n';
    const { jobId: id, details } = await runJob(
      t,
      csv,
      {
        field_mappings: [
          { api_name: 'Owner', index: 2 },
          { api_name: 'Last_Name', index: 0 },
          { api_name: 'Mobile', index: 1 },
        ],
      },
      { operation: 'insert', ignore_empty: true, callback: { url: 'http://127.0.0.1:9/', method: 'post' } },
    );
    assert.equal(details.status, 'COMPLETED', 'the job made for the success case completes');
    jobId = id;
    const scopeless = await t.credentials(['ZohoCRM.modules.ALL']);

    collection = buildCollection(seed);
    // Keep every request on 127.0.0.1 even where a proxy is configured in the environment.
    process.env.NO_PROXY = ['127.0.0.1', process.env.NO_PROXY ?? process.env.no_proxy]
      .filter((v) => v !== undefined && v !== '')
      .join(',');
    summary = await runNewman({
      collection,
      environment: {
        name: 'bulkwrite test server',
        values: [
          { key: 'api-domain', value: t.url, type: 'default', enabled: true },
          { key: 'access-token', value: t.creds.access_token, type: 'secret', enabled: true },
          { key: 'scopeless-token', value: scopeless.access_token, type: 'secret', enabled: true },
          { key: 'job_id', value: jobId, type: 'default', enabled: true },
        ],
      },
      reporters: [],
      timeout: 60_000,
      timeoutRequest: 10_000,
      timeoutScript: 10_000,
      ignoreRedirects: true,
    });
  });
  after(() => t?.close());

  it('holds the request and exactly the six saved example responses the brief names', () => {
    assert.equal(seed.request.method, 'GET');
    assert.equal(seed.request.url.raw, '{{api-domain}}/crm/bulk/v2.1/write/{{job_id}}');
    assert.deepEqual(seed.request.auth, bearer('access-token'));
    assert.deepEqual(
      seed.response.map((e) => e.name),
      [SUCCESS, ...ERRORS],
    );
    const success = examples.get(SUCCESS)!;
    assert.equal(success.originalRequest.url.raw.replace(/\/\d+$/, '/{{job_id}}'), seed.request.url.raw);
  });

  it('builds one collection item per example, with its method, URL and auth', () => {
    assert.deepEqual(
      collection.item.map((i) => [i.name, i.request.method, i.request.url, i.request.auth.type]),
      [
        [SUCCESS, 'GET', '{{api-domain}}/crm/bulk/v2.1/write/{{job_id}}', 'bearer'],
        ['INVALID_URL_PATTERN', 'GET', '{{api-domain}}/crm/bulk/v2.1/writ/4150868000005350003', 'bearer'],
        ['INVALID_REQUEST_METHOD', 'PUT', '{{api-domain}}/crm/bulk/v2.1/write/4150868000005350003', 'bearer'],
        ['AUTHENTICATION_FAILURE', 'GET', '{{api-domain}}/crm/bulk/v2.1/write/4150868000005350003', 'noauth'],
        ['RESOURCE_NOT_FOUND', 'GET', '{{api-domain}}/crm/bulk/v2.1/write/415086800000535000', 'bearer'],
        ['OAUTH_SCOPE_MISMATCH', 'GET', '{{api-domain}}/crm/bulk/v2.1/write/4150868000005350003', 'bearer'],
      ],
    );
  });

  it('finishes the newman run with no failures and every assertion passed', () => {
    const failures = summary.run.failures.map(
      (f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`,
    );
    assert.deepEqual(failures, []);
    assert.equal(summary.error, undefined);
    assert.ok(!summary.run.error, 'newman reported a run error');
    const { iterations, items, requests, testScripts, assertions } = summary.run.stats;
    assert.deepEqual(
      [iterations.total, items.total, requests.total, testScripts.total],
      [1, 6, 6, 6],
      'iterations, items, requests and test scripts executed',
    );
    assert.equal(assertions.total, SUCCESS_TESTS.length + ERRORS.length * ERROR_TESTS.length);
    assert.deepEqual(
      [iterations.failed, items.failed, requests.failed, testScripts.failed, assertions.failed],
      [0, 0, 0, 0, 0],
    );
  });

  it('sent every request to the test server on 127.0.0.1', () => {
    assert.equal(summary.run.executions.length, 6);
    for (const ex of summary.run.executions) {
      assert.equal(ex.request.url.getHost(), '127.0.0.1', `${ex.item.name}: host`);
      assert.ok(ex.request.url.toString().startsWith(`${t.url}/crm/bulk/v2.1/`), `${ex.item.name}: URL`);
    }
  });

  const cases: Array<[string, string]> = [
    [SUCCESS, 'answers the completed job with HTTP 200 and the shape of SUCCESS RESPONSE'],
    ['INVALID_URL_PATTERN', 'answers an unknown path with the seed INVALID_URL_PATTERN'],
    ['INVALID_REQUEST_METHOD', 'answers PUT on a job with the seed INVALID_REQUEST_METHOD'],
    ['AUTHENTICATION_FAILURE', 'answers a request without credentials with the seed AUTHENTICATION_FAILURE'],
    ['RESOURCE_NOT_FOUND', 'answers an unknown job id with the seed RESOURCE_NOT_FOUND'],
    ['OAUTH_SCOPE_MISMATCH', 'answers a token without a bulk scope with the seed OAUTH_SCOPE_MISMATCH'],
  ];
  for (const [name, title] of cases) {
    it(`${title}, checked by the Postman test script`, () => {
      const example = examples.get(name)!;
      const ex = summary.run.executions.find((e) => e.item.name === name);
      assert.ok(ex, `${name} was executed`);
      assert.equal(ex.requestError, undefined, `${name}: request error`);
      assert.deepEqual(ex.testScript ?? [], [], `${name}: test script errors`);
      assert.equal(ex.request.method, example.originalRequest.method);
      const expectedPath =
        name === SUCCESS
          ? `/crm/bulk/v2.1/write/${jobId}`
          : example.originalRequest.url.raw.replace('{{api-domain}}', '');
      assert.equal(ex.request.url.getPath(), expectedPath);
      assert.equal(ex.response?.code, example.code, `${name}: HTTP status (body: ${ex.response?.text() ?? ''})`);
      if (name !== SUCCESS) {
        const text = ex.response?.text() ?? '';
        assert.equal(JSON.stringify(JSON.parse(text)), JSON.stringify(JSON.parse(example.body)), `${name}: body`);
      }
      const results = (ex.assertions ?? []).map((a) => [a.assertion, a.skipped, a.error?.message ?? 'passed']);
      const names = name === SUCCESS ? SUCCESS_TESTS : ERROR_TESTS;
      assert.deepEqual(
        results,
        names.map((n) => [n, false, 'passed']),
      );
    });
  }
});
