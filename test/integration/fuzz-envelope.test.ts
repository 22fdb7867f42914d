import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { call } from '../helpers/api.js';
import { httpBytes, rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeZip } from '../helpers/zip.js';

/**
 * Random and broken requests at every route, over a real socket: whatever comes in, the answer is no 5xx,
 * an error is always one of Zoho's bodies, and the server keeps answering. fast-check draws the requests
 * (and, on a failure, shrinks them to a small one and prints the seed to replay it with).
 */

const ADMIN_KEY = 'fuzz-admin-key';

/** Every route of the app as [method, path pattern], read from Fastify's own route tree. */
function routesOf(tree: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      out.push([method, path]);
  }
  return out;
}

/** A body of Zoho's error shapes: the envelope; the accounts server's; the download host's. */
function isKnownErrorBody(body: unknown, path: string): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys === 'code,details,message,status' && b.status === 'error' && typeof b.code === 'string') return true;
  if (path.startsWith('/oauth/') && keys === 'error' && typeof b.error === 'string') return true;
  return b.info === 'Forbidden' && b['x-info'] === 'Link not valid';
}

describe('fuzz: random and truncated requests at every route', () => {
  let t: TestServer;
  let routes: Array<[string, string]>;
  let bodies: Buffer[];
  before(async () => {
    t = await startTestServer({ worker: false, adminKey: ADMIN_KEY, minFreeDiskMb: 0 });
    routes = routesOf(t.server.app.printRoutes({ commonPrefix: false }));
    const zip = await makeZip({ 'leads.csv': 'Last_Name,Email\nAda,ada@example.com\n' });
    const job = JSON.stringify({
      operation: 'insert',
      callback: { url: 'http://127.0.0.1:9/cb', method: 'post' },
      resource: [
        {
          type: 'data',
          module: { api_name: 'Leads' },
          file_id: '4150868000000100000',
          field_mappings: [{ api_name: 'Last_Name', index: 0, default_value: { value: 'x' } }],
        },
      ],
    });
    // Well-formed bodies of each kind, which the fuzzer cuts, splices and garbles.
    bodies = [
      Buffer.from(job),
      Buffer.concat([
        Buffer.from(
          '--XX\r\nContent-Disposition: form-data; name="file"; filename="l.zip"\r\nContent-Type: application/zip\r\n\r\n',
        ),
        zip,
        Buffer.from('\r\n--XX--\r\n'),
      ]),
      Buffer.from(
        `grant_type=refresh_token&client_id=${t.creds.client_id}&client_secret=${t.creds.client_secret}&refresh_token=${t.creds.refresh_token}`,
      ),
      Buffer.from('{"name":"fuzz org","time_zone":"Asia/Kolkata","offset_ms":1000,"rules":[{"status":500}]}'),
    ];
  });
  after(() => t.close());

  it('finds the routes of every surface in the route tree', () => {
    const paths = routes.map(([, p]) => p);
    for (const p of ['/crm/bulk/:version/write', '/crm/:version/upload', '/oauth/v2/token', '/_bulkwrite/health']) {
      assert.ok(paths.includes(p), `${p} in ${JSON.stringify(paths)}`);
    }
  });

  it('answers no 5xx, always an error envelope, and keeps answering', async () => {
    const segment = fc.oneof(
      fc.constantFrom('v2.1', 'v8', 'Leads', '4150868000000100000', '1', '', '..', '%ff', '%00', '%2F', 'écrit', '-1'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.stringMatching(/^[\x21-\x7e]{0,20}$/).map((s) => s.replace(/[?#]/g, '')),
    );
    const path = fc
      .tuple(
        fc.constantFrom(...routes.map(([, p]) => p)),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        fc.option(fc.stringMatching(/^[\x21-\x7e]{0,60}$/), { nil: undefined }),
        fc.option(fc.constantFrom('/x', '/', '//', '/%zz'), { nil: undefined }),
      )
      .map(([pattern, values, query, tail]) => {
        let i = 0;
        const p = pattern.replace(/:[A-Za-z]+/g, () => values[i++ % values.length] || 'x') + (tail ?? '');
        return query === undefined ? p : `${p}?${query}`;
      });
    const method = fc.oneof(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'),
      fc.constantFrom(...new Set(routes.map(([m]) => m))),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      // A well-formed body cut short, or with a stretch replaced by random bytes.
      fc.tuple(fc.nat(bodies.length - 1), fc.double({ min: 0, max: 1, noNaN: true })).map(([k, at]) => {
        const b = bodies[k]!;
        return b.subarray(0, Math.floor(b.length * at));
      }),
      fc
        .tuple(fc.nat(bodies.length - 1), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }))
        .map(([k, at, junk]) => {
          const b = Buffer.from(bodies[k]!);
          Buffer.from(junk).copy(b, at % b.length);
          return b;
        }),
    );
    const token = fc.constantFrom('good', 'none', 'junk');
    const headers = fc.record({
      contentType: fc.option(
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'multipart/form-data; boundary=XX',
            'multipart/form-data',
            'multipart/form-data; boundary=',
            'application/x-www-form-urlencoded',
            'text/plain',
            'application/json; charset=utf-16',
          ),
          fc.stringMatching(/^[\x20-\x7e]{0,40}$/),
        ),
        { nil: undefined },
      ),
      token,
      admin: fc.boolean(),
      extra: fc.dictionary(
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
        fc.stringMatching(/^[\x20-\x7e]{0,60}$/).map((v) => v.trim()),
        { maxKeys: 3 },
      ),
      big: fc.constantFrom(0, 0, 0, 0, 0, 20_000),
    });

    // Near a valid request: the route's own kind of body and content type and a good token, then the body
    // cut short or garbled (where a broken upload or a half JSON body reaches the route's code).
    const nearValid = fc
      .record({
        route: fc.constantFrom(...routes),
        values: fc.array(fc.constantFrom('v2.1', 'v8', 'Leads', '4150868000000100000', 'fuzz'), {
          minLength: 4,
          maxLength: 4,
        }),
        cut: fc.double({ min: 0, max: 1, noNaN: true }),
        junk: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })), { nil: undefined }),
      })
      .map(({ route: [m, pattern], values, cut, junk }) => {
        let i = 0;
        const p = pattern.replace(/:[A-Za-z]+/g, () => values[i++ % values.length]!);
        const [k, contentType] = p.includes('/upload')
          ? [1, 'multipart/form-data; boundary=XX']
          : p.startsWith('/oauth/')
            ? [2, 'application/x-www-form-urlencoded']
            : p.startsWith('/_bulkwrite/')
              ? [3, 'application/json']
              : [0, 'application/json'];
        const b = Buffer.from(bodies[k]!);
        if (junk) Buffer.from(junk[1]).copy(b, junk[0] % b.length);
        const h = { contentType, token: 'good', admin: true, extra: {}, big: 0 };
        return { m, p, h, b: b.subarray(0, Math.ceil(b.length * cut)) };
      });
    const random = fc.record({ m: method, p: path, h: headers, b: body });

    const problems: string[] = [];
    await fc
      .assert(
        fc.asyncProperty(fc.oneof(random, nearValid), async ({ m, p, h, b }) => {
          const hs: Record<string, string> = { ...h.extra };
          if (h.contentType !== undefined) hs['Content-Type'] = h.contentType;
          if (h.token === 'good') hs.Authorization = `Zoho-oauthtoken ${t.creds.access_token}`;
          if (h.token === 'junk') hs.Authorization = 'Zoho-oauthtoken 1000.junk.junk';
          if (h.admin) hs['X-Bulkwrite-Admin-Key'] = ADMIN_KEY;
          if (p.startsWith('/crm/') && p.includes('/upload')) {
            hs.feature = 'bulk-write';
            hs['X-CRM-ORG'] = t.creds.org_id;
          }
          if (h.big) hs['X-Big'] = 'y'.repeat(h.big);
          let res: RawAnswer;
          try {
            res = await rawRequest(t.url, httpBytes(m, p, hs, b), 5000);
          } catch (e) {
            problems.push(`${m} ${p}: ${(e as Error).message}`);
            return false;
          }
          const what = `${m} ${p} (${JSON.stringify(hs).slice(0, 200)}) → ${res.status} ${res.text.slice(0, 200)}`;
          if (!(res.status >= 200 && res.status < 500)) return problems.push(what) < 0;
          if (res.status >= 400 && m !== 'HEAD') {
            let parsed: unknown;
            try {
              parsed = JSON.parse(res.text);
            } catch {
              parsed = null;
            }
            if (!isKnownErrorBody(parsed, p)) return problems.push(what) < 0;
          }
          return true;
        }),
        { numRuns: 600, interruptAfterTimeLimit: 12_000, markInterruptAsFailure: false },
      )
      .catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${problems.slice(0, 5).join('\n')}`);
      });

    // Still answering, and still itself: a fresh org and its job details. The fuzzer reaches the admin
    // routes too (reset, clock, orgs), so the store it leaves may have dropped the first org's tokens or
    // moved the clock past their expiry: put the clock back and ask for a new org.
    const admin = { 'x-bulkwrite-admin-key': ADMIN_KEY, 'content-type': 'application/json' };
    const health = await call(`${t.url}/_bulkwrite/health`, { headers: admin });
    assert.equal(health.status, 200);
    assert.equal((await call(`${t.url}/_bulkwrite/clock`, { method: 'DELETE', headers: admin })).status, 200);
    const org = await call(`${t.url}/_bulkwrite/orgs`, { method: 'POST', headers: admin, body: '{}' });
    assert.equal(org.status, 201, org.text);
    const details = await call(`${t.url}/crm/bulk/v2.1/write/4150868000000100000`, {
      headers: { authorization: `Zoho-oauthtoken ${String(org.body.access_token)}` },
    });
    assert.ok([200, 400].includes(details.status), details.text);
  });
});
