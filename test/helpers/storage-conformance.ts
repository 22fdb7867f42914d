import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { parseFaultRule } from '../../src/domain/faults.js';
import type { Job, Org, RecordData, RowResult, UploadedFile, User } from '../../src/domain/types.js';
import {
  ChunkConflictError,
  INTERRUPTED_ATTEMPT,
  LeaseLostError,
  type AccessToken,
  type ChunkCommit,
  type InsertRecord,
  type RefreshToken,
  type Storage,
  type UpdateRecord,
} from '../../src/storage/storage.js';

/** One fresh, empty store for one test. */
export interface StoreUnderTest {
  storage: Storage;
  /** Another handle on the same store, as a second process would open it; cleanup closes it too. */
  reopen(): Promise<Storage>;
  /**
   * Adds another user to an org, straight into the store's tables: Zoho orgs have many users, but the
   * Storage interface only ever creates an org's first.
   */
  addUser(orgId: string, user: User): Promise<void>;
  /** Closes every handle and throws the store away. */
  cleanup(): Promise<void>;
}

export const FIRST_ID = 4150868000000100000n;
const T0 = 1_700_000_000_000;
const LEASE = 30_000;
const MODULE = 'Leads';

export function makeOrg(
  id: string,
  createdAt = T0,
  user = { id: `${id}-u1`, name: 'Ada Admin', email: 'Ada@Example.com' },
): Org {
  return { id, name: `Org ${id}`, timeZone: 'Asia/Kolkata', createdAt, user };
}

export function makeJob(orgId: string, id: string, createdAt = T0): Job {
  return {
    id,
    orgId,
    apiVersion: 'v8',
    status: 'ADDED',
    createdAt,
    createdBy: { id: `${orgId}-u1`, name: 'Ada Admin', email: 'Ada@Example.com' },
    operation: 'upsert',
    characterEncoding: 'UTF-8',
    ignoreEmpty: false,
    ignoreEmptyGiven: false,
    callback: { url: 'https://example.com/hook?x=1', method: 'post' },
    resources: [
      {
        type: 'data',
        module: { apiName: MODULE, id: '4150868000000002175' },
        fileId: `${id}-file`,
        findBy: 'Email',
        ignoreEmpty: null,
        fieldMappings: [
          { apiName: 'Last_Name', index: 0, format: null, findBy: null, module: null, defaultValue: null },
          { apiName: 'Email', index: 1, format: null, findBy: null, module: null, defaultValue: null },
        ],
        autoMapped: false,
      },
    ],
    counts: { added: 0, updated: 0, skipped: 0, total: 0 },
    resourceCounts: null,
    fileName: 'leads.csv',
    checkpointRow: 0,
    failure: null,
    resultReady: false,
    startedAt: null,
    finishedAt: null,
  };
}

function makeFile(orgId: string, id: string): UploadedFile {
  return {
    id,
    orgId,
    name: 'leads.zip',
    csvName: 'leads.csv',
    size: 12_345,
    blobKey: `uploads/${orgId}/${id}.zip`,
    header: ['Last_Name', 'Email', 'Ünïcode "quoted", col'],
    delimiter: ',',
    rowCount: 25_000,
    createdAt: T0,
    csvs: [
      { name: 'leads.csv', header: ['Last_Name', 'Email', 'Ünïcode "quoted", col'], delimiter: ',', rowCount: 25_000 },
    ],
  };
}

/** A token of client 'c' for user 'u' of org 'o'; without `issuedAt`, one stored without an issue time. */
function accessToken(tokenHash: string, refreshTokenHash: string | null, issuedAt?: number): AccessToken {
  return {
    tokenHash,
    refreshTokenHash,
    clientId: 'c',
    orgId: 'o',
    userId: 'u',
    scopes: ['ZohoCRM.bulk.ALL'],
    ...(issuedAt === undefined ? {} : { issuedAt }),
    expiresAt: T0 + 3_600_000,
  };
}

function refreshToken(tokenHash: string, clientId: string, userId: string, createdAt: number): RefreshToken {
  return { tokenHash, clientId, orgId: 'o', userId, scopes: ['ZohoCRM.bulk.ALL'], createdAt };
}

const insert = (id: string, data: RecordData, keys: Array<[string, string]> = []): InsertRecord => ({ id, data, keys });
const added = (rowNo: number, recordId: string): RowResult => ({ rowNo, status: 'ADDED', recordId, errors: null });

/** A chunk for a job; counters follow from the result rows unless given. */
function makeChunk(job: Job, workerId: string, checkpointRow: number, parts: Partial<ChunkCommit> = {}): ChunkCommit {
  const results = parts.results ?? [];
  const countOf = (s: RowResult['status']) => results.filter((r) => r.status === s).length;
  return {
    orgId: job.orgId,
    jobId: job.id,
    workerId,
    module: MODULE,
    inserts: [],
    updates: [],
    results,
    added: countOf('ADDED'),
    updated: countOf('UPDATED'),
    skipped: countOf('SKIPPED'),
    checkpointRow,
    leaseUntil: T0 + 1_000 + LEASE,
    now: T0 + 1_000,
    ...parts,
  };
}

/**
 * The contract every Storage adapter keeps. Each test gets a fresh store from `open`; the tests that race
 * two handles (claims, grant codes, id blocks) get their real concurrency on PostgreSQL.
 */
