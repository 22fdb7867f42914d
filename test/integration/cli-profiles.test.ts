import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJob } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cli, type Run } from '../helpers/cli.js';

describe('profiles: switching between servers is one flag', () => {
  let a: TestServer;
  let b: TestServer;
  let dir: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => cli(args, env, dir);
  /** The flags that name server b and its token, as a user would type them. */
  const flagsOfB = () => ['--api-domain', b.url, '--access-token', b.creds.access_token, '--org', b.creds.org_id];
  const jobOf = (r: Run) => /created job (\d+)/.exec(r.stderr)?.[1] ?? assert.fail(r.stderr);

  before(async () => {
    [a, b] = await Promise.all([startTestServer(), startTestServer()]);
    dir = mkdtempSync(join(tmpdir(), 'bulkwrite-cli-profiles-'));
    // XDG_CONFIG_HOME decides where the config lives when BULKWRITE_CONFIG is not set.
    env = { XDG_CONFIG_HOME: join(dir, 'xdg'), XDG_STATE_HOME: join(dir, 'xdg-state') };
    writeFileSync(join(dir, 'a-creds.json'), JSON.stringify(a.creds, null, 2));
    writeFileSync(join(dir, 'leads.csv'), 'Last_Name,Email\nProfiled,p@example.com\n');
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('with no flags, variables or config, the CLI is set for a local bulkwrite on port 8080', async () => {
    const r = await run('profile', 'show');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^profile {6}\(none\)$/m);
    assert.match(r.stdout, /^apiDomain {4}http:\/\/127\.0\.0\.1:8080 {2}\(default\)$/m);
    assert.match(r.stdout, /^credentials {2}none$/m);
  });

  it('saves profiles in the user config folder, readable only by the user', async () => {
    const fromCreds = await run('profile', 'set', 'a', '--from-credentials', 'a-creds.json', '--default');
    assert.equal(fromCreds.code, 0, fromCreds.stderr);
    const byFlags = await run('profile', 'set', 'b', ...flagsOfB());
    assert.equal(byFlags.code, 0, byFlags.stderr);
    const path = join(dir, 'xdg', 'bulkwrite', 'config.json');
    assert.match(fromCreds.stdout, new RegExp(`profile "a" saved in ${path.replace(/[.]/g, '\\.')} \\(default\\)`));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const config = JSON.parse(readFileSync(path, 'utf8')) as {
      defaultProfile: string;
      profiles: Record<string, Record<string, string>>;
    };
    assert.equal(config.defaultProfile, 'a');
    assert.deepEqual(config.profiles.a, {
      apiDomain: a.url,
      accountsUrl: a.creds.accounts_url,
      uploadUrl: a.url,
      org: a.creds.org_id,
      clientId: a.creds.client_id,
      clientSecret: a.creds.client_secret,
      refreshToken: a.creds.refresh_token,
    });
    const list = await run('profile', 'list');
    assert.match(
      list.stdout,
      new RegExp(`^\\* a +${a.url.replace(/\./g, '\\.')}  org ${a.creds.org_id}  refresh token$`, 'm'),
    );
    assert.match(list.stdout, /^ {2}b +http:\/\/127\.0\.0\.1:\d+ {2}org \d+ {2}access token$/m);
  });

  it('imports into the default profile without flags, and into another with --profile', async () => {
    const intoA = await run('import', 'leads.csv', '--module', 'Leads');
    assert.equal(intoA.code, 0, intoA.stderr);
    const idA = jobOf(intoA);
    assert.equal((await getJob(a, idA)).status, 200);
    assert.equal((await getJob(b, idA, b.creds.access_token)).status, 400);

    const intoB = await run('import', 'leads.csv', '--module', 'Leads', '--profile', 'b');
    assert.equal(intoB.code, 0, intoB.stderr);
    assert.equal((await getJob(b, jobOf(intoB))).status, 200);

    const byEnv = await cli(['job', jobOf(intoB)], { ...env, BULKWRITE_PROFILE: 'b' }, dir);
    assert.equal(byEnv.code, 0, byEnv.stderr);
  });

  it('caches a refreshed access token in the state folder, so the next run does not refresh again', async () => {
    const tokens = join(dir, 'xdg-state', 'bulkwrite', 'tokens.json');
    const first = JSON.parse(readFileSync(tokens, 'utf8')) as Record<
      string,
      { accessToken: string; expiresAt: number }
    >;
    const [entry] = Object.values(first);
    assert.match(entry!.accessToken, /^1000\./);
    assert.ok(!readFileSync(tokens, 'utf8').includes(a.creds.refresh_token), 'the refresh token is not copied');
    assert.equal((await run('jobs')).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(tokens, 'utf8')), first);
  });

  it('lets variables win over the profile and flags win over variables', async () => {
    const r = await cli(
      ['profile', 'show', '--org', 'from-flag'],
      { ...env, BULKWRITE_ORG: 'from-env', BULKWRITE_API_DOMAIN: b.url },
      dir,
    );
    assert.match(r.stdout, /^profile {6}a$/m);
    // A value is labelled with where it came from, never "(local)" for a profile's or a variable's.
    assert.match(r.stdout, new RegExp(`^apiDomain {4}${b.url.replace(/\./g, '\\.')} {2}\\(env\\)$`, 'm'));
    const show = await run('profile', 'show');
    assert.match(show.stdout, new RegExp(`^apiDomain {4}${a.url.replace(/\./g, '\\.')} {2}\\(profile\\)$`, 'm'));
    assert.match(r.stdout, /^org {10}from-flag {2}\(flag\)$/m);
    assert.match(r.stdout, /^clientId {5}\S+ {2}\(profile\)$/m);
    assert.match(r.stdout, /^clientSecret \S{9}… {2}\(profile\)$/m);
    assert.ok(!r.stdout.includes(a.creds.client_secret) && !r.stdout.includes(a.creds.refresh_token));
  });

  it('lists only the jobs of the profile in use', async () => {
    const ofA = JSON.parse((await run('jobs', '--json')).stdout) as Array<{ apiDomain: string; details: unknown }>;
    const ofB = JSON.parse((await run('jobs', '--json', '--profile', 'b')).stdout) as typeof ofA;
    assert.deepEqual(
      ofA.map((j) => j.apiDomain),
      [a.url],
    );
    assert.deepEqual(
      ofB.map((j) => j.apiDomain),
      [b.url],
    );
    assert.ok(ofA[0]!.details && ofB[0]!.details);
    // Both servers number jobs alike; the history keeps them apart by API domain.
    const all = await run('jobs', '--all');
    assert.equal(all.stdout.trim().split('\n').length, 3);
    assert.match(all.stdout, new RegExp(`\\(on ${b.url.replace(/\./g, '\\.')}\\)`));
  });

  it("sends every call of a command to an --api-domain given on the command line, none to the profile's", async () => {
    writeFileSync(join(dir, 'flag.csv'), 'Last_Name,Email\nFlagged,flag@example.com\n');
    const r = await run('import', 'flag.csv', '--module', 'Leads', ...flagsOfB());
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await getJob(b, jobOf(r))).status, 200);
    const show = await run('profile', 'show', '--api-domain', b.url);
    const url = b.url.replace(/\./g, '\\.');
    assert.match(show.stdout, new RegExp(`^apiDomain {4}${url}  \\(flag\\)$`, 'm'));
    assert.match(show.stdout, new RegExp(`^accountsUrl  ${url}  \\(flag, as apiDomain\\)$`, 'm'));
    assert.match(show.stdout, new RegExp(`^uploadUrl {4}${url}  \\(flag, as apiDomain\\)$`, 'm'));
  });

  it('uses BULKWRITE_CONFIG over the config folder', async () => {
    writeFileSync(
      join(dir, 'other.json'),
      JSON.stringify({ profiles: { only: { dc: 'JP' } }, defaultProfile: 'only' }),
    );
    const r = await cli(['profile', 'show'], { ...env, BULKWRITE_CONFIG: join(dir, 'other.json') }, dir);
    assert.match(r.stdout, /^apiDomain {4}https:\/\/www\.zohoapis\.jp {2}\(profile, dc JP\)$/m);
    assert.match(r.stdout, /^accountsUrl {2}https:\/\/accounts\.zoho\.jp {2}\(profile, dc JP\)$/m);
    assert.match(r.stdout, /^uploadUrl {4}https:\/\/content\.zohoapis\.jp {2}\(profile, dc JP\)$/m);
  });

  it('makes another profile the default with use, and removes one with remove', async () => {
    assert.equal((await run('profile', 'use', 'b')).code, 0);
    assert.match((await run('profile', 'list')).stdout, /^\* b /m);
    assert.equal((await run('profile', 'remove', 'b')).code, 0);
    const list = await run('profile', 'list');
    assert.doesNotMatch(list.stdout, / b /);
  });

  it('refuses an unknown profile, a broken config file and an unknown data centre, exit 2', async () => {
    const unknown = await run('job', '1', '--profile', 'zz');
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no profile "zz" \(from --profile\) in the config file; known profiles: a/);
    writeFileSync(join(dir, 'broken.json'), '{"profiles": {');
    const broken = await cli(['jobs'], { ...env, BULKWRITE_CONFIG: join(dir, 'broken.json') }, dir);
    assert.equal(broken.code, 2, broken.stderr);
    assert.match(broken.stderr, /the config file .*broken\.json is not valid JSON/);
    const dc = await run('jobs', '--dc', 'XX');
    assert.equal(dc.code, 2, dc.stderr);
    assert.match(dc.stderr, /unknown data centre "XX" \(from --dc\); use one of US, EU, IN, AU, JP, CN, CA, SA, local/);
  });
});
