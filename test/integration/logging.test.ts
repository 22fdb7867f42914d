import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger, LOG_LEVELS } from '../../src/log.js';
import { auth, call } from '../helpers/api.js';
import { cli } from '../helpers/cli.js';
import { injectTestServer } from '../helpers/inject.js';
import type { TestServer } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A pino destination that keeps what is written, as text and as parsed lines. */
function capture() {
  const chunks: string[] = [];
  return {
    write: (chunk: string) => void chunks.push(chunk),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logging: one pino logger, request ids, and no secrets', () => {
  const out = capture();
  let t: TestServer;
  before(async () => {
    t = await injectTestServer(
      {},
      {
        logger: createLogger({ level: 'info', name: 'bulkwrite' }, out),
        // A store that fails reading jobs: the job-details route answers 500.
        storage: (storage) => ({
          ...storage,
          jobs: {
            ...storage.jobs,
            get: async () => {
              throw new Error('the disk is on fire');
            },
          },
        }),
      },
    );
  });
  after(() => t.close());

  it('logs a 5xx at error with its request id and the cause, and never the token', async () => {
    const token = t.creds.access_token;
    const res = await call(`${t.url}/crm/bulk/v2.1/write/4150868000000100000?access_token=${token}`, {
      headers: { ...auth(token), 'x-request-id': 'probe-500' },
    });
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'INTERNAL_ERROR');
    assert.doesNotMatch(res.text, /fire/, 'the cause stays in the log');
    assert.equal(res.headers.get('x-request-id'), 'probe-500');

    const lines = out.lines().filter((l) => l.reqId === 'probe-500');
    const failed = lines.find((l) => l.msg === 'request failed');
    assert.equal(failed?.level, 50, JSON.stringify(lines));
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.path, '/crm/bulk/v2.1/write/4150868000000100000');
    const cause = lines.find((l) => (l.err as { message?: string } | undefined)?.message === 'the disk is on fire');
    assert.equal(cause?.level, 50);
    assert.equal(cause.name, 'bulkwrite');
    for (const secret of [token, t.creds.refresh_token, t.creds.client_secret]) {
      assert.equal(out.text().includes(secret), false, 'a secret reached the log');
    }
  });

  it('leaves no line for a client error at the info level', async () => {
    const before = out.lines().length;
    const res = await call(`${t.url}/crm/bulk/v2.1/write/1`, { headers: { 'x-request-id': 'probe-401' } });
    assert.equal(res.status, 401);
    assert.equal(out.lines().length, before);
  });

  it('echoes a plain X-Request-Id and replaces one that is too long or not plain with a UUID', async () => {
    const idOf = async (path: string, given?: string) =>
      (await call(`${t.url}${path}`, { headers: given === undefined ? {} : { 'x-request-id': given } })).headers.get(
        'x-request-id',
      );
    assert.equal(await idOf('/crm/bulk/v2.1/write/1', 'lb-7f3a.2:node_1'), 'lb-7f3a.2:node_1');
    assert.equal(await idOf('/crm/bulk/v2.1/writ/1', 'on-a-404'), 'on-a-404');
    assert.equal(await idOf('/crm/bulk/v2.1/write', 'on-a-405'), 'on-a-405');
    for (const given of ['x'.repeat(129), 'two words', '<script>', '', 'ü']) {
      assert.match(String(await idOf('/crm/bulk/v2.1/write/1', given)), UUID, JSON.stringify(given));
    }
    const [a, b] = [await idOf('/oauth/v2/token'), await idOf('/oauth/v2/token')];
    assert.match(String(a), UUID);
    assert.notEqual(a, b);
  });
});

describe('the log configuration', () => {
  it('redacts authorization headers, tokens, secrets and PostgreSQL’s row detail wherever they are logged', () => {
    const out = capture();
    createLogger({ level: 'info', name: 'bulkwrite' }, out).info(
      {
        headers: { authorization: 'Zoho-oauthtoken 1000.aaa.bbb', 'x-bulkwrite-admin-key': 'adm-key-1' },
        busboyOptions: { headers: { authorization: 'Zoho-oauthtoken 1000.ggg.hhh' }, limits: { files: 1 } },
        reply: { headers: { authorization: 'Zoho-oauthtoken 1000.iii.jjj' } },
        refresh_token: '1000.ccc.ddd',
        client: { client_secret: 'shh-secret', token: '1000.eee.fff' },
        err: { message: 'duplicate key', detail: 'Key (email)=(ada@example.com) already exists.' },
      },
      'something logged whole',
    );
    const text = out.text();
    for (const secret of [
      '1000.aaa.bbb',
      '1000.ccc.ddd',
      'shh-secret',
      '1000.eee.fff',
      'ada@example.com',
      'adm-key-1',
      '1000.ggg.hhh',
      '1000.iii.jjj',
    ]) {
      assert.equal(text.includes(secret), false, secret);
    }
    assert.match(text, /\[redacted\]/);
    assert.match(text, /duplicate key/);
  });

  it('takes every pino level and silent from BULKWRITE_LOG_LEVEL in any case, info by default, and refuses anything else', () => {
    assert.equal(loadConfig({}).logLevel, 'info');
    for (const level of LOG_LEVELS) assert.equal(loadConfig({ BULKWRITE_LOG_LEVEL: level }).logLevel, level);
    assert.equal(loadConfig({ BULKWRITE_LOG_LEVEL: 'INFO' }).logLevel, 'info');
    for (const bad of ['verbose', 'warning', '30']) {
      assert.throws(
        () => loadConfig({ BULKWRITE_LOG_LEVEL: bad }),
        new RegExp(`BULKWRITE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "${bad}"`),
      );
    }
    assert.throws(() => createLogger({ level: 'loud', name: 'x' }), /must be one of/);
  });

  it('stops serve and worker at start with one clear line for an unknown log level', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkwrite-loglevel-'));
    try {
      for (const command of ['serve', 'worker']) {
        const run = await cli([command, '--data-dir', dir], { BULKWRITE_LOG_LEVEL: 'chatty' }, dir);
        assert.equal(run.code, 1, run.stderr);
        assert.equal(
          run.stderr,
          'bulkwrite: BULKWRITE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "chatty"\n',
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
