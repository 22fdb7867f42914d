import type { Job, Org, RecordData, RowResult, StoredRecord, UploadedFile, User } from '../domain/types.js';

/** Storage in domain words. Every call that touches an org's objects takes the org id first. */

export interface OAuthClient {
  clientId: string;
  orgId: string;
  clientSecret: string;
  /** 'self' for a Self Client, 'server' for a server-based client with a redirect URI. */
  clientType: 'self' | 'server';
  redirectUri: string | null;
  name: string;
  createdAt: number;
}

export interface GrantCode {
  codeHash: string;
  clientId: string;
  orgId: string;
  userId: string;
  scopes: string[];
  expiresAt: number;
}

export interface RefreshToken {
  tokenHash: string;
  clientId: string;
  orgId: string;
  userId: string;
  scopes: string[];
  createdAt: number;
}

export interface AccessToken {
  tokenHash: string;
  refreshTokenHash: string | null;
  clientId: string;
  orgId: string;
  userId: string;
  scopes: string[];
  expiresAt: number;
}

export interface InsertRecord {
  id: string;
  data: RecordData;
  /** Unique keys this record holds: [field API name, normalised value]. */
  keys: Array<[string, string]>;
}

export interface UpdateRecord {
  id: string;
  /** The whole record data after the update. */
  data: RecordData;
  addKeys: Array<[string, string]>;
  removeKeys: Array<[string, string]>;
}

/** One chunk of a job: everything it changes, committed in one transaction, or not at all. */
export interface ChunkCommit {
  orgId: string;
  jobId: string;
  workerId: string;
  module: string;
  inserts: InsertRecord[];
  updates: UpdateRecord[];
  results: RowResult[];
  added: number;
  updated: number;
  skipped: number;
  /** The last input row this chunk covers; the job resumes after it. */
  checkpointRow: number;
  /** The lease is renewed with every chunk. */
  leaseUntil: number;
  now: number;
}

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} is no longer leased to this worker`);
    this.name = 'LeaseLostError';
  }
}

export interface Storage {
  /** Reserves `count` consecutive ids and returns the first. Unique across every process sharing the store. */
  reserveIds(count: number): Promise<bigint>;

  orgs: {
    create(org: Org): Promise<void>;
    get(orgId: string): Promise<Org | undefined>;
    /** The org created first; the one `serve` and `credentials` use when none is named. */
    getDefault(): Promise<Org | undefined>;
    getUser(orgId: string, ref: { id?: string; email?: string }): Promise<User | undefined>;
  };

  oauth: {
    createClient(client: OAuthClient): Promise<void>;
    getClient(clientId: string): Promise<OAuthClient | undefined>;
    clientsOf(orgId: string): Promise<OAuthClient[]>;
    saveGrantCode(code: GrantCode): Promise<void>;
    /** Marks the code used and returns it, once; a used or expired code gives undefined. */
    consumeGrantCode(codeHash: string, now: number): Promise<GrantCode | undefined>;
    saveRefreshToken(token: RefreshToken): Promise<void>;
    getRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
    saveAccessToken(token: AccessToken): Promise<void>;
    getAccessToken(tokenHash: string, now: number): Promise<AccessToken | undefined>;
  };

  files: {
    create(file: UploadedFile): Promise<void>;
    get(orgId: string, fileId: string): Promise<UploadedFile | undefined>;
  };

  jobs: {
    create(job: Job): Promise<void>;
    get(orgId: string, jobId: string): Promise<Job | undefined>;
    list(orgId: string, limit: number): Promise<Job[]>;
    /** Takes the oldest ADDED job, or an INPROGRESS one whose lease expired, and leases it to the worker. */
    claimNext(workerId: string, leaseMs: number, now: number): Promise<Job | undefined>;
    renewLease(jobId: string, workerId: string, leaseMs: number, now: number): Promise<boolean>;
    /** Hands a job back on a graceful stop, so the next worker takes it at once. */
    releaseLease(jobId: string, workerId: string): Promise<void>;
    /** Throws LeaseLostError when the job is no longer this worker's. */
    commitChunk(chunk: ChunkCommit): Promise<void>;
    complete(jobId: string, workerId: string, now: number): Promise<void>;
    fail(jobId: string, workerId: string, failure: { code: string; message: string }, now: number): Promise<void>;
    /** Row outcomes in input order, from `fromRow` on. */
    results(jobId: string, fromRow: number, limit: number): Promise<RowResult[]>;
  };

  records: {
    /** Record ids for unique keys of one field: normalised value → record id. */
    idsByKey(orgId: string, module: string, field: string, keys: string[]): Promise<Map<string, string>>;
    byIds(orgId: string, module: string, ids: string[]): Promise<Map<string, StoredRecord>>;
    get(orgId: string, module: string, id: string): Promise<StoredRecord | undefined>;
    list(orgId: string, module: string, offset: number, limit: number): Promise<StoredRecord[]>;
    count(orgId: string, module: string): Promise<number>;
  };

  close(): Promise<void>;
}
