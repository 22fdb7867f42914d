import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callbackUrlRefusal, EgressPolicy, parseRules } from '../../src/egress/egress-policy.js';

const loopbackBound = new EgressPolicy({ bindHost: '127.0.0.1', allow: [], deny: [] });
const exposed = new EgressPolicy({ bindHost: '0.0.0.0', allow: [], deny: [] });

/** The host of a URL as the server sees it (the URL parser normalises decimal, octal and hex IPv4). */
const hostOf = (url: string) => new URL(url).hostname;

describe('the callback egress policy', () => {
  const cases: Array<[url: string, onLoopbackBind: boolean, offLoopbackBind: boolean]> = [
    ['http://127.0.0.1:8080/x', true, false],
    ['http://127.9.8.7/x', true, false],
    ['http://localhost:8080/x', true, false],
    ['http://[::1]/x', true, false],
    ['http://[::ffff:127.0.0.1]/x', true, false],
    ['http://[::ffff:7f00:1]/x', true, false],
    ['http://2130706433/x', true, false],
    ['http://0177.0.0.1/x', true, false],
    ['http://0x7f.1/x', true, false],
    ['http://0.0.0.0/x', true, false],
    ['http://[::]/x', true, false],
    ['http://10.1.2.3/x', true, false],
    ['http://172.16.0.1/x', true, false],
    ['http://192.168.1.1/x', true, false],
    ['http://[::ffff:192.168.1.1]/x', true, false],
    ['http://[fd12::1]/x', true, false],
    ['http://169.254.169.254/latest/meta-data', false, false],
    ['http://[::ffff:169.254.169.254]/x', false, false],
    ['http://2852039166/x', false, false],
    ['http://[fe80::1]/x', false, false],
    ['http://[fd00:ec2::254]/x', false, false],
    ['http://metadata.google.internal/computeMetadata/v1/', false, false],
    ['http://METADATA.GOOGLE.INTERNAL./x', false, false],
    ['http://224.0.0.1/x', false, false],
    ['http://[64:ff9b::7f00:1]/x', false, false],
    ['http://93.184.215.14/x', true, true],
    ['https://hooks.example.com/x', true, true],
  ];
  for (const [url, onLoopback, offLoopback] of cases) {
    it(`${onLoopback ? 'allows' : 'refuses'} ${url} on a loopback bind and ${offLoopback ? 'allows' : 'refuses'} it off loopback`, () => {
      assert.equal(loopbackBound.refusal(hostOf(url)) === null, onLoopback, String(loopbackBound.refusal(hostOf(url))));
      assert.equal(exposed.refusal(hostOf(url)) === null, offLoopback, String(exposed.refusal(hostOf(url))));
    });
  }

  it('judges a resolved address, not only the name', () => {
    assert.equal(exposed.refusal('hooks.example.com', '93.184.215.14'), null);
    assert.match(String(exposed.refusal('hooks.example.com', '127.0.0.1')), /loopback/);
    assert.match(String(exposed.refusal('hooks.example.com', '::ffff:10.0.0.1')), /private/);
    assert.match(String(loopbackBound.refusal('hooks.example.com', '169.254.169.254')), /link-local/);
  });

  it('lets an allow rule open what the defaults refuse, and a deny rule beat an allow rule', () => {
    const p = new EgressPolicy({
      bindHost: '0.0.0.0',
      allow: ['10.0.0.0/8', '169.254.169.254', '*.corp.example', 'metadata.google.internal'],
      deny: ['10.9.0.0/16', 'bad.corp.example'],
    });
    assert.equal(p.refusal('10.1.2.3'), null);
    assert.equal(p.refusal('::ffff:10.1.2.3'), null);
    assert.match(String(p.refusal('10.9.1.1')), /BULKWRITE_CALLBACK_DENY \(10\.9\.0\.0\/16\)/);
    assert.equal(p.refusal('169.254.169.254'), null);
    assert.equal(p.refusal('hooks.corp.example', '192.168.1.1'), null, 'an allowed name may resolve anywhere');
    assert.notEqual(p.refusal('corp.example', '192.168.1.1'), null, '*.corp.example is below corp.example only');
    assert.match(String(p.refusal('bad.corp.example', '93.184.215.14')), /BULKWRITE_CALLBACK_DENY/);
    assert.equal(p.refusal('metadata.google.internal', '169.254.169.254'), null);
    const denyPublic = new EgressPolicy({ bindHost: '127.0.0.1', allow: [], deny: ['0.0.0.0/0', '::/0'] });
    assert.notEqual(denyPublic.refusal('93.184.215.14'), null);
    assert.notEqual(denyPublic.refusal('::ffff:93.184.215.14'), null);
  });

  it('refuses a setting entry that is neither a range, an address nor a host pattern', () => {
    assert.deepEqual(parseRules(' 10.0.0.0/8, *.example.com  ::1 ', 'BULKWRITE_CALLBACK_ALLOW'), [
      '10.0.0.0/8',
      '*.example.com',
      '::1',
    ]);
    assert.throws(
      () => parseRules('10.0.0.0/33', 'BULKWRITE_CALLBACK_ALLOW'),
      /BULKWRITE_CALLBACK_ALLOW: "10.0.0.0\/33"/,
    );
    assert.throws(() => parseRules('http://x/', 'BULKWRITE_CALLBACK_DENY'), /BULKWRITE_CALLBACK_DENY/);
    assert.throws(() => parseRules('a..b', 'BULKWRITE_CALLBACK_DENY'), /host name pattern/);
  });

  it('checks the addresses a name resolves to when a job is created, and lets an unresolved name through', async () => {
    const resolveTo = (addresses: string[]) => async () => addresses;
    assert.match(
      String(await callbackUrlRefusal(exposed, 'http://rebind.example/x', resolveTo(['127.0.0.1']))),
      /loopback/,
    );
    assert.equal(await callbackUrlRefusal(exposed, 'http://ok.example/x', resolveTo(['93.184.215.14'])), null);
    assert.equal(
      await callbackUrlRefusal(exposed, 'http://nx.example/x', () => Promise.reject(new Error('ENOTFOUND'))),
      null,
    );
    assert.match(String(await callbackUrlRefusal(exposed, 'http://2130706433/x', resolveTo([]))), /loopback/);
  });
});
