import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/exit-codes.js';
import { Output, Progress, renderTable, type Stream } from '../../src/cli/client/output.js';
import { requireCredentials, resolveConnection, type ConfigFile } from '../../src/cli/client/profiles.js';

class Capture implements Stream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}
  write(chunk: string | Uint8Array) {
    this.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }
}

const ESC = String.fromCharCode(27);

describe('CLI output on a terminal and in logs', () => {
  const state = { status: 'INPROGRESS', added: 3, updated: 1, skipped: 1, total: 5, rows: 10 };

  it('draws one bar in place, with colours, on a terminal', () => {
    const err = new Capture(true);
    const out = new Output(new Capture(true), err, { color: true });
    let t = 0;
    const p = new Progress(out, 'job 1', () => (t += 100));
    p.update(state);
    p.update({ ...state, total: 10, added: 8, status: 'COMPLETED' });
    p.done();
    assert.ok(err.text.includes(`${ESC}[`));
    assert.equal(err.text.split(`\r${ESC}[2K`).length - 1, 2);
    assert.match(err.text, / 50% {2}5\/10 rows/);
    assert.match(err.text, /100% {2}10\/10 rows/);
    assert.ok(err.text.endsWith('\n'));
  });

  it('prints plain lines, no escape codes, when not a terminal, and only when something changed', () => {
    const err = new Capture(false);
    const out = new Output(new Capture(false), err, { color: true });
    let t = 0;
    const p = new Progress(out, 'job 1', () => (t += 5_000));
    p.update(state);
    p.update(state);
    p.update({ ...state, status: 'COMPLETED', total: 10 });
    p.done();
    assert.ok(!err.text.includes(ESC));
    assert.deepEqual(err.text.trim().split('\n'), [
      'job 1: INPROGRESS 5/10 rows (added 3 · updated 1 · skipped 1)',
      'job 1: COMPLETED 10/10 rows (added 3 · updated 1 · skipped 1)',
    ]);
  });

  it('leaves colours out on a terminal when colour is turned off (NO_COLOR, --no-color)', () => {
    const out = new Output(new Capture(true), new Capture(true), { color: false });
    assert.equal(out.style('red', 'x'), 'x');
  });

  it('lays a table out in columns and cuts the widest cells to fit the width', () => {
    const lines = renderTable(['ROW', 'ERRORS'], [['1', 'MANDATORY_NOT_FOUND: Last_Name, Company, Email']], 30);
    assert.equal(lines[0], 'ROW  ERRORS');
    assert.ok(lines[1]!.length <= 30);
    assert.ok(lines[1]!.endsWith('…'));
  });
});

describe('where the CLI connects', () => {
  const config: ConfigFile = {
    defaultProfile: 'zoho',
    profiles: {
      zoho: { dc: 'EU', org: '20071', clientId: 'c', clientSecret: 's', refreshToken: 'r' },
      lab: { apiDomain: 'http://127.0.0.1:9999', accessToken: 't', org: '1' },
    },
  };

  it('talks to a local bulkwrite on port 8080 with no flags, variables or config', () => {
    const conn = resolveConnection({}, {}, { profiles: {} });
    assert.deepEqual(conn.endpoints, {
      apiDomain: 'http://127.0.0.1:8080',
      accountsUrl: 'http://127.0.0.1:8080',
      uploadUrl: 'http://127.0.0.1:8080',
    });
    assert.equal(conn.local, true);
    assert.throws(
      () => requireCredentials(conn),
      (e: unknown) => e instanceof CliError && /npx bulkwrite credentials --json/.test(e.message) && e.exitCode === 2,
    );
  });

  it('uses the default profile, and --profile switches to another with one flag', () => {
    const zoho = resolveConnection({}, {}, config);
    assert.equal(zoho.endpoints.apiDomain, 'https://www.zohoapis.eu');
    assert.equal(zoho.endpoints.accountsUrl, 'https://accounts.zoho.eu');
    assert.deepEqual(zoho.credentials, { clientId: 'c', clientSecret: 's', refreshToken: 'r' });
    const lab = resolveConnection({ profile: 'lab' }, {}, config);
    assert.equal(lab.endpoints.apiDomain, 'http://127.0.0.1:9999');
    assert.equal(lab.credentials, 't');
  });

  it('lets variables win over the profile and flags win over both', () => {
    const env = { BULKWRITE_ORG: 'from-env', BULKWRITE_DC: 'IN' };
    const conn = resolveConnection({ org: 'from-flag' }, env, config);
    assert.equal(conn.org, 'from-flag');
    assert.equal(conn.settings.org!.source, 'flag');
    assert.equal(conn.endpoints.apiDomain, 'https://www.zohoapis.in');
    const urlFlag = resolveConnection({ 'api-domain': 'http://127.0.0.1:1234' }, env, config);
    assert.equal(urlFlag.endpoints.apiDomain, 'http://127.0.0.1:1234');
    assert.equal(urlFlag.endpoints.accountsUrl, 'https://accounts.zoho.in');
  });

  it("moves a profile's one-origin hosts to an --api-domain flag, and keeps a data centre's", () => {
    const one = 'http://127.0.0.1:1';
    const local: ConfigFile = {
      defaultProfile: 'local',
      profiles: { local: { apiDomain: one, accountsUrl: one, uploadUrl: one }, eu: { dc: 'EU' } },
    };
    const moved = resolveConnection({ 'api-domain': 'http://127.0.0.1:2' }, {}, local);
    assert.deepEqual(moved.endpoints, {
      apiDomain: 'http://127.0.0.1:2',
      accountsUrl: 'http://127.0.0.1:2',
      uploadUrl: 'http://127.0.0.1:2',
    });
    assert.deepEqual(moved.endpointSources, {
      apiDomain: 'flag',
      accountsUrl: 'flag, as apiDomain',
      uploadUrl: 'flag, as apiDomain',
    });
    const proxied = resolveConnection({ profile: 'eu', 'api-domain': 'http://127.0.0.1:2' }, {}, local);
    assert.equal(proxied.endpoints.uploadUrl, 'https://content.zohoapis.eu');
    assert.equal(proxied.endpointSources.uploadUrl, 'profile, dc EU');
  });

  it('names the missing parts of a refresh token setup', () => {
    assert.throws(
      () => resolveConnection({ 'client-id': 'x' }, {}, { profiles: {} }),
      (e: unknown) => e instanceof CliError && /missing --client-secret and --refresh-token/.test(e.message),
    );
  });

  it('refuses an unknown profile or data centre with what is known', () => {
    assert.throws(() => resolveConnection({ profile: 'nope' }, {}, config), /known profiles: zoho, lab/);
    assert.throws(
      () => resolveConnection({ dc: 'mars' }, {}, config),
      /use one of US, EU, IN, AU, JP, CN, CA, SA, local/,
    );
  });
});