export function defineStorageConformance(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} storage`, () => {
    let store: StoreUnderTest | undefined;
    let storage: Storage;

    beforeEach(async () => {
      store = undefined;
      store = await open();
      storage = store.storage;
    });
    afterEach(async () => {
      await store?.cleanup();
    });

    /** An org with one job, claimed by worker A at T0. */
    async function claimedJob(jobId = 'job-1', orgId = 'org-a'): Promise<Job> {
      if (!(await storage.orgs.get(orgId))) await storage.orgs.create(makeOrg(orgId));
      await storage.jobs.create(makeJob(orgId, jobId));
      const job = await storage.jobs.claimNext('worker-a', LEASE, T0);
      assert.equal(job?.id, jobId);
      return job;
    }

    describe('ids', () => {
      test('reserves ids from 4150868000000100000 on, never handing out the same id twice', async () => {
        assert.equal(await storage.reserveIds(10), FIRST_ID);
        assert.equal(await storage.reserveIds(1), FIRST_ID + 10n);
        assert.equal(await storage.reserveIds(5_000), FIRST_ID + 11n);
        assert.equal(await storage.reserveIds(1), FIRST_ID + 5_011n);
      });

      test('reserves disjoint blocks when many reservations race from two handles', async () => {
        const other = await store!.reopen();
        const sizes = Array.from({ length: 60 }, (_, i) => 1 + ((i * 7919) % 997));
        const starts = await Promise.all(sizes.map((n, i) => (i % 2 ? other : storage).reserveIds(n)));
        const blocks = starts
          .map((start, i) => ({ start, end: start + BigInt(sizes[i]!) }))
          .sort((a, b) => (a.start < b.start ? -1 : 1));
        for (let i = 1; i < blocks.length; i++) assert.ok(blocks[i - 1]!.end <= blocks[i]!.start, 'blocks overlap');
        const total = sizes.reduce((a, b) => a + b, 0);
        assert.equal(await storage.reserveIds(1), FIRST_ID + BigInt(total));
      });
    });

    describe('orgs and users', () => {
      test('creates an org with its user and reads both back', async () => {
        const org = makeOrg('org-a');
        await storage.orgs.create(org);
        assert.deepEqual(await storage.orgs.get('org-a'), org);
      });

      test('returns undefined for an org that does not exist', async () => {
        assert.equal(await storage.orgs.get('nope'), undefined);
        assert.equal(await storage.orgs.getDefault(), undefined);
      });

      test('gives the oldest org as the default, whatever order they were created in', async () => {
        await storage.orgs.create(makeOrg('org-new', T0 + 10));
        await storage.orgs.create(makeOrg('org-old', T0));
        await storage.orgs.create(makeOrg('org-same-time', T0));
        assert.equal((await storage.orgs.getDefault())?.id, 'org-old');
      });

      test('lists every org oldest first, ties in creation order, each with its first user', async () => {
        assert.deepEqual(await storage.orgs.list(), []);
        const newest = makeOrg('org-new', T0 + 10);
        const tieFirst = makeOrg('org-z', T0, { id: 'z-u1', name: 'Zed', email: 'zed@example.com' });
        const tieSecond = makeOrg('org-a', T0);
        await storage.orgs.create(newest);
        await storage.orgs.create(tieFirst);
        await storage.orgs.create(tieSecond);
        assert.deepEqual(await storage.orgs.list(), [tieFirst, tieSecond, newest]);
      });

      test('finds a user by id or by email regardless of case, only within its own org', async () => {
        await storage.orgs.create(makeOrg('org-a'));
        await storage.orgs.create(makeOrg('org-b', T0, { id: 'b-u1', name: 'Bob', email: 'bob@example.com' }));
        const ada = { id: 'org-a-u1', name: 'Ada Admin', email: 'Ada@Example.com' };
        assert.deepEqual(await storage.orgs.getUser('org-a', { id: 'org-a-u1' }), ada);
        assert.deepEqual(await storage.orgs.getUser('org-a', { email: 'ada@example.COM' }), ada);
        assert.equal(await storage.orgs.getUser('org-a', { id: 'b-u1' }), undefined);
        assert.equal(await storage.orgs.getUser('org-a', { email: 'bob@example.com' }), undefined);
        assert.equal(await storage.orgs.getUser('org-b', { email: 'ada@example.com' }), undefined);
      });

      test('finds the user added first when several users of an org share an e-mail address', async () => {
        // The first user sorts last by id and by e-mail bytes, so only insertion order picks it.
        const first = { id: 'u9', name: 'Ada First', email: 'ada@example.com' };
        await storage.orgs.create(makeOrg('org-a', T0, first));
        await store!.addUser('org-a', { id: 'u1', name: 'Ada Second', email: 'Ada@Example.com' });
        await store!.addUser('org-a', { id: 'u0', name: 'Ada Third', email: 'ADA@EXAMPLE.COM' });
        assert.deepEqual(await storage.orgs.getUser('org-a', { email: 'ada@EXAMPLE.com' }), first);
        assert.deepEqual((await storage.orgs.get('org-a'))?.user, first);
      });
    });

    describe('OAuth', () => {
      test("stores OAuth clients and lists an org's clients oldest first", async () => {
        await storage.orgs.create(makeOrg('org-a'));
        await storage.orgs.create(makeOrg('org-b'));
        const server = {
          clientId: '1000.SERVER',
          orgId: 'org-a',
          clientType: 'server' as const,
          redirectUri: 'https://app.example.com/cb',
          name: 'Server app',
          createdAt: T0 + 5,
        };
        const self = {
          ...server,
          clientId: '1000.SELF',
          clientType: 'self' as const,
          redirectUri: null,
          createdAt: T0,
        };
        await storage.oauth.createClient(server, 'hash-server');
        await storage.oauth.createClient(self, 'hash-self');
        await storage.oauth.createClient({ ...self, clientId: '1000.OTHER', orgId: 'org-b' }, 'hash-other');
        assert.deepEqual(await storage.oauth.getClient('1000.SERVER'), server);
        assert.deepEqual(await storage.oauth.getClient('1000.SELF'), self);
        assert.equal(await storage.oauth.getClient('1000.NOPE'), undefined);
        assert.deepEqual(await storage.oauth.clientsOf('org-a'), [self, server]);
        assert.deepEqual(await storage.oauth.clientsOf('org-c'), []);
      });

      test("keeps a client's secrets as the hashes it is given, each added one beside the earlier ones", async () => {
        await storage.orgs.create(makeOrg('org-a'));
        const client = {
          clientId: '1000.SELF',
          orgId: 'org-a',
          clientType: 'self' as const,
          redirectUri: null,
          name: 'Self Client',
          createdAt: T0,
        };
        await storage.oauth.createClient(client, 'hash-1');
        await storage.oauth.addClientSecret(client.clientId, 'hash-2', T0 + 1);
        assert.deepEqual((await storage.oauth.clientSecretHashes(client.clientId)).sort(), ['hash-1', 'hash-2']);
        assert.deepEqual(await storage.oauth.clientSecretHashes('1000.NOPE'), []);
      });

      test('hands out a grant code once and undefined on every later try', async () => {
        const code = {
          codeHash: 'h1',
          clientId: '1000.SELF',
          orgId: 'org-a',
          userId: 'u1',
          scopes: ['ZohoCRM.bulk.ALL', 'ZohoFiles.files.ALL'],
          expiresAt: T0 + 60_000,
        };
        await storage.oauth.saveGrantCode(code);
        assert.deepEqual(await storage.oauth.consumeGrantCode('h1', T0), code);
        assert.equal(await storage.oauth.consumeGrantCode('h1', T0 + 1), undefined);
        assert.equal(await storage.oauth.consumeGrantCode('unknown', T0), undefined);
      });

      test('refuses a grant code from its expiry on', async () => {
        const code = { codeHash: 'h1', clientId: 'c', orgId: 'o', userId: 'u', scopes: [], expiresAt: T0 };
        await storage.oauth.saveGrantCode(code);
        await storage.oauth.saveGrantCode({ ...code, codeHash: 'h2' });
        assert.equal(await storage.oauth.consumeGrantCode('h1', T0), undefined);
        assert.equal(await storage.oauth.consumeGrantCode('h2', T0 + 1), undefined);
        assert.deepEqual(await storage.oauth.consumeGrantCode('h2', T0 - 1), { ...code, codeHash: 'h2' });
      });

      test('hands out a grant code to only one of many consumers racing for it', async () => {
        const other = await store!.reopen();
        const code = { codeHash: 'race', clientId: 'c', orgId: 'o', userId: 'u', scopes: ['a'], expiresAt: T0 + 1 };
        await storage.oauth.saveGrantCode(code);
        const got = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? other : storage).oauth.consumeGrantCode('race', T0)),
        );
        assert.equal(got.filter(Boolean).length, 1);
      });

      test('stores a refresh token and returns undefined for an unknown one', async () => {
        const token = {
          tokenHash: '4150868000000700001',
          clientId: 'c',
          orgId: 'o',
          userId: 'u',
          scopes: ['ZohoCRM.bulk.ALL'],
          createdAt: T0,
        };
        await storage.oauth.saveRefreshToken(token);
        assert.deepEqual(await storage.oauth.getRefreshToken('4150868000000700001'), token);
        assert.deepEqual(
          await storage.oauth.getRefreshToken('4150868000000700001'),
          token,
          'a refresh token is not used up',
        );
        assert.equal(await storage.oauth.getRefreshToken('4150868000000700002'), undefined);
      });

      test('returns an access token until it expires and undefined from its expiry on', async () => {
        const token = {
          tokenHash: 'a1',
          refreshTokenHash: '4150868000000700001',
          clientId: 'c',
          orgId: 'o',
          userId: 'u',
          scopes: ['ZohoCRM.bulk.ALL', 'ZohoCRM.modules.ALL'],
          expiresAt: T0 + 3_600_000,
        };
        const direct = { ...token, tokenHash: 'a2', refreshTokenHash: null };
        await storage.oauth.saveAccessToken(token);
        await storage.oauth.saveAccessToken(direct);
        assert.deepEqual(await storage.oauth.getAccessToken('a1', T0), token);
        assert.deepEqual(await storage.oauth.getAccessToken('a2', T0 + 3_599_999), direct);
        assert.equal(await storage.oauth.getAccessToken('a1', T0 + 3_600_000), undefined);
        assert.equal(await storage.oauth.getAccessToken('nope', T0), undefined);
      });

      test('keeps the issue time of an access token that has one and leaves it out of one saved without', async () => {
        const issued = { ...accessToken('a1', 'r1'), issuedAt: T0 - 5 };
        const without = accessToken('a2', 'r1');
        await storage.oauth.saveAccessToken(issued);
        await storage.oauth.saveAccessToken(without);
        assert.deepEqual(await storage.oauth.getAccessToken('a1', T0), issued);
        const got = await storage.oauth.getAccessToken('a2', T0);
        assert.deepEqual(got, without);
        assert.equal(got && 'issuedAt' in got, false);
      });

      test('revokes an access token once, leaving the other tokens of its refresh token live', async () => {
        await storage.oauth.saveAccessToken(accessToken('a1', 'r1', T0));
        await storage.oauth.saveAccessToken(accessToken('a2', 'r1', T0));
        assert.equal(await storage.oauth.revokeAccessToken('a1', T0 + 1), true);
        assert.equal(await storage.oauth.getAccessToken('a1', T0 + 2), undefined);
        assert.equal((await storage.oauth.getAccessToken('a2', T0 + 2))?.tokenHash, 'a2');
        assert.equal(await storage.oauth.revokeAccessToken('a1', T0 + 3), false, 'already revoked');
        assert.equal(await storage.oauth.revokeAccessToken('nope', T0 + 3), false);
      });

      test('revokes a refresh token together with every access token issued from it, and nothing else', async () => {
        await storage.oauth.saveRefreshToken(refreshToken('r1', 'c', 'u', T0));
        await storage.oauth.saveRefreshToken(refreshToken('r2', 'c', 'u', T0));
        await storage.oauth.saveAccessToken(accessToken('a1', 'r1', T0));
        await storage.oauth.saveAccessToken(accessToken('a2', 'r1'));
        await storage.oauth.saveAccessToken(accessToken('b1', 'r2', T0));
        await storage.oauth.saveAccessToken(accessToken('d1', null, T0));
        assert.equal(await storage.oauth.revokeRefreshToken('r1', T0 + 1), true);
        assert.equal(await storage.oauth.getRefreshToken('r1'), undefined);
        assert.equal(await storage.oauth.getAccessToken('a1', T0 + 2), undefined);
        assert.equal(await storage.oauth.getAccessToken('a2', T0 + 2), undefined);
        assert.equal((await storage.oauth.getRefreshToken('r2'))?.tokenHash, 'r2');
        assert.equal((await storage.oauth.getAccessToken('b1', T0 + 2))?.tokenHash, 'b1');
        assert.equal((await storage.oauth.getAccessToken('d1', T0 + 2))?.tokenHash, 'd1');
        assert.equal(await storage.oauth.revokeRefreshToken('r1', T0 + 3), false, 'already revoked');
        assert.equal(await storage.oauth.revokeRefreshToken('nope', T0 + 3), false);
      });

      test('counts the access tokens issued from a refresh token since a time, revoked and expired ones too', async () => {
        await storage.oauth.saveAccessToken(accessToken('old', 'r1', T0 - 1));
        await storage.oauth.saveAccessToken(accessToken('unknown-age', 'r1'));
        await storage.oauth.saveAccessToken(accessToken('at-since', 'r1', T0));
        await storage.oauth.saveAccessToken(accessToken('revoked', 'r1', T0 + 1));
        await storage.oauth.saveAccessToken({ ...accessToken('expired', 'r1', T0 + 2), expiresAt: T0 + 3 });
        await storage.oauth.saveAccessToken(accessToken('other', 'r2', T0 + 1));
        await storage.oauth.revokeAccessToken('revoked', T0 + 1);
        assert.equal(await storage.oauth.countAccessTokensIssued('r1', T0), 3);
        assert.equal(await storage.oauth.countAccessTokensIssued('r1', T0 + 2), 1);
        assert.equal(await storage.oauth.countAccessTokensIssued('r1', T0 + 3), 0);
        assert.equal(await storage.oauth.countAccessTokensIssued('r2', T0), 1);
        assert.equal(await storage.oauth.countAccessTokensIssued('nope', 0), 0);
      });

      test("keeps a refresh token's newest live access tokens and revokes the older live ones", async () => {
        const now = T0 + 100;
        // Saved out of order; equal issue times go by insertion; no issue time counts as the oldest.
        await storage.oauth.saveAccessToken(accessToken('t-mid', 'r1', T0 + 20));
        await storage.oauth.saveAccessToken(accessToken('t-unknown', 'r1'));
        await storage.oauth.saveAccessToken(accessToken('t-new', 'r1', T0 + 30));
        await storage.oauth.saveAccessToken(accessToken('t-tie-z', 'r1', T0 + 10));
        await storage.oauth.saveAccessToken(accessToken('t-tie-a', 'r1', T0 + 10));
        await storage.oauth.saveAccessToken({ ...accessToken('t-expired', 'r1', T0 + 40), expiresAt: now });
        await storage.oauth.saveAccessToken(accessToken('t-revoked', 'r1', T0 + 50));
        await storage.oauth.saveAccessToken(accessToken('t-other', 'r2', T0));
        await storage.oauth.revokeAccessToken('t-revoked', T0 + 50);
        const live = async () => {
          const out: string[] = [];
          for (const h of ['t-new', 't-mid', 't-tie-a', 't-tie-z', 't-unknown', 't-other'])
            if (await storage.oauth.getAccessToken(h, now)) out.push(h);
          return out;
        };

        assert.equal(await storage.oauth.pruneAccessTokens('r1', 5, now), 0);
        assert.equal(await storage.oauth.pruneAccessTokens('r1', 4, now), 1);
        assert.deepEqual(await live(), ['t-new', 't-mid', 't-tie-a', 't-tie-z', 't-other']);
        assert.equal(await storage.oauth.pruneAccessTokens('r1', 3, now), 1);
        assert.deepEqual(await live(), ['t-new', 't-mid', 't-tie-a', 't-other'], 'the earlier of a tie goes first');
        assert.equal(await storage.oauth.pruneAccessTokens('r1', 1, now), 2);
        assert.deepEqual(await live(), ['t-new', 't-other']);
        assert.equal(await storage.oauth.pruneAccessTokens('r1', 1, now), 0);
        assert.equal(await storage.oauth.pruneAccessTokens('r1', 0, now), 1);
        assert.deepEqual(await live(), ['t-other']);
        assert.equal(await storage.oauth.pruneAccessTokens('nope', 0, now), 0);
      });

      test("keeps a user's newest refresh tokens of a client and revokes the older ones with their access tokens", async () => {
        // Saved out of order; equal creation times go by insertion.
        await storage.oauth.saveRefreshToken(refreshToken('r-mid', 'c', 'u', T0 + 20));
        await storage.oauth.saveRefreshToken(refreshToken('r-old', 'c', 'u', T0));
        await storage.oauth.saveRefreshToken(refreshToken('r-new', 'c', 'u', T0 + 30));
        await storage.oauth.saveRefreshToken(refreshToken('r-tie-z', 'c', 'u', T0 + 10));
        await storage.oauth.saveRefreshToken(refreshToken('r-tie-a', 'c', 'u', T0 + 10));
        await storage.oauth.saveRefreshToken(refreshToken('r-revoked', 'c', 'u', T0 + 40));
        await storage.oauth.saveRefreshToken(refreshToken('r-other-user', 'c', 'v', T0));
        await storage.oauth.saveRefreshToken(refreshToken('r-other-client', 'd', 'u', T0));
        await storage.oauth.revokeRefreshToken('r-revoked', T0 + 40);
        await storage.oauth.saveAccessToken(accessToken('a-old', 'r-old', T0));
        await storage.oauth.saveAccessToken(accessToken('a-tie-z', 'r-tie-z', T0 + 10));
        await storage.oauth.saveAccessToken(accessToken('a-mid', 'r-mid', T0 + 20));
        await storage.oauth.saveAccessToken(accessToken('a-other', 'r-other-user', T0));
        const live = async () => {
          const out: string[] = [];
          for (const h of ['r-new', 'r-mid', 'r-tie-a', 'r-tie-z', 'r-old', 'r-other-user', 'r-other-client'])
            if (await storage.oauth.getRefreshToken(h)) out.push(h);
          return out;
        };

        assert.equal(await storage.oauth.pruneRefreshTokens('c', 'u', 5, T0 + 50), 0);
        assert.equal(await storage.oauth.pruneRefreshTokens('c', 'u', 3, T0 + 50), 2);
        assert.deepEqual(await live(), ['r-new', 'r-mid', 'r-tie-a', 'r-other-user', 'r-other-client']);
        assert.equal(await storage.oauth.getAccessToken('a-old', T0 + 51), undefined);
        assert.equal(await storage.oauth.getAccessToken('a-tie-z', T0 + 51), undefined);
        assert.equal((await storage.oauth.getAccessToken('a-mid', T0 + 51))?.tokenHash, 'a-mid');
        assert.equal(await storage.oauth.pruneRefreshTokens('c', 'u', 3, T0 + 52), 0);
        assert.equal(await storage.oauth.pruneRefreshTokens('c', 'u', 0, T0 + 52), 3);
        assert.deepEqual(await live(), ['r-other-user', 'r-other-client']);
        assert.equal(await storage.oauth.getAccessToken('a-mid', T0 + 53), undefined);
        assert.equal((await storage.oauth.getAccessToken('a-other', T0 + 53))?.tokenHash, 'a-other');
        assert.equal(await storage.oauth.pruneRefreshTokens('nope', 'u', 0, T0 + 53), 0);
      });
    });

    describe('files', () => {
      test('stores an uploaded file and hides it from other orgs', async () => {
        const file = makeFile('org-a', '4150868000000300001');
        await storage.files.create(file);
        assert.deepEqual(await storage.files.get('org-a', file.id), file);
        assert.equal(await storage.files.get('org-b', file.id), undefined);
        assert.equal(await storage.files.get('org-a', '4150868000000300002'), undefined);
      });

      test('stores every CSV of a zip made for a parent/child job', async () => {
        const file: UploadedFile = {
          ...makeFile('org-a', '4150868000000300003'),
          csvs: [
            {
              name: 'leads.csv',
              header: ['Last_Name', 'Email', 'Ünïcode "quoted", col'],
              delimiter: ',',
              rowCount: 25_000,
            },
            { name: 'Secondary.csv', header: ['Parent', 'Phone'], delimiter: ';', rowCount: 7 },
          ],
        };
        await storage.files.create(file);
        assert.deepEqual(await storage.files.get('org-a', file.id), file);
      });
    });

    describe('jobs', () => {
      test('creates a job and reads it back exactly as created', async () => {
        const job = makeJob('org-a', '4150868000000400001');
        await storage.jobs.create(job);
        assert.deepEqual(await storage.jobs.get('org-a', job.id), job);
      });

      test('keeps a bulk read job as created, and its page once completed, with its callback in the outbox', async () => {
        await storage.orgs.create(makeOrg('org-a'));
        const job: Job = {
          ...makeJob('org-a', 'job-read'),
          operation: 'read',
          resources: [],
          read: {
            module: { apiName: 'Leads', id: '4150868000000002175' },
            fields: ['Last_Name'],
            page: 2,
            criteria: {
              groupOperator: 'or',
              group: [
                { apiName: 'Last_Name', comparator: 'in', value: ['a', 'b'], byField: false },
                { apiName: 'No_of_Employees', comparator: 'between', value: [1, 5], byField: true },
              ],
            },
            fileType: 'csv',
          },
        };
        await storage.jobs.create(job);
        assert.deepEqual(await storage.jobs.get('org-a', job.id), job);
        const claimed = await storage.jobs.claimNext('worker-a', LEASE, T0);
        assert.equal(claimed?.id, job.id);
        await assert.rejects(
          storage.jobs.completeRead(job.id, 'worker-b', { count: 1, moreRecords: false }, T0 + 1),
          LeaseLostError,
        );
        await storage.jobs.completeRead(job.id, 'worker-a', { count: 200000, moreRecords: true }, T0 + 2);
        const done = await storage.jobs.get('org-a', job.id);
        assert.equal(done?.status, 'COMPLETED');
        assert.equal(done?.resultReady, true);
        assert.deepEqual(done?.readResult, { count: 200000, moreRecords: true });
        assert.deepEqual(done?.read, job.read);
        assert.equal((await storage.callbacks.get('org-a', job.id))?.url, job.callback!.url);
      });

      test('hides a job from every org but its own', async () => {
        await storage.jobs.create(makeJob('org-a', 'job-1'));
        assert.equal(await storage.jobs.get('org-b', 'job-1'), undefined);
        assert.equal(await storage.jobs.get('org-a', 'job-2'), undefined);
        assert.deepEqual(await storage.jobs.list('org-b', 10), []);
      });

      test("lists an org's jobs newest first, up to the limit", async () => {
        await storage.jobs.create(makeJob('org-a', 'job-1', T0));
        await storage.jobs.create(makeJob('org-a', 'job-3', T0 + 2));
        await storage.jobs.create(makeJob('org-b', 'job-b', T0 + 3));
        await storage.jobs.create(makeJob('org-a', 'job-2', T0));
        const ids = async (limit: number) => (await storage.jobs.list('org-a', limit)).map((j) => j.id);
        assert.deepEqual(await ids(10), ['job-3', 'job-2', 'job-1']);
        assert.deepEqual(await ids(2), ['job-3', 'job-2']);
      });

      test("pages every org's jobs newest first by (created, id), after a cursor, by org and by status", async () => {
        await storage.jobs.create(makeJob('org-a', 'job-1', T0));
        await storage.jobs.create(makeJob('org-a', 'job-2', T0));
        await storage.jobs.create(makeJob('org-a', 'job-3', T0 + 1));
        await storage.jobs.create(makeJob('org-b', 'job-b', T0 + 2));
        type Filter = Parameters<Storage['ops']['jobsPage']>[0];
        const ids = async (filter: Filter, limit = 10) => (await storage.ops.jobsPage(filter, limit)).map((j) => j.id);
        assert.deepEqual(await ids({}, 2), ['job-b', 'job-3']);
        // Ties on the creation time are ordered by id, so a cursor inside a tie neither skips nor repeats.
        assert.deepEqual(await ids({ after: { createdAt: T0 + 1, id: 'job-3' } }, 2), ['job-2', 'job-1']);
        assert.deepEqual(await ids({ after: { createdAt: T0, id: 'job-2' } }), ['job-1']);
        assert.deepEqual(await ids({ after: { createdAt: T0, id: 'job-1' } }), []);
        assert.deepEqual(await ids({ orgId: 'org-a' }), ['job-3', 'job-2', 'job-1']);
        assert.deepEqual(await ids({ orgId: 'org-c' }), []);
        const claimed = await storage.jobs.claimNext('worker-a', LEASE, T0);
        assert.ok(claimed);
        assert.deepEqual(await ids({ status: 'INPROGRESS' }), [claimed.id]);
        assert.deepEqual(
          await ids({ orgId: 'org-a', status: 'ADDED' }),
          ['job-3', 'job-2', 'job-1'].filter((id) => id !== claimed.id),
        );
      });
    });

    describe('fault rules', () => {
      const rule = (id: string, body: unknown) => parseFaultRule(body, id, T0);

      test('keeps rules as given, lists them in the order added, and removes one or all', async () => {
        const a = rule('rule-a', {
          match: { org_id: '123', route: 'job_details', method: 'get', job_id: '456' },
          times: 3,
          respond: { status: 429, code: 'TOO_MANY_REQUESTS', message: 'slow down', details: { retry: 1 } },
        });
        const b = rule('rule-b', { probability: 0.25, delay_ms: 1500 });
        const c = rule('rule-c', { job: { fail_at_row: 2, code: 'CANNOT_PROCESS', rows_per_second: 3.5 } });
        for (const r of [a, b, c]) await storage.faults.add(r);
        assert.deepEqual(await storage.faults.list(), [a, b, c]);
        const other = await store!.reopen();
        assert.deepEqual(await other.faults.list(), [a, b, c]);
        assert.equal(await storage.faults.remove('rule-b'), true);
        assert.equal(await storage.faults.remove('rule-b'), false);
        assert.deepEqual(
          (await other.faults.list()).map((r) => r.id),
          ['rule-a', 'rule-c'],
        );
        assert.equal(await storage.faults.clear(), 2);
        assert.deepEqual(await storage.faults.list(), []);
      });

      test('counts firings across handles, and stops a rule with `times` when they run out', async () => {
        await storage.faults.add(rule('limited', { times: 2, drop: true }));
        await storage.faults.add(rule('unlimited', { drop: true }));
        const other = await store!.reopen();
        const fired = await Promise.all([1, 2, 3, 4].map((i) => (i % 2 ? storage : other).faults.fire('limited')));
        assert.equal(fired.filter(Boolean).length, 2);
        for (let i = 0; i < 5; i++) assert.equal(await other.faults.fire('unlimited'), true);
        assert.equal(await storage.faults.fire('missing'), false);
        const byId = new Map((await storage.faults.list()).map((r) => [r.id, r]));
        assert.deepEqual([byId.get('limited')!.remaining, byId.get('limited')!.hits], [0, 2]);
        assert.deepEqual([byId.get('unlimited')!.remaining, byId.get('unlimited')!.hits], [null, 5]);
      });

      test('a held job is not claimed until released, by any handle; other jobs pass it', async () => {
        await storage.faults.add(rule('hold', { job: { hold: true } }));
        await storage.jobs.create(makeJob('org-a', 'job-held', T0));
        await storage.jobs.create(makeJob('org-a', 'job-free', T0 + 1));
        await storage.faults.bindJob({ jobId: 'job-held', ruleId: 'hold', effect: { hold: true } });
        await storage.faults.bindJob({ jobId: 'job-held', ruleId: 'hold', effect: { hold: true } });
        const other = await store!.reopen();
        assert.equal((await other.jobs.claimNext('worker-a', LEASE, T0 + 10))?.id, 'job-free');
        assert.equal(await storage.jobs.claimNext('worker-b', LEASE, T0 + 10), undefined);
        assert.equal(await other.faults.release('job-held'), true);
        assert.equal(await other.faults.release('job-held'), false);
        assert.equal((await storage.jobs.claimNext('worker-b', LEASE, T0 + 10))?.id, 'job-held');
      });

      test("a job's effects come back in the order bound; removing a rule removes its bindings", async () => {
        await storage.faults.add(rule('slow', { job: { rows_per_second: 5 } }));
        await storage.faults.add(rule('fail', { job: { fail_at_row: 4, code: 'INVALID_DATA', message: 'm' } }));
        await storage.faults.add(rule('hold', { job: { hold: true } }));
        await storage.jobs.create(makeJob('org-a', 'job-1', T0));
        await storage.faults.bindJob({ jobId: 'job-1', ruleId: 'slow', effect: { rowsPerSecond: 5 } });
        await storage.faults.bindJob({
          jobId: 'job-1',
          ruleId: 'fail',
          effect: { failAtRow: 4, code: 'INVALID_DATA', message: 'm' },
        });
        await storage.faults.bindJob({ jobId: 'job-1', ruleId: 'hold', effect: { hold: true } });
        assert.deepEqual(await storage.faults.jobEffects('job-1'), [
          { rowsPerSecond: 5 },
          { failAtRow: 4, code: 'INVALID_DATA', message: 'm' },
          { hold: true },
        ]);
        assert.deepEqual(await storage.faults.jobEffects('job-2'), []);
        assert.equal(await storage.faults.remove('hold'), true);
        assert.equal((await storage.jobs.claimNext('worker-a', LEASE, T0 + 10))?.id, 'job-1');
        assert.equal((await storage.faults.jobEffects('job-1')).length, 2);
        await storage.faults.clear();
        assert.deepEqual(await storage.faults.jobEffects('job-1'), []);
      });
    });

    describe('claiming jobs', () => {
      test('returns undefined when no job waits', async () => {
        assert.equal(await storage.jobs.claimNext('worker-a', LEASE, T0), undefined);
      });

      test('claims the oldest waiting job first, ties in creation order, and leases it to the worker', async () => {
        await storage.jobs.create(makeJob('org-a', 'job-late', T0 + 2));
        await storage.jobs.create(makeJob('org-b', 'job-early', T0 + 1));
        await storage.jobs.create(makeJob('org-a', 'job-early-too', T0 + 1));
        const first = await storage.jobs.claimNext('worker-a', LEASE, T0 + 10);
        assert.equal(first?.id, 'job-early');
        assert.equal(first.status, 'INPROGRESS');
        assert.equal((await storage.jobs.get('org-b', 'job-early'))?.status, 'INPROGRESS');
        assert.equal((await storage.jobs.claimNext('worker-b', LEASE, T0 + 10))?.id, 'job-early-too');
        assert.equal((await storage.jobs.claimNext('worker-c', LEASE, T0 + 10))?.id, 'job-late');
        assert.equal(await storage.jobs.claimNext('worker-d', LEASE, T0 + 10), undefined);
      });

      test('does not hand a job out again while its lease lasts, and does once it has expired', async () => {
        await claimedJob();
        assert.equal(await storage.jobs.claimNext('worker-b', LEASE, T0 + LEASE - 1), undefined);
        assert.equal(await storage.jobs.claimNext('worker-b', LEASE, T0 + LEASE), undefined);
        const taken = await storage.jobs.claimNext('worker-b', LEASE, T0 + LEASE + 1);
        assert.equal(taken?.id, 'job-1');
        assert.equal(taken.status, 'INPROGRESS');
      });

      test('stores when a job was first taken, and keeps it when another worker takes the job over', async () => {
        await storage.orgs.create(makeOrg('org-a'));
        await storage.jobs.create(makeJob('org-a', 'job-1', T0));
        assert.equal((await storage.jobs.get('org-a', 'job-1'))?.startedAt, null, 'not started before a claim');
        // The lease runs on real time, the start on the emulator clock (here 5 s ahead of it).
        const first = await storage.jobs.claimNext('worker-a', LEASE, T0 + 10, T0 + 5_010);
        assert.equal(first?.startedAt, T0 + 5_010);
        assert.equal((await storage.jobs.get('org-a', 'job-1'))?.startedAt, T0 + 5_010);
        const other = await store!.reopen();
        const taken = await other.jobs.claimNext('worker-b', LEASE, T0 + LEASE + 11, T0 + LEASE + 5_011);
        assert.equal(taken?.id, 'job-1');
        assert.equal(taken.startedAt, T0 + 5_010, 'a takeover keeps the first start');
        await other.jobs.complete('job-1', 'worker-b', T0 + LEASE + 6_000);
        const done = await storage.jobs.get('org-a', 'job-1');
        assert.deepEqual([done?.startedAt, done?.finishedAt], [T0 + 5_010, T0 + LEASE + 6_000]);
        // Without an emulator time the lease clock is the start.
        await storage.jobs.create(makeJob('org-a', 'job-2', T0 + 1));
        assert.equal((await storage.jobs.claimNext('worker-c', LEASE, T0 + 20))?.startedAt, T0 + 20);
      });

      test("refuses the first worker's writes after another worker took its expired job", async () => {
        const job = await claimedJob();
        const late = T0 + LEASE + 1;
        assert.ok(await storage.jobs.claimNext('worker-b', LEASE, late));
        assert.equal(await storage.jobs.renewLease(job.id, 'worker-a', LEASE, late), false);
        await assert.rejects(
          storage.jobs.commitChunk(
            makeChunk(job, 'worker-a', 1, {
              results: [added(1, '4150868000000700001')],
              inserts: [insert('4150868000000700001', {})],
            }),
          ),
          LeaseLostError,
        );
        await assert.rejects(storage.jobs.complete(job.id, 'worker-a', late), LeaseLostError);
        await assert.rejects(storage.jobs.fail(job.id, 'worker-a', { code: 'X', message: 'x' }, late), LeaseLostError);
        assert.equal(await storage.records.get('org-a', MODULE, '4150868000000700001'), undefined);
        assert.deepEqual(await storage.jobs.results(job.id, 1, 10), []);
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-b', 1, {
            results: [added(1, '4150868000000700002')],
            inserts: [insert('4150868000000700002', {})],
            now: late,
          }),
        );
        assert.equal((await storage.jobs.get('org-a', job.id))?.counts.added, 1);
      });

      test('never claims a finished job, however late', async () => {
        await storage.jobs.create(makeJob('org-a', 'job-1', T0));
        await storage.jobs.create(makeJob('org-a', 'job-2', T0 + 1));
        await storage.jobs.complete((await storage.jobs.claimNext('w', LEASE, T0))!.id, 'w', T0);
        await storage.jobs.fail(
          (await storage.jobs.claimNext('w', LEASE, T0))!.id,
          'w',
          { code: 'E', message: 'e' },
          T0,
        );
        assert.equal(await storage.jobs.claimNext('w2', LEASE, T0 + 10 * LEASE), undefined);
      });

      test('never gives the same job to two workers claiming at once', async () => {
        const other = await store!.reopen();
        for (let i = 0; i < 8; i++) await storage.jobs.create(makeJob('org-a', `job-${i}`, T0 + i));
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : storage).jobs.claimNext(`worker-${i}`, LEASE, T0 + 100),
          ),
        );
        const ids = claims.filter((j) => j !== undefined).map((j) => j.id);
        assert.equal(ids.length, 8);
        assert.equal(new Set(ids).size, 8);
      });

      test('renews a lease only for the worker that holds it', async () => {
        const job = await claimedJob();
        assert.equal(await storage.jobs.renewLease(job.id, 'worker-b', LEASE, T0 + 1_000), false);
        assert.equal(await storage.jobs.renewLease(job.id, 'worker-a', 5 * LEASE, T0 + 1_000), true);
        assert.equal(await storage.jobs.claimNext('worker-b', LEASE, T0 + 2 * LEASE), undefined);
        assert.equal((await storage.jobs.claimNext('worker-b', LEASE, T0 + 1_001 + 5 * LEASE))?.id, job.id);
        assert.equal(await storage.jobs.renewLease('no-such-job', 'worker-b', LEASE, T0), false);
      });

      test('hands a released job to the next worker at once, checkpoint kept; only the holder can release it', async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            results: [added(3, '4150868000000700003')],
            inserts: [insert('4150868000000700003', {})],
          }),
        );
        await storage.jobs.releaseLease(job.id, 'worker-b');
        assert.equal(await storage.jobs.claimNext('worker-c', LEASE, T0 + 2_000), undefined);
        await storage.jobs.releaseLease(job.id, 'worker-a');
        const resumed = await storage.jobs.claimNext('worker-c', LEASE, T0 + 2_000);
        assert.equal(resumed?.id, job.id);
        assert.equal(resumed.status, 'INPROGRESS');
        assert.equal(resumed.checkpointRow, 3);
        assert.equal(resumed.counts.added, 1);
      });
    });

    describe('committing chunks', () => {
      test("keeps a parent/child job's counts per resource, as the last chunk gave them", async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 2, {
            results: [added(1, '4150868000000700011'), added(2, '4150868000000700012')],
            inserts: [
              insert('4150868000000700011', { Last_Name: 'A' }),
              insert('4150868000000700012', { Last_Name: 'B' }),
            ],
            resourceCounts: [
              { added: 2, updated: 0, skipped: 0 },
              { added: 0, updated: 0, skipped: 0 },
            ],
          }),
        );
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            results: [{ rowNo: 3, status: 'SKIPPED', recordId: null, errors: 'RESOURCE_NOT_FOUND-Parent_Id' }],
            resourceCounts: [
              { added: 2, updated: 0, skipped: 0 },
              { added: 0, updated: 0, skipped: 1 },
            ],
          }),
        );
        const after = await storage.jobs.get('org-a', job.id);
        assert.deepEqual(after?.counts, { added: 2, updated: 0, skipped: 1, total: 3 });
        assert.deepEqual(after.resourceCounts, [
          { added: 2, updated: 0, skipped: 0 },
          { added: 0, updated: 0, skipped: 1 },
        ]);
      });

      test('commits records, keys, results, counters and the checkpoint of a chunk together', async () => {
        const job = await claimedJob();
        const skippedRow: RowResult = {
          rowNo: 2,
          status: 'SKIPPED',
          recordId: null,
          errors: 'MANDATORY_NOT_FOUND-Last_Name',
        };
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            inserts: [
              insert('4150868000000700001', { Last_Name: 'One', Email: 'one@x.com' }, [['Email', 'one@x.com']]),
              insert('4150868000000700003', { Last_Name: 'Three' }),
            ],
            results: [added(1, '4150868000000700001'), skippedRow, added(3, '4150868000000700003')],
          }),
        );
        const after = await storage.jobs.get('org-a', job.id);
        assert.deepEqual(after?.counts, { added: 2, updated: 0, skipped: 1, total: 3 });
        assert.equal(after.resourceCounts, null);
        assert.equal(after.checkpointRow, 3);
        assert.equal(after.status, 'INPROGRESS');
        assert.deepEqual(await storage.records.get('org-a', MODULE, '4150868000000700001'), {
          id: '4150868000000700001',
          module: MODULE,
          data: { Last_Name: 'One', Email: 'one@x.com' },
          createdAt: T0 + 1_000,
          modifiedAt: T0 + 1_000,
        });
        assert.deepEqual(
          await storage.records.idsByKey('org-a', MODULE, 'Email', ['one@x.com']),
          new Map([['one@x.com', '4150868000000700001']]),
        );
        assert.deepEqual(await storage.jobs.results(job.id, 1, 10), [
          added(1, '4150868000000700001'),
          skippedRow,
          added(3, '4150868000000700003'),
        ]);
        assert.equal(await storage.records.count('org-a', MODULE), 2);
      });

      test('summarises each chunk of outcomes: rows skipped and rows per error group, from the chunk holding a row', async () => {
        const job = await claimedJob();
        const skip = (rowNo: number, errors: string): RowResult => ({
          rowNo,
          status: 'SKIPPED',
          recordId: null,
          errors,
        });
        // Chunks of 3 rows: 1–3, 4–6 (nothing skipped), 7–9; the third has two groups on one row.
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            results: [added(1, '4150868000000700001'), skip(2, 'INVALID_DATA-Email'), skip(3, 'INVALID_DATA-Email')],
          }),
        );
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 6, {
            results: [
              added(4, '4150868000000700004'),
              added(5, '4150868000000700005'),
              added(6, '4150868000000700006'),
            ],
          }),
        );
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 9, {
            results: [
              skip(9, 'MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Email'),
              added(7, '4150868000000700007'),
              skip(8, 'DUPLICATE_DATA-Email,Secondary_Email'),
            ],
          }),
        );
        const codes = (o: Record<string, number>) => ({ ...o });
        const all = await storage.jobs.resultSummaries(job.id, 1, 10);
        assert.deepEqual(
          all.map((s) => [s.firstRow, s.lastRow, s.skipped, codes(s.codes)]),
          [
            [1, 3, 2, { 'INVALID_DATA-Email': 2 }],
            [4, 6, 0, {}],
            [
              7,
              9,
              2,
              {
                'MANDATORY_NOT_FOUND-Last_Name': 1,
                'INVALID_DATA-Email': 1,
                'DUPLICATE_DATA-Email,Secondary_Email': 1,
              },
            ],
          ],
        );
        // From a row inside a chunk: that chunk first; a limit; past the end: none.
        assert.deepEqual(
          (await storage.jobs.resultSummaries(job.id, 5, 10)).map((s) => s.firstRow),
          [4, 7],
        );
        assert.deepEqual(
          (await storage.jobs.resultSummaries(job.id, 3, 1)).map((s) => s.firstRow),
          [1],
        );
        assert.deepEqual(await storage.jobs.resultSummaries(job.id, 10, 10), []);
        assert.deepEqual(await storage.jobs.resultSummaries('job-other', 1, 10), []);
        // Purged with the outcomes.
        await storage.jobs.complete(job.id, 'worker-a', T0 + 10);
        await storage.ops.purgeResults(job.id, T0 + 20);
        assert.deepEqual(await storage.jobs.resultSummaries(job.id, 1, 10), []);
      });

      test("renews the lease to the chunk's leaseUntil", async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(makeChunk(job, 'worker-a', 1, { leaseUntil: T0 + 10 * LEASE }));
        assert.equal(await storage.jobs.claimNext('worker-b', LEASE, T0 + 5 * LEASE), undefined);
        assert.equal((await storage.jobs.claimNext('worker-b', LEASE, T0 + 10 * LEASE + 1))?.id, job.id);
      });

      test('applies updates: new data, new modified time, keys moved from old values to new', async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 1, {
            inserts: [
              insert('4150868000000700001', { Last_Name: 'One', Email: 'old@x.com' }, [['Email', 'old@x.com']]),
            ],
            results: [added(1, '4150868000000700001')],
          }),
        );
        const update: UpdateRecord = {
          id: '4150868000000700001',
          data: { Last_Name: 'Uno', Email: 'new@x.com' },
          removeKeys: [['Email', 'old@x.com']],
          addKeys: [['Email', 'new@x.com']],
        };
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 2, {
            updates: [update],
            results: [{ rowNo: 2, status: 'UPDATED', recordId: '4150868000000700001', errors: null }],
            now: T0 + 5_000,
          }),
        );
        const rec = await storage.records.get('org-a', MODULE, '4150868000000700001');
        assert.deepEqual(rec?.data, update.data);
        assert.equal(rec.createdAt, T0 + 1_000);
        assert.equal(rec.modifiedAt, T0 + 5_000);
        const keys = await storage.records.idsByKey('org-a', MODULE, 'Email', ['old@x.com', 'new@x.com']);
        assert.deepEqual(keys, new Map([['new@x.com', '4150868000000700001']]));
        assert.deepEqual((await storage.jobs.get('org-a', job.id))?.counts, {
          added: 1,
          updated: 1,
          skipped: 0,
          total: 2,
        });
      });

      test('lets a key released by one record be taken by another in the same chunk', async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 2, {
            inserts: [
              insert('4150868000000700001', { Email: 'a@x.com' }, [['Email', 'a@x.com']]),
              insert('4150868000000700002', { Email: 'b@x.com' }, [['Email', 'b@x.com']]),
            ],
            results: [added(1, '4150868000000700001'), added(2, '4150868000000700002')],
          }),
        );
        // r1 and r2 swap addresses, and a new record takes the one r1 gave up... after r1 took r2's.
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 5, {
            inserts: [insert('4150868000000700003', { Email: 'a@x.com' }, [['Email', 'a@x.com']])],
            updates: [
              {
                id: '4150868000000700001',
                data: { Email: 'b@x.com' },
                removeKeys: [['Email', 'a@x.com']],
                addKeys: [['Email', 'b@x.com']],
              },
              {
                id: '4150868000000700002',
                data: { Email: 'c@x.com' },
                removeKeys: [['Email', 'b@x.com']],
                addKeys: [['Email', 'c@x.com']],
              },
            ],
            results: [
              { rowNo: 3, status: 'UPDATED', recordId: '4150868000000700001', errors: null },
              { rowNo: 4, status: 'UPDATED', recordId: '4150868000000700002', errors: null },
              added(5, '4150868000000700003'),
            ],
          }),
        );
        const keys = await storage.records.idsByKey('org-a', MODULE, 'Email', ['a@x.com', 'b@x.com', 'c@x.com']);
        assert.deepEqual(
          keys,
          new Map([
            ['a@x.com', '4150868000000700003'],
            ['b@x.com', '4150868000000700001'],
            ['c@x.com', '4150868000000700002'],
          ]),
        );
      });

      test('rolls back a whole chunk whose unique keys clash, leaving records, results and counters as they were', async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 1, {
            inserts: [insert('4150868000000700001', { Email: 'a@x.com' }, [['Email', 'a@x.com']])],
            results: [added(1, '4150868000000700001')],
          }),
        );
        const before = await storage.jobs.get('org-a', job.id);
        const clashing = makeChunk(job, 'worker-a', 3, {
          inserts: [
            insert('4150868000000700002', { Email: 'fresh@x.com' }, [['Email', 'fresh@x.com']]),
            insert('4150868000000700003', { Email: 'a@x.com' }, [['Email', 'a@x.com']]),
          ],
          updates: [
            {
              id: '4150868000000700001',
              data: { Email: 'a@x.com', Last_Name: 'Changed' },
              removeKeys: [],
              addKeys: [],
            },
          ],
          results: [added(2, '4150868000000700002'), added(3, '4150868000000700003')],
        });
        await assert.rejects(storage.jobs.commitChunk(clashing), ChunkConflictError);
        assert.deepEqual(await storage.jobs.get('org-a', job.id), before);
        assert.equal(await storage.records.count('org-a', MODULE), 1);
        assert.equal(await storage.records.get('org-a', MODULE, '4150868000000700002'), undefined);
        assert.deepEqual((await storage.records.get('org-a', MODULE, '4150868000000700001'))?.data, {
          Email: 'a@x.com',
        });
        assert.deepEqual(await storage.records.idsByKey('org-a', MODULE, 'Email', ['fresh@x.com']), new Map());
        assert.deepEqual(await storage.jobs.results(job.id, 1, 10), [added(1, '4150868000000700001')]);

        // The lease survives the failed chunk: the same rows, decided again, commit.
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            inserts: [insert('4150868000000700002', { Email: 'fresh@x.com' }, [['Email', 'fresh@x.com']])],
            results: [
              added(2, '4150868000000700002'),
              { rowNo: 3, status: 'SKIPPED', recordId: null, errors: 'DUPLICATE_DATA-Email' },
            ],
          }),
        );
        assert.deepEqual((await storage.jobs.get('org-a', job.id))?.counts, {
          added: 2,
          updated: 0,
          skipped: 1,
          total: 3,
        });
      });

      test('keeps the keys of a field that becomes unique after the module has records, from its first chunk on', async () => {
        const job = await claimedJob();
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 1, {
            inserts: [insert('4150868000000700001', { Email: 'a@x.com', Code: 'C-1' }, [['Email', 'a@x.com']])],
            results: [added(1, '4150868000000700001')],
          }),
        );
        // A schema made Code unique: records stored before hold no key for it until an update adds one.
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 3, {
            inserts: [
              insert('4150868000000700002', { Email: 'b@x.com', Code: 'C-2' }, [
                ['Email', 'b@x.com'],
                ['Code', 'c-2'],
              ]),
            ],
            updates: [
              {
                id: '4150868000000700001',
                data: { Email: 'a@x.com', Code: 'C-3' },
                removeKeys: [['Code', 'c-1']],
                addKeys: [['Code', 'c-3']],
              },
            ],
            results: [added(2, '4150868000000700002'), added(3, '4150868000000700001')],
          }),
        );
        assert.deepEqual(
          await storage.records.idsByKey('org-a', MODULE, 'Code', ['c-1', 'c-2', 'c-3']),
          new Map([
            ['c-2', '4150868000000700002'],
            ['c-3', '4150868000000700001'],
          ]),
        );
        assert.deepEqual(
          await storage.records.idsByKey('org-a', MODULE, 'Email', ['a@x.com', 'b@x.com']),
          new Map([
            ['a@x.com', '4150868000000700001'],
            ['b@x.com', '4150868000000700002'],
          ]),
        );
        await assert.rejects(
          storage.jobs.commitChunk(
            makeChunk(job, 'worker-a', 4, {
              inserts: [insert('4150868000000700004', { Code: 'C-2' }, [['Code', 'c-2']])],
              results: [added(4, '4150868000000700004')],
            }),
          ),
          ChunkConflictError,
        );
        assert.equal(await storage.records.count('org-a', MODULE), 2);
      });

      test('stores the first chunks of a new module written by two handles at once, one table for both', async () => {
        const other = await store!.reopen();
        await storage.orgs.create(makeOrg('org-a'));
        const jobs = ['job-1', 'job-2', 'job-3', 'job-4'];
        for (const id of jobs) await storage.jobs.create(makeJob('org-a', id));
        const claimed = await Promise.all(jobs.map(() => storage.jobs.claimNext('worker-a', LEASE, T0)));
        await Promise.all(
          claimed.map((job, j) =>
            (j % 2 ? other : storage).jobs.commitChunk({
              ...makeChunk(job!, 'worker-a', 1, {
                inserts: [
                  insert(`415086800000070000${j}`, { Email: `${j}@x.com` }, [
                    ['Email', `${j}@x.com`],
                    [`Field_${j}`, `k${j}`],
                  ]),
                ],
                results: [added(1, `415086800000070000${j}`)],
              }),
              module: 'New_Module',
            }),
          ),
        );
        assert.equal(await storage.records.count('org-a', 'New_Module'), 4);
        assert.deepEqual(
          (await other.records.list('org-a', 'New_Module', 0, 10)).map((r) => r.data.Email),
          ['0@x.com', '1@x.com', '2@x.com', '3@x.com'],
        );
        for (let j = 0; j < 4; j++) {
          assert.deepEqual(
            await storage.records.idsByKey('org-a', 'New_Module', `Field_${j}`, [`k${j}`]),
            new Map([[`k${j}`, `415086800000070000${j}`]]),
          );
        }
      });

      test('rolls back a chunk in which two new records claim the same key', async () => {
        const job = await claimedJob();
        const chunk = makeChunk(job, 'worker-a', 2, {
          inserts: [
            insert('4150868000000700001', { Email: 'same@x.com' }, [['Email', 'same@x.com']]),
            insert('4150868000000700002', { Email: 'same@x.com' }, [['Email', 'same@x.com']]),
          ],
          results: [added(1, '4150868000000700001'), added(2, '4150868000000700002')],
        });
        await assert.rejects(storage.jobs.commitChunk(chunk), ChunkConflictError);
        assert.equal(await storage.records.count('org-a', MODULE), 0);
        assert.deepEqual(await storage.jobs.results(job.id, 1, 10), []);
        assert.equal((await storage.jobs.get('org-a', job.id))?.checkpointRow, 0);
      });

      test('refuses a chunk at or below the checkpoint, so no chunk is applied twice', async () => {
        const job = await claimedJob();
        const chunk = makeChunk(job, 'worker-a', 2, {
          inserts: [
            insert('4150868000000700001', { Email: 'a@x.com' }, [['Email', 'a@x.com']]),
            insert('4150868000000700002', {}),
          ],
          results: [added(1, '4150868000000700001'), added(2, '4150868000000700002')],
        });
        await storage.jobs.commitChunk(chunk);
        await assert.rejects(storage.jobs.commitChunk(chunk), LeaseLostError);
        await assert.rejects(
          storage.jobs.commitChunk(
            makeChunk(job, 'worker-a', 1, {
              inserts: [insert('4150868000000700009', {})],
              results: [added(1, '4150868000000700009')],
            }),
          ),
          LeaseLostError,
        );
        assert.deepEqual((await storage.jobs.get('org-a', job.id))?.counts, {
          added: 2,
          updated: 0,
          skipped: 0,
          total: 2,
        });
        assert.equal(await storage.records.count('org-a', MODULE), 2);
        assert.equal((await storage.jobs.results(job.id, 1, 10)).length, 2);
      });

      test('refuses a chunk for a job that was never claimed or has finished', async () => {
        const job = makeJob('org-a', 'job-1');
        await storage.jobs.create(job);
        await assert.rejects(storage.jobs.commitChunk(makeChunk(job, 'worker-a', 1)), LeaseLostError);
        assert.equal((await storage.jobs.claimNext('worker-a', LEASE, T0))?.id, job.id);
        await storage.jobs.complete(job.id, 'worker-a', T0);
        await assert.rejects(storage.jobs.commitChunk(makeChunk(job, 'worker-a', 1)), LeaseLostError);
        assert.deepEqual((await storage.jobs.get('org-a', job.id))?.counts, {
          added: 0,
          updated: 0,
          skipped: 0,
          total: 0,
        });
      });

      test('commits a chunk of 5,000 records, keys and results in one call', async () => {
        const job = await claimedJob();
        const n = 5_000;
        const inserts: InsertRecord[] = [];
        const results: RowResult[] = [];
        for (let i = 1; i <= n; i++) {
          const email = `lead${i}@example.com`;
          inserts.push(
            insert(`${4150868000000800000n + BigInt(i)}`, { Last_Name: `Name "${i}", \\ ok`, Email: email, Score: i }, [
              ['Email', email],
            ]),
          );
          results.push(added(i, `${4150868000000800000n + BigInt(i)}`));
        }
        await storage.jobs.commitChunk(makeChunk(job, 'worker-a', n, { inserts, results }));
        assert.equal(await storage.records.count('org-a', MODULE), n);
        const page = await storage.jobs.results(job.id, 1, 2 * n);
        assert.equal(page.length, n);
        assert.deepEqual(page[n - 1], added(n, `${4150868000000800000n + BigInt(n)}`));
        const keys = await storage.records.idsByKey(
          'org-a',
          MODULE,
          'Email',
          inserts.map((r) => r.keys[0]![1]),
        );
        assert.equal(keys.size, n);
        assert.equal(keys.get('lead4321@example.com'), '4150868000000804321');
        const recs = await storage.records.byIds(
          'org-a',
          MODULE,
          inserts.map((r) => r.id),
        );
        assert.equal(recs.size, n);
        assert.deepEqual(recs.get('4150868000000800077')?.data, {
          Last_Name: 'Name "77", \\ ok',
          Email: 'lead77@example.com',
          Score: 77,
        });
      });
    });

    describe('finishing jobs', () => {
      test('completes a job: COMPLETED, result ready, finish time, and no lease left to renew', async () => {
        const job = await claimedJob();
        await storage.jobs.complete(job.id, 'worker-a', T0 + 9_000);
        const done = await storage.jobs.get('org-a', job.id);
        assert.equal(done?.status, 'COMPLETED');
        assert.equal(done.resultReady, true);
        assert.equal(done.finishedAt, T0 + 9_000);
        assert.equal(done.failure, null);
        assert.equal(await storage.jobs.renewLease(job.id, 'worker-a', LEASE, T0 + 9_000), false);
        await assert.rejects(storage.jobs.complete(job.id, 'worker-a', T0 + 9_001), LeaseLostError);
      });

      test('fails a job with its code and message', async () => {
        const job = await claimedJob();
        await storage.jobs.fail(job.id, 'worker-a', { code: 'INVALID_FILE_ID', message: 'gone' }, T0 + 9_000);
        const failed = await storage.jobs.get('org-a', job.id);
        assert.equal(failed?.status, 'FAILED');
        assert.deepEqual(failed.failure, { code: 'INVALID_FILE_ID', message: 'gone' });
        assert.equal(failed.finishedAt, T0 + 9_000);
        assert.equal(failed.resultReady, false);
      });

      test('refuses to complete or fail a job for a worker that does not hold it', async () => {
        const job = await claimedJob();
        await assert.rejects(storage.jobs.complete(job.id, 'worker-b', T0), LeaseLostError);
        await assert.rejects(storage.jobs.fail(job.id, 'worker-b', { code: 'E', message: 'e' }, T0), LeaseLostError);
        assert.equal((await storage.jobs.get('org-a', job.id))?.status, 'INPROGRESS');
      });
    });

    describe('results', () => {
      test('pages through row outcomes in input order from any row', async () => {
        const job = await claimedJob('job-1');
        await storage.jobs.create(makeJob('org-a', 'job-2', T0 + 1));
        const other = await storage.jobs.claimNext('worker-b', LEASE, T0);
        const row = (rowNo: number): RowResult =>
          rowNo % 3 === 0
            ? { rowNo, status: 'SKIPPED', recordId: null, errors: 'INVALID_DATA-Email' }
            : added(rowNo, `${4150868000000700000n + BigInt(rowNo)}`);
        await storage.jobs.commitChunk(makeChunk(job, 'worker-a', 3, { results: [row(3), row(1), row(2)] }));
        await storage.jobs.commitChunk(makeChunk(job, 'worker-a', 6, { results: [row(5), row(4), row(6)] }));
        await storage.jobs.commitChunk(
          makeChunk(other!, 'worker-b', 2, {
            results: [added(1, '4150868000000740001'), added(2, '4150868000000740002')],
          }),
        );
        assert.deepEqual(await storage.jobs.results(job.id, 1, 4), [row(1), row(2), row(3), row(4)]);
        assert.deepEqual(await storage.jobs.results(job.id, 4, 100), [row(4), row(5), row(6)]);
        // Pages that start inside a chunk, end inside one, or stay inside one.
        assert.deepEqual(await storage.jobs.results(job.id, 2, 3), [row(2), row(3), row(4)]);
        assert.deepEqual(await storage.jobs.results(job.id, 2, 2), [row(2), row(3)]);
        assert.deepEqual(await storage.jobs.results(job.id, 5, 1), [row(5)]);
        assert.deepEqual(await storage.jobs.results(job.id, 7, 100), []);
        assert.deepEqual(await storage.jobs.results('no-job', 1, 100), []);
      });

      test('keeps errors with backslashes, tabs and line breaks as they were', async () => {
        const job = await claimedJob();
        const errors = ['INVALID_DATA-a\\tb', 'INVALID_DATA-a\tb', 'INVALID_DATA-a\nb\r\nc', '\\\\'];
        const results: RowResult[] = errors.map((e, i) => ({
          rowNo: i + 1,
          status: 'SKIPPED',
          recordId: null,
          errors: e,
        }));
        await storage.jobs.commitChunk(makeChunk(job, 'worker-a', errors.length, { results }));
        assert.deepEqual(await storage.jobs.results(job.id, 1, 10), results);
        assert.deepEqual(await storage.jobs.results(job.id, 3, 10), results.slice(2));
      });
    });

    describe('org schemas', () => {
      test('has no schema for an org until one is put, and keeps each org’s apart', async () => {
        await storage.orgs.create(makeOrg('org-a'));
        await storage.orgs.create(makeOrg('org-b'));
        assert.equal(await storage.schemas.get('org-a'), undefined);
        const first = await storage.schemas.put('org-a', '{"modules":[]}', T0);
        assert.deepEqual(first, { orgId: 'org-a', document: '{"modules":[]}', version: 1, updatedAt: T0 });
        assert.deepEqual(await storage.schemas.get('org-a'), first);
        assert.equal(await storage.schemas.get('org-b'), undefined);
      });

      test('replaces the document and raises the version by one with every put', async () => {
        await storage.orgs.create(makeOrg('org-a'));
        await storage.schemas.put('org-a', '{"v":1}', T0);
        const second = await storage.schemas.put('org-a', '{"v":2}', T0 + 5);
        assert.deepEqual(second, { orgId: 'org-a', document: '{"v":2}', version: 2, updatedAt: T0 + 5 });
        assert.deepEqual(await storage.schemas.get('org-a'), second);
      });
    });

    describe('records', () => {
      /** Stores records as one committed chunk of an org's job. */
      async function stored(orgId: string, module: string, jobId: string, inserts: InsertRecord[], now = T0 + 1_000) {
        if (!(await storage.orgs.get(orgId))) await storage.orgs.create(makeOrg(orgId));
        await storage.jobs.create(makeJob(orgId, jobId));
        const job = (await storage.jobs.claimNext('worker-r', LEASE, T0))!;
        assert.equal(job.id, jobId);
        await storage.jobs.commitChunk({
          ...makeChunk(job, 'worker-r', inserts.length, {
            inserts,
            results: inserts.map((r, i) => added(i + 1, r.id)),
            now,
          }),
          module,
        });
        await storage.jobs.complete(job.id, 'worker-r', now);
      }

      test('finds record ids by unique key only within the org, module and field asked', async () => {
        await stored('org-a', 'Leads', 'j1', [
          insert('4150868000000710001', { Email: 'a@x.com', Phone: '1' }, [
            ['Email', 'a@x.com'],
            ['Phone', '1'],
          ]),
          insert('4150868000000710002', { Email: 'b@x.com' }, [['Email', 'b@x.com']]),
        ]);
        await stored('org-a', 'Contacts', 'j2', [
          insert('4150868000000720001', { Email: 'c@x.com' }, [['Email', 'c@x.com']]),
        ]);
        await stored('org-b', 'Leads', 'j3', [
          insert('4150868000000730001', { Email: 'z@x.com' }, [['Email', 'z@x.com']]),
        ]);
        const found = await storage.records.idsByKey('org-a', 'Leads', 'Email', [
          'a@x.com',
          'b@x.com',
          'a@x.com',
          'c@x.com',
          'z@x.com',
          '1',
          'missing',
        ]);
        assert.deepEqual(
          found,
          new Map([
            ['a@x.com', '4150868000000710001'],
            ['b@x.com', '4150868000000710002'],
          ]),
        );
        assert.deepEqual(
          await storage.records.idsByKey('org-a', 'Leads', 'Phone', ['1']),
          new Map([['1', '4150868000000710001']]),
        );
        assert.deepEqual(await storage.records.idsByKey('org-a', 'Leads', 'Email', []), new Map());
      });

      test('finds the first record per display text, without case, in one or two joined fields', async () => {
        // Written in one chunk, out of id order: the lowest id wins, not the order of writing.
        await stored('org-a', 'Products', 'j1', [
          insert('4150868000000710003', { Product_Name: 'Widget' }),
          insert('4150868000000710001', { Product_Name: 'WIDGET' }),
          insert('4150868000000710002', { Product_Name: 'Gadget' }),
          insert('4150868000000710004', { Product_Name: 'Widget Pro', Product_Code: 'Widget' }),
        ]);
        await stored('org-a', 'Contacts', 'j2', [
          insert('4150868000000720001', { First_Name: 'Ann', Last_Name: 'Lee' }),
          insert('4150868000000720002', { Last_Name: 'Solo' }),
        ]);
        await stored('org-b', 'Products', 'j3', [insert('4150868000000700001', { Product_Name: 'Widget' })]);
        const found = await storage.records.firstIdsByText(
          'org-a',
          'Products',
          ['Product_Name'],
          ['widget', ' Gadget ', 'Widget Pro', 'Sprocket'],
        );
        assert.deepEqual(
          found,
          new Map([
            ['widget', '4150868000000710001'],
            [' Gadget ', '4150868000000710002'],
            ['Widget Pro', '4150868000000710004'],
          ]),
        );
        assert.deepEqual(
          await storage.records.firstIdsByText(
            'org-a',
            'Contacts',
            ['First_Name', 'Last_Name'],
            ['ann lee', 'Solo', 'Lee'],
          ),
          new Map([
            ['ann lee', '4150868000000720001'],
            ['Solo', '4150868000000720002'],
          ]),
        );
        assert.deepEqual(await storage.records.firstIdsByText('org-a', 'Products', ['Product_Name'], []), new Map());
      });

      test('finds records by a Secondary_Email without case from its index, and says when it has no index', async () => {
        await stored('org-a', 'Leads', 'j1', [
          insert('4150868000000710001', { Last_Name: 'A', Secondary_Email: 'Ann@Example.TEST' }),
          insert('4150868000000710002', { Last_Name: 'B' }),
          // U+212A KELVIN SIGN lower-cases to k, as the search compares.
          insert('4150868000000710003', { Last_Name: 'C', Secondary_Email: '\u212Aate@example.test' }),
          insert('4150868000000710004', { Last_Name: 'D', Secondary_Email: 'ann@example.test' }),
        ]);
        await stored('org-a', 'Contacts', 'j2', [
          insert('4150868000000720001', { Secondary_Email: 'ann@example.test' }),
        ]);
        await stored('org-b', 'Leads', 'j3', [insert('4150868000000730001', { Secondary_Email: 'ann@example.test' })]);
        const by = (module: string, field: string, value: string) =>
          storage.records.idsByEmail('org-a', module, field, value);
        assert.deepEqual(await by('Leads', 'Secondary_Email', 'ann@example.test'), [
          '4150868000000710001',
          '4150868000000710004',
        ]);
        assert.deepEqual(await by('Leads', 'Secondary_Email', 'KATE@example.test'), ['4150868000000710003']);
        assert.deepEqual(await by('Contacts', 'Secondary_Email', 'ANN@example.test'), ['4150868000000720001']);
        assert.deepEqual(await by('Leads', 'Secondary_Email', 'nobody@example.test'), []);
        // No index: the caller reads the module instead.
        assert.equal(await by('Leads', 'Email', 'ann@example.test'), null);
        assert.equal(await by('Vendors', 'Secondary_Email', 'ann@example.test'), null);
        assert.equal(await by('Leads', 'Secondary_Email', 'änn@example.test'), null);
      });

      test('reads records by id, ignoring ids that do not exist or belong elsewhere', async () => {
        await stored('org-a', 'Leads', 'j1', [
          insert('4150868000000500001', { Last_Name: 'A' }),
          insert('4150868000000710002', {}),
        ]);
        await stored('org-a', 'Contacts', 'j2', [insert('4150868000000720001', {})]);
        await stored('org-b', 'Leads', 'j3', [insert('4150868000000730001', {})]);
        const got = await storage.records.byIds('org-a', 'Leads', [
          '4150868000000500001',
          '4150868000000710002',
          '4150868000000710002',
          '4150868000000720001',
          '4150868000000730001',
          'not a number',
          '',
        ]);
        assert.deepEqual([...got.keys()].sort(), ['4150868000000500001', '4150868000000710002']);
        assert.deepEqual(got.get('4150868000000500001'), {
          id: '4150868000000500001',
          module: 'Leads',
          data: { Last_Name: 'A' },
          createdAt: T0 + 1_000,
          modifiedAt: T0 + 1_000,
        });
        assert.deepEqual(await storage.records.byIds('org-a', 'Leads', []), new Map());
      });

      test('gets one record and returns undefined for another module or org', async () => {
        await stored('org-a', 'Leads', 'j1', [insert('4150868000000710001', { Last_Name: 'A' })]);
        assert.equal((await storage.records.get('org-a', 'Leads', '4150868000000710001'))?.id, '4150868000000710001');
        assert.equal(await storage.records.get('org-a', 'Contacts', '4150868000000710001'), undefined);
        assert.equal(await storage.records.get('org-b', 'Leads', '4150868000000710001'), undefined);
        assert.equal(await storage.records.get('org-a', 'Leads', '4150868000000710002'), undefined);
      });

      test('lists records in id order, not in the order their chunks were written', async () => {
        // Two workers reserved id blocks 7100… and 7200…; worker B wrote first, then A, then B again.
        await stored('org-a', 'Leads', 'j1', [insert('4150868000000720001', {}), insert('4150868000000720002', {})]);
        await stored(
          'org-a',
          'Leads',
          'j2',
          [insert('4150868000000710001', {}), insert('4150868000000710002', {})],
          T0 + 2_000,
        );
        await stored('org-a', 'Leads', 'j3', [insert('4150868000000720003', {})], T0 + 3_000);
        const ids = async (offset: number, limit: number) =>
          (await storage.records.list('org-a', 'Leads', offset, limit)).map((r) => r.id);
        assert.deepEqual(await ids(0, 10), [
          '4150868000000710001',
          '4150868000000710002',
          '4150868000000720001',
          '4150868000000720002',
          '4150868000000720003',
        ]);
        assert.deepEqual(await ids(1, 3), ['4150868000000710002', '4150868000000720001', '4150868000000720002']);
      });

      test('lists records with offset and limit, and counts them per org and module', async () => {
        await stored(
          'org-a',
          'Leads',
          'j2',
          [insert('4150868000000710004', {}), insert('4150868000000710003', {})],
          T0 + 2_000,
        );
        await stored(
          'org-a',
          'Leads',
          'j1',
          [insert('4150868000000710002', {}), insert('4150868000000710001', {})],
          T0 + 1_000,
        );
        await stored('org-a', 'Contacts', 'j3', [insert('4150868000000720001', {})]);
        const ids = async (offset: number, limit: number) =>
          (await storage.records.list('org-a', 'Leads', offset, limit)).map((r) => r.id);
        assert.deepEqual(await ids(0, 10), [
          '4150868000000710001',
          '4150868000000710002',
          '4150868000000710003',
          '4150868000000710004',
        ]);
        assert.deepEqual(await ids(1, 2), ['4150868000000710002', '4150868000000710003']);
        assert.deepEqual(await ids(4, 2), []);
        assert.equal(await storage.records.count('org-a', 'Leads'), 4);
        assert.equal(await storage.records.count('org-a', 'Contacts'), 1);
        assert.equal(await storage.records.count('org-b', 'Leads'), 0);
      });

      /** Ids FIRST_ID + from … + from + n - 1, as one job's chunks of at most 1,000 records each. */
      async function storedRange(orgId: string, module: string, jobId: string, from: number, n: number) {
        if (!(await storage.orgs.get(orgId))) await storage.orgs.create(makeOrg(orgId));
        await storage.jobs.create(makeJob(orgId, jobId));
        const job = (await storage.jobs.claimNext('worker-r', LEASE, T0))!;
        assert.equal(job.id, jobId);
        for (let done = 0; done < n; done += 1000) {
          const part = Array.from({ length: Math.min(1000, n - done) }, (_, i) =>
            insert(String(FIRST_ID + BigInt(from + done + i)), { n: from + done + i }),
          );
          await storage.jobs.commitChunk({
            ...makeChunk(job, 'worker-r', done + part.length, {
              inserts: part,
              results: part.map((r, i) => added(done + i + 1, r.id)),
            }),
            module,
          });
        }
        await storage.jobs.complete(job.id, 'worker-r', T0 + 1_000);
      }

      /** The page at `offset` must be the records at those positions of the module's sorted ids. */
      async function assertPages(module: string, sorted: number[], offsets: number[], limit = 7) {
        assert.equal(await storage.records.count('org-a', module), sorted.length);
        for (const offset of offsets) {
          const got = (await storage.records.list('org-a', module, offset, limit)).map((r) => r.data.n);
          assert.deepEqual(got, sorted.slice(offset, offset + limit), `offset ${offset}`);
        }
      }

      test('lists from any offset of a large module as OFFSET would, while the module grows', async () => {
        const ids: number[] = [];
        const add = async (jobId: string, from: number, n: number) => {
          await storedRange('org-a', 'Leads', jobId, from, n);
          for (let i = 0; i < n; i++) ids.push(from + i);
          ids.sort((a, b) => a - b);
        };
        const offsets = [0, 1, 998, 999, 1000, 1001, 1999, 2000, 2001, 2500, 3333, 3996, 3999, 4000, 5000, 99_999];
        await add('j1', 10_000, 2_500);
        await storedRange('org-a', 'Contacts', 'j2', 20_000, 1_200);
        await assertPages('Leads', ids, offsets);
        // Appended after every record (one writer): the positions already known still hold.
        await add('j3', 30_000, 1_100);
        await assertPages('Leads', ids, offsets);
        // Written into an id block reserved earlier (two workers): every position after them moves.
        await add('j4', 5_000, 400);
        await add('j5', 12_600, 3);
        await assertPages('Leads', ids, offsets);
        assert.equal(await storage.records.count('org-a', 'Contacts'), 1_200);
        const contacts = (await storage.records.list('org-a', 'Contacts', 1_150, 100)).map((r) => r.data.n);
        assert.deepEqual(
          contacts,
          Array.from({ length: 50 }, (_, i) => 21_150 + i),
        );
        // Another handle on the same store sees the records the first one listed.
        const other = await store!.reopen();
        const atOther = (await other.records.list('org-a', 'Leads', 3_000, 3)).map((r) => r.data.n);
        assert.deepEqual(atOther, ids.slice(3_000, 3_003));
      });

      test('scans the records after an id in id order, a batch at a time, within the org and module', async () => {
        await storedRange('org-a', 'Leads', 'j1', 100, 7);
        await storedRange('org-a', 'Contacts', 'j2', 150, 2);
        await storedRange('org-b', 'Leads', 'j3', 200, 2);
        const id = (i: number) => String(FIRST_ID + BigInt(i));
        const batches: string[][] = [];
        for await (const batch of storage.records.scan('org-a', 'Leads', id(101), 2))
          batches.push(batch.map((r) => r.id));
        assert.deepEqual(batches, [[id(102), id(103)], [id(104), id(105)], [id(106)]]);
        const all: string[] = [];
        for await (const batch of storage.records.scan('org-a', 'Leads', '0', 1000))
          all.push(...batch.map((r) => r.id));
        assert.deepEqual(all, [100, 101, 102, 103, 104, 105, 106].map(id));
        for await (const batch of storage.records.scan('org-a', 'Leads', id(106), 3))
          assert.fail(`nothing after the last: ${batch.length}`);
      });

      test('lists the records after an id, which need not exist, within the org and module', async () => {
        await storedRange('org-a', 'Leads', 'j1', 100, 5);
        await storedRange('org-a', 'Contacts', 'j2', 150, 2);
        await storedRange('org-b', 'Leads', 'j3', 200, 2);
        const after = async (id: bigint, limit: number) =>
          (await storage.records.listAfter('org-a', 'Leads', String(id), limit)).map((r) => r.id);
        const id = (i: number) => String(FIRST_ID + BigInt(i));
        assert.deepEqual(await after(FIRST_ID + 101n, 2), [id(102), id(103)]);
        assert.deepEqual(await after(FIRST_ID + 101n, 10), [id(102), id(103), id(104)]);
        assert.deepEqual(await after(FIRST_ID + 50n, 1), [id(100)]);
        assert.deepEqual(await after(FIRST_ID + 104n, 10), []);
        assert.equal(await storage.records.count('org-b', 'Contacts'), 0);
      });

      test('keeps record data as written: types, unicode and field order', async () => {
        const data: RecordData = {
          Zeta: 'last letter first',
          Last_Name: 'Ünïcödé 名前 😀 "quoted" back\\slash',
          Annual_Revenue: 1234.5,
          Email_Opt_Out: true,
          Tags: ['a', 'b,c'],
          Nothing: null,
          A: '',
        };
        await stored('org-a', 'Leads', 'j1', [insert('4150868000000710001', data)]);
        const got = await storage.records.get('org-a', 'Leads', '4150868000000710001');
        assert.deepEqual(got?.data, data);
        assert.deepEqual(Object.keys(got.data), Object.keys(data));
      });
    });

    describe('emulator state', () => {
      test('keeps one clock offset that every handle on the store reads', async () => {
        assert.equal(await storage.emulator.clockOffset(), 0);
        await storage.emulator.setClockOffset(7_200_000);
        const other = await store!.reopen();
        assert.equal(await other.emulator.clockOffset(), 7_200_000);
        await other.emulator.setClockOffset(-1_500);
        assert.equal(await storage.emulator.clockOffset(), -1_500);
      });

      test('keeps, replaces and removes an org limits document', async () => {
        assert.equal(await storage.emulator.limits('org-a'), undefined);
        await storage.emulator.putLimits('org-a', '{"daily_credits":10}', T0);
        await storage.emulator.putLimits('org-a', '{"daily_credits":20}', T0 + 1);
        assert.equal(await storage.emulator.limits('org-a'), '{"daily_credits":20}');
        assert.equal(await storage.emulator.limits('org-b'), undefined);
        await storage.emulator.putLimits('org-a', null, T0 + 2);
        assert.equal(await storage.emulator.limits('org-a'), undefined);
      });

      test('sums the credits an org spent after a minute', async () => {
        await storage.emulator.spendCredits('org-a', 100, 500);
        await storage.emulator.spendCredits('org-a', 100, 1);
        await storage.emulator.spendCredits('org-a', 101, 2);
        await storage.emulator.spendCredits('org-b', 101, 9);
        assert.equal(await storage.emulator.creditsSpent('org-a', 99), 503);
        assert.equal(await storage.emulator.creditsSpent('org-a', 100), 2);
        assert.equal(await storage.emulator.creditsSpent('org-a', 101), 0);
        assert.equal(await storage.emulator.creditsSpent('org-c', 0), 0);
      });

      test('counts an org’s bulk read downloads in a window of the clock, and forgets those before it', async () => {
        await storage.emulator.addReadDownload('org-a', T0, T0 - 60_000);
        await storage.emulator.addReadDownload('org-a', T0, T0 - 60_000);
        await storage.emulator.addReadDownload('org-a', T0 + 30_000, T0 - 30_000);
        await storage.emulator.addReadDownload('org-b', T0 + 30_000, T0 - 30_000);
        assert.equal(await storage.emulator.readDownloads('org-a', T0 - 1, T0 + 30_000), 3);
        assert.equal(await storage.emulator.readDownloads('org-a', T0, T0 + 30_000), 1, 'after, not at, the start');
        assert.equal(await storage.emulator.readDownloads('org-a', T0 - 1, T0 + 29_999), 2, 'at or before the end');
        assert.equal(await storage.emulator.readDownloads('org-c', 0, T0 + 60_000), 0);
        // Counting one forgets the org's downloads at or before the time given, and no other org's.
        await storage.emulator.addReadDownload('org-a', T0 + 60_001, T0 + 1);
        assert.equal(await storage.emulator.readDownloads('org-a', 0, T0 + 60_001), 2);
        assert.equal(await storage.emulator.readDownloads('org-b', 0, T0 + 60_001), 1);
      });

      test('counts the jobs of an org that are ADDED or INPROGRESS', async () => {
        await claimedJob('job-1');
        await storage.jobs.create(makeJob('org-a', 'job-2', T0 + 1));
        await storage.jobs.create(makeJob('org-a', 'job-3', T0 + 2));
        await storage.jobs.complete('job-1', 'worker-a', T0 + 5);
        assert.equal(await storage.jobs.countActive('org-a'), 2);
        assert.equal(await storage.jobs.countActive('org-b'), 0);
      });

      /** Org `orgId` with a job that wrote a chunk (records, keys, results), a file, a schema, limits and credits. */
      async function busyOrg(orgId: string, jobId: string, firstRecord: bigint): Promise<Job> {
        const job = await claimedJob(jobId, orgId);
        await storage.files.create(makeFile(orgId, `${jobId}-file`));
        await storage.schemas.put(orgId, '{"modules":[]}', T0);
        await storage.emulator.putLimits(orgId, '{"daily_credits":1000}', T0);
        await storage.emulator.spendCredits(orgId, 10, 500);
        await storage.emulator.addReadDownload(orgId, T0, 0);
        await storage.oauth.createClient(
          {
            clientId: `1000.${orgId}`,
            orgId,
            clientType: 'self',
            redirectUri: null,
            name: 'Self Client',
            createdAt: T0,
          },
          `secret-hash-${orgId}`,
        );
        const ids = [firstRecord, firstRecord + 1n].map(String);
        await storage.jobs.commitChunk(
          makeChunk(job, 'worker-a', 2, {
            inserts: ids.map((id, i) => insert(id, { Email: `${orgId}${i}@x.com` }, [['Email', `${orgId}${i}@x.com`]])),
            results: ids.map((id, i) => added(i + 1, id)),
          }),
        );
        return job;
      }

      test('resets one org: its jobs, results, files, records, keys and credit use go; the rest stays', async () => {
        const jobA = await busyOrg('org-a', 'job-a', 4150868000000720001n);
        const jobB = await busyOrg('org-b', 'job-b', 4150868000000730001n);
        await storage.emulator.reset('org-a');

        assert.equal(await storage.jobs.get('org-a', jobA.id), undefined);
        assert.deepEqual(await storage.jobs.results(jobA.id, 1, 10), []);
        assert.equal(await storage.files.get('org-a', 'job-a-file'), undefined);
        assert.equal(await storage.records.count('org-a', MODULE), 0);
        assert.deepEqual([...(await storage.records.idsByKey('org-a', MODULE, 'Email', ['org-a0@x.com']))], []);
        assert.equal(await storage.emulator.creditsSpent('org-a', 0), 0);
        assert.equal(await storage.emulator.readDownloads('org-a', 0, T0), 0);
        // Kept: the org, its user, clients, schema and limits.
        assert.equal((await storage.orgs.get('org-a'))?.id, 'org-a');
        assert.equal((await storage.oauth.clientsOf('org-a')).length, 1);
        assert.equal((await storage.schemas.get('org-a'))?.version, 1);
        assert.equal(await storage.emulator.limits('org-a'), '{"daily_credits":1000}');
        // The worker still holding the job finds it gone, and writes nothing more.
        await assert.rejects(
          storage.jobs.commitChunk(
            makeChunk(jobA, 'worker-a', 3, { inserts: [insert('4150868000000720009', { Email: 'late' })] }),
          ),
          LeaseLostError,
        );
        await assert.rejects(storage.jobs.complete(jobA.id, 'worker-a', T0 + 9), LeaseLostError);
        assert.equal(await storage.records.count('org-a', MODULE), 0);
        // The other org is untouched.
        assert.equal((await storage.jobs.get('org-b', jobB.id))?.checkpointRow, 2);
        assert.equal((await storage.jobs.results(jobB.id, 1, 10)).length, 2);
        assert.equal(await storage.records.count('org-b', MODULE), 2);
        assert.ok(await storage.files.get('org-b', 'job-b-file'));
        assert.equal(await storage.emulator.creditsSpent('org-b', 0), 500);
        assert.equal(await storage.emulator.readDownloads('org-b', 0, T0), 1);
      });

      test('resets the whole store: no org, no token, no job, real time', async () => {
        await busyOrg('org-a', 'job-a', 4150868000000720001n);
        await storage.oauth.saveAccessToken({ ...accessToken('h1', null, T0), orgId: 'org-a' });
        await storage.emulator.setClockOffset(60_000);
        const lastId = await storage.reserveIds(5);
        await storage.emulator.reset();
        assert.deepEqual(await storage.orgs.list(), []);
        assert.equal(await storage.orgs.getDefault(), undefined);
        assert.equal(await storage.oauth.getAccessToken('h1', T0), undefined);
        assert.equal(await storage.oauth.getClient('1000.org-a'), undefined);
        assert.equal(await storage.jobs.get('org-a', 'job-a'), undefined);
        assert.equal(await storage.records.count('org-a', MODULE), 0);
        assert.equal(await storage.schemas.get('org-a'), undefined);
        assert.equal(await storage.emulator.limits('org-a'), undefined);
        assert.equal(await storage.emulator.readDownloads('org-a', 0, T0), 0);
        assert.equal(await storage.emulator.clockOffset(), 0);
        // Ids keep growing: nothing handed out before is handed out again.
        assert.equal(await storage.reserveIds(1), lastId + 5n);
        await storage.orgs.create(makeOrg('org-new'));
        assert.equal((await storage.orgs.getDefault())?.id, 'org-new');
      });
    });

    describe('callbacks', () => {
      const URL_ = 'https://example.com/hook?x=1';
      const attemptOf = (jobId: string, attempt: number, sentAt: number) => ({
        orgId: 'org-a',
        jobId,
        url: URL_,
        method: 'POST',
        attempt,
        sentAt,
        body: `{"id":"${jobId}","attempt":${attempt}}`,
      });

      test("puts a finished job's callback in the outbox in the transaction that finishes it, once", async () => {
        const done = await claimedJob('job-1');
        await storage.jobs.complete(done.id, 'worker-a', T0 + 5);
        const failed = await claimedJob('job-2');
        await storage.jobs.fail(failed.id, 'worker-a', { code: 'E', message: 'e' }, T0 + 6);
        const entry = await storage.callbacks.get('org-a', 'job-1');
        assert.deepEqual(entry, {
          jobId: 'job-1',
          orgId: 'org-a',
          url: URL_,
          state: 'pending',
          attempts: 0,
          dueAt: T0 + 5,
          createdAt: T0 + 5,
          finishedAt: null,
        });
        assert.equal((await storage.callbacks.get('org-a', 'job-2'))?.state, 'pending');
        assert.equal(await storage.callbacks.get('org-b', 'job-1'), undefined, 'another org sees none');
        assert.equal(await storage.callbacks.nextDue(), T0 + 5);

        // A job without a callback adds nothing; a worker that lost the lease adds nothing either.
        await storage.jobs.create({ ...makeJob('org-a', 'job-3'), callback: null });
        await storage.jobs.complete((await storage.jobs.claimNext('worker-a', LEASE, T0))!.id, 'worker-a', T0);
        assert.equal(await storage.callbacks.get('org-a', 'job-3'), undefined);
        await storage.jobs.create(makeJob('org-a', 'job-4'));
        await storage.jobs.claimNext('worker-a', LEASE, T0);
        await assert.rejects(storage.jobs.complete('job-4', 'worker-b', T0), LeaseLostError);
        assert.equal(await storage.callbacks.get('org-a', 'job-4'), undefined);
      });

      test('leases a due entry to one worker, retries it when due, and journals every attempt', async () => {
        await storage.jobs.complete((await claimedJob('job-1')).id, 'worker-a', T0);
        const other = await store!.reopen();
        const [a, b] = await Promise.all([
          storage.callbacks.claimDue('worker-a', 10_000, T0),
          other.callbacks.claimDue('worker-b', 10_000, T0),
        ]);
        assert.equal([a, b].filter((x) => x !== undefined).length, 1, 'one worker gets it');
        const mine = (a ? storage : other).callbacks;
        const me = a ? 'worker-a' : 'worker-b';
        assert.equal((a ?? b)!.attempts, 1, 'the claim counts the attempt');
        const first = await mine.beginAttempt(attemptOf('job-1', 1, T0));
        assert.deepEqual(
          (await storage.callbacks.attempts({ jobId: 'job-1', limit: 10 })).map((x) => [x.statusCode, x.error]),
          [[null, null]],
          'in flight',
        );
        await mine.settle(
          me,
          { id: first, jobId: 'job-1', statusCode: 503, error: 'answered 503', endedAt: T0 + 1 },
          { state: 'pending', dueAt: T0 + 1_000 },
        );
        assert.equal(await storage.callbacks.claimDue('worker-c', 10_000, T0 + 999), undefined, 'not due yet');
        const again = await storage.callbacks.claimDue('worker-c', 10_000, T0 + 1_000);
        assert.equal(again?.attempts, 2);
        // worker-c dies mid-attempt: its lease expires and worker-d sends again; the lost attempt is marked.
        await storage.callbacks.beginAttempt(attemptOf('job-1', 2, T0 + 1_000));
        assert.equal(await storage.callbacks.claimDue('worker-d', 10_000, T0 + 5_000), undefined, 'lease held');
        const third = await storage.callbacks.claimDue('worker-d', 10_000, T0 + 11_001);
        assert.equal(third?.attempts, 3);
        const id3 = await storage.callbacks.beginAttempt(attemptOf('job-1', 3, T0 + 11_001));
        await storage.callbacks.settle(
          'worker-c',
          { id: id3, jobId: 'job-1', statusCode: 200, error: null, endedAt: T0 + 11_002 },
          { state: 'delivered', dueAt: T0 + 11_002 },
        );
        assert.equal(
          (await storage.callbacks.get('org-a', 'job-1'))?.state,
          'pending',
          'only the lease holder settles',
        );
        await storage.callbacks.settle(
          'worker-d',
          { id: id3, jobId: 'job-1', statusCode: 200, error: null, endedAt: T0 + 11_002 },
          { state: 'delivered', dueAt: T0 + 11_002 },
        );
        const entry = await storage.callbacks.get('org-a', 'job-1');
        assert.equal(entry?.state, 'delivered');
        assert.equal(entry?.finishedAt, T0 + 11_002);
        assert.equal(await storage.callbacks.nextDue(), undefined);
        assert.equal(await storage.callbacks.claimDue('worker-e', 10_000, T0 + 10 * LEASE), undefined);

        const journal = await storage.callbacks.attempts({ orgId: 'org-a', jobId: 'job-1', limit: 10 });
        assert.deepEqual(
          journal.map((x) => [x.attempt, x.statusCode, x.error, x.sentAt, x.method, x.url]),
          [
            [1, 503, 'answered 503', T0, 'POST', URL_],
            [2, null, INTERRUPTED_ATTEMPT, T0 + 1_000, 'POST', URL_],
            [3, 200, null, T0 + 11_001, 'POST', URL_],
          ],
        );
        assert.equal(journal[0]!.body, '{"id":"job-1","attempt":1}');
        assert.deepEqual(
          (await storage.callbacks.attempts({ afterId: journal[0]!.id, limit: 1 })).map((x) => x.attempt),
          [2],
          'a cursor and a limit',
        );
        assert.deepEqual(await storage.callbacks.attempts({ orgId: 'org-b', limit: 10 }), []);
      });
    });
  });
}
