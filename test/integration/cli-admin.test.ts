import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '../helpers/api.js';
import { CLI } from '../helpers/cli.js';
import { serveProcess } from '../helpers/serve-process.js';

const KEY = 'admin-key-for-the-cli-test';

describe('bulkwrite admin against a running server', () => {
  let dataDir: string;
  let stateDir: string;
  let server: ChildProcess;
  let url: string;

  /** The real CLI process; the key from BULKWRITE_ADMIN_KEY unless `env` says otherwise. */
  const admin = (args: string[], env: Record<string, string> = { BULKWRITE_ADMIN_KEY: KEY }) => {
    const { BULKWRITE_ADMIN_KEY: _k, BULKWRITE_URL: _u, ...rest } = process.env;
    const run = spawnSync(process.execPath, [CLI, 'admin', ...args], {
      encoding: 'utf8',
      env: { ...rest, BULKWRITE_URL: url, BULKWRITE_STATE_DIR: stateDir, NO_COLOR: '1', ...env },
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  const json = (args: string[]) => {
    const run = admin([...args, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Record<string, unknown>;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-admin-'));
    stateDir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-admin-state-'));
    ({ proc: server, url } = await serveProcess(dataDir, {
      ...process.env,
      BULKWRITE_LOG_LEVEL: 'warn',
      BULKWRITE_ADMIN_KEY: KEY,
    }));
  });
  after(async () => {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses without the admin key and with a wrong one: the server code, a hint, exit 6', () => {
    const none = admin(['clock', 'get'], {});
    assert.equal(none.code, 6, none.stderr);
    assert.match(none.stderr, /ADMIN_KEY_REQUIRED \(HTTP 401\)/);
    assert.match(none.stderr, /--admin-key or BULKWRITE_ADMIN_KEY/);
    assert.equal(none.stdout, '');
    const wrong = admin(['clock', 'get', '--admin-key', 'not-the-key'], {});
    assert.equal(wrong.code, 6, wrong.stderr);
    assert.match(wrong.stderr, /ADMIN_KEY_INVALID \(HTTP 401\)/);
    const flag = admin(['clock', 'get', '--admin-key', KEY], {});
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(flag.stdout, /clock: .* \(real time\)/);
  });

  it('adds a fault rule that a plain HTTP call meets, lists it, sees it in the request journal, clears it', async () => {
    const store = json(['reset']);
    assert.equal(store.reset, 'store');
    const token = String(store.access_token);
    const orgId = String(store.org_id);

    const added = admin([
      'faults',
      'add',
      '--route',
      'job_details',
      '--status',
      '429',
      '--code',
      'TOO_MANY_REQUESTS',
      '--times',
      '1',
      '--org',
      orgId,
    ]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /fault rule [0-9a-f-]{36} added: respond 429 TOO_MANY_REQUESTS/);

    const listed = admin(['faults', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /job_details\s+\d+\s+respond 429 TOO_MANY_REQUESTS\s+1\s+0/);

    const auth = { authorization: `Zoho-oauthtoken ${token}` };
    const hit = await call(`${url}/crm/bulk/v2.1/write/1`, { headers: auth });
    assert.equal(hit.status, 429);
    assert.equal(hit.body.code, 'TOO_MANY_REQUESTS');
    const next = await call(`${url}/crm/bulk/v2.1/write/1`, { headers: auth });
    assert.equal(next.body.code, 'RESOURCE_NOT_FOUND', 'times 1: the second call gets the real answer');

    const rules = json(['faults', 'list']).faults as { hits: number; remaining: number }[];
    assert.deepEqual(
      rules.map((r) => [r.hits, r.remaining]),
      [[1, 0]],
    );

    const journal = json(['requests', '--route', 'job_details', '--limit', '5']).requests as {
      status: number;
      code: string;
    }[];
    assert.deepEqual(
      journal.map((r) => [r.status, r.code]),
      [
        [429, 'TOO_MANY_REQUESTS'],
        [next.status, 'RESOURCE_NOT_FOUND'],
      ],
    );
    const human = admin(['requests', '--route', 'job_details']);
    assert.match(human.stdout, /GET\s+\/crm\/bulk\/v2\.1\/write\/1\s+429\s+TOO_MANY_REQUESTS\s+job_details/);

    const viaJson = admin(['faults', 'add', '--json-rule', JSON.stringify({ match: { route: 'upload' }, drop: true })]);
    assert.equal(viaJson.code, 0, viaJson.stderr);
    assert.match(viaJson.stdout, /added: drop/);
    const one = json(['faults', 'list']).faults as { id: string }[];
    const removed = admin(['faults', 'clear', one[1]!.id]);
    assert.match(removed.stdout, /^1 fault rule removed/);
    assert.deepEqual(json(['faults', 'clear']), { deleted: 1 });
    assert.match(admin(['faults', 'list']).stdout, /^no fault rules/);
  });

  it('answers a refused rule with the server code and its JSON path, exit 5; usage errors exit 2', () => {
    const bad = admin(['faults', 'add', '--route', 'job_details', '--code', 'NOT_A_CODE']);
    assert.equal(bad.code, 5, bad.stderr);
    assert.match(bad.stderr, /INVALID_DATA \(HTTP 400\): .*\(at \$\.respond\.code\)/);
    const notJson = admin(['faults', 'add', '--json-rule', '{nope']);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /--json-rule is not valid JSON/);
    const unknown = admin(['fly']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown admin subcommand "fly"/);
    const gone = admin(['faults', 'clear', '00000000-0000-0000-0000-000000000000']);
    assert.equal(gone.code, 5);
    assert.match(gone.stderr, /RESOURCE_NOT_FOUND \(HTTP 404\)/);
  });

  it('moves, sets, reads and resets the clock', () => {
    const advanced = json(['clock', 'advance', '7200000']);
    assert.equal(advanced.real_time, false);
    assert.ok(Math.abs(Number(advanced.offset_ms) - 7_200_000) < 5_000);
    const set = admin(['clock', 'set', '2030-01-01T00:00:00Z']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /clock: 2030-01-01T00:00:0\d\.\d+Z \(offset \d+ ms from real time\)/);
    assert.match(String(json(['clock', 'get']).now), /^2030-01-01T00:00/);
    const back = admin(['clock', 'reset']);
    assert.match(back.stdout, /\(real time\)/);
    assert.equal(json(['clock']).real_time, true);
  });

  it("sets, reads and turns off an org's limits; a limit set by the CLI refuses a plain call", async () => {
    const store = json(['reset']);
    const orgId = String(store.org_id);
    const auth = { authorization: `Zoho-oauthtoken ${String(store.access_token)}` };
    assert.equal(admin(['limits', 'get']).code, 2, 'limits need --org');
    const set = admin(['limits', 'set', '--org', orgId, '--daily-credits', '2', '--max-rows', '100']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, new RegExp(`org ${orgId}: daily_credits 2 · max_rows 100`));
    await call(`${url}/crm/bulk/v2.1/write/1`, { headers: auth });
    await call(`${url}/crm/bulk/v2.1/write/1`, { headers: auth });
    const third = await call(`${url}/crm/bulk/v2.1/write/1`, { headers: auth });
    assert.equal(third.body.code, 'TOO_MANY_REQUESTS');
    const got = json(['limits', 'get', '--org', orgId]) as { usage: { credits_used: number } };
    assert.equal(got.usage.credits_used, 2);
    const zoho = json(['limits', 'set', '--org', orgId, '--profile', 'zoho', '--edition', 'free']) as {
      limits: { daily_credits: number; profile: string };
    };
    assert.deepEqual([zoho.limits.daily_credits, zoho.limits.profile], [5000, 'zoho:free']);
    const off = admin(['limits', 'off', '--org', orgId]);
    assert.match(off.stdout, /no limits/);
    const missing = admin(['limits', 'get', '--org', '1']);
    assert.equal(missing.code, 5);
    assert.match(missing.stderr, /RESOURCE_NOT_FOUND/);
  });

  it('resets one org, reads the callback journal and says when the server cannot be reached', async () => {
    const store = json(['reset']);
    const orgId = String(store.org_id);
    const one = admin(['reset', '--org', orgId]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`org ${orgId} reset`));
    const whole = admin(['reset']);
    assert.match(whole.stdout, /store reset.*\nnew default org: \d+/);
    const callbacks = admin(['callbacks', '--job', '1', '--wait-ms', '100']);
    assert.equal(callbacks.code, 0, callbacks.stderr);
    assert.match(callbacks.stdout, /^no callbacks/);
    assert.deepEqual(json(['callbacks']), { callbacks: [] });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = admin(['clock', 'get', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(dead.code, 7, dead.stderr);
    assert.match(
      dead.stderr,
      new RegExp(`cannot reach the bulkwrite server at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
  });
});
