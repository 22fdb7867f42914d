import type { FaultRule, JobEffect } from '../domain/faults.js';
import type {
  Job,
  Org,
  ReadResult,
  RecordData,
  ResourceCounts,
  RowResult,
  StoredRecord,
  UploadedFile,
  User,
} from '../domain/types.js';

/** Storage in domain words. Every call that touches an org's objects takes the org id first. */

export interface OAuthClient {
  clientId: string;
  orgId: string;
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
  /**
   * When it was issued; the per-refresh-token rate limit and the live-token cap count by it. Optional so
   * tokens stored without it (before it existed) still load: they count as issued long ago.
   */
  issuedAt?: number;
  expiresAt: number;
}

/** One committed chunk of a job's outcomes, summarised (Storage.jobs.resultSummaries). */
export interface ResultSummary {
  firstRow: number;
  lastRow: number;
  skipped: number;
  /** Rows per `CODE-field,field` error group (a row with two groups counts in both). */
  codes: Record<string, number>;
}

export interface StoredOrgSchema {
  orgId: string;
  /** JSON text of the org's schema (domain/org-schema.ts reads it). */
  document: string;
  version: number;
  updatedAt: number;
}

export interface InsertRecord {
  /** A 19-digit decimal id from reserveIds (stores may keep it as a 64-bit integer). */
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
  /** The outcomes of consecutive input rows (any order). */
  results: RowResult[];
  added: number;
  updated: number;
  skipped: number;
  /** The last input row this chunk covers; the job resumes after it. */
  checkpointRow: number;
  /** Parent/child jobs: every resource's counts including this chunk (stored as given); absent otherwise. */
  resourceCounts?: ResourceCounts[];
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

/**
 * A chunk clashed with what another writer committed meanwhile: a unique key it adds is held by another
 * record (two jobs of one module ran side by side), or two chunks deadlocked. Nothing of the chunk was
 * written and the lease is unchanged: decide the batch again against the stored records and commit again.
 */
export class ChunkConflictError extends Error {
  constructor(jobId: string, options?: { cause?: unknown }) {
    super(`job ${jobId}: the chunk clashed with a concurrent write and was rolled back`, options);
    this.name = 'ChunkConflictError';
  }
}

/** A finished job's callback waiting in (or gone through) the outbox (docs/callbacks.md#delivery). */
export interface OutboxEntry {
  jobId: string;
  orgId: string;
  url: string;
  state: 'pending' | 'delivered' | 'failed';
  /** Attempts recorded so far. */
  attempts: number;
  /** When the next attempt is due (pending), else when the last one was made. */
  dueAt: number;
  createdAt: number;
  finishedAt: number | null;
}

/** One callback attempt as it ended: an entry of the callback journal. */
export interface CallbackAttempt {
  /** Grows with every attempt recorded in the store (a cursor for the journal). */
  id: number;
  orgId: string;
  jobId: string;
  url: string;
  method: string;
  /** 1 for the first attempt of a job's callback. */
  attempt: number;
  sentAt: number;
  /** The HTTP status answered, or null when there was no answer (refused, network error, timeout). */
  statusCode: number | null;
  error: string | null;
  body: string;
}

/** An attempt as it starts: journaled before the request is made, its outcome added when it ends. */
export type AttemptStart = Omit<CallbackAttempt, 'id' | 'statusCode' | 'error'>;

/** What the journal says of an attempt whose sender stopped before its outcome was recorded. */
export const INTERRUPTED_ATTEMPT = 'interrupted: the sender stopped before the outcome was recorded';

/** A job effect bound to one job by one rule (domain/faults.ts). */
export interface JobFaultBinding {
  jobId: string;
  ruleId: string;
  effect: JobEffect;
}

export interface Storage {
  /** Reserves `count` consecutive ids and returns the first. Unique across every process sharing the store. */
  reserveIds(count: number): Promise<bigint>;

  orgs: {
    create(org: Org): Promise<void>;
    get(orgId: string): Promise<Org | undefined>;
    /** The org created first; the one `serve` and `credentials` use when none is named. */
    getDefault(): Promise<Org | undefined>;
    /** By id, or by e-mail address regardless of case: then the first user added with it. */
    getUser(orgId: string, ref: { id?: string; email?: string }): Promise<User | undefined>;
    /** Every org, oldest first (the admin `org list`). */
    list(): Promise<Org[]>;
  };

  oauth: {
    /** Registers a client with its first secret, kept only as its hash (auth/tokens.ts hashSecret). */
    createClient(client: OAuthClient, secretHash: string): Promise<void>;
    /** Adds a secret to a client; the ones it had stay valid. */
    addClientSecret(clientId: string, secretHash: string, now: number): Promise<void>;
    /** The hashes of every secret of a client (none for an unknown client). */
    clientSecretHashes(clientId: string): Promise<string[]>;
    getClient(clientId: string): Promise<OAuthClient | undefined>;
    clientsOf(orgId: string): Promise<OAuthClient[]>;
    saveGrantCode(code: GrantCode): Promise<void>;
    /** Marks the code used and returns it, once; a used or expired code gives undefined. */
    consumeGrantCode(codeHash: string, now: number): Promise<GrantCode | undefined>;
    saveRefreshToken(token: RefreshToken): Promise<void>;
    getRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
    saveAccessToken(token: AccessToken): Promise<void>;
    getAccessToken(tokenHash: string, now: number): Promise<AccessToken | undefined>;
    /**
     * Revokes a live refresh token and every access token issued from it (revoked_at = now).
     * False when no unrevoked refresh token has this hash.
     */
    revokeRefreshToken(tokenHash: string, now: number): Promise<boolean>;
    /** Revokes one access token. False when no unrevoked access token has this hash. */
    revokeAccessToken(tokenHash: string, now: number): Promise<boolean>;
    /** How many access tokens were issued from this refresh token with issuedAt >= since (revoked and expired ones too). */
    countAccessTokensIssued(refreshTokenHash: string, since: number): Promise<number>;
    /**
     * Keeps the `keep` newest live access tokens of a refresh token (unrevoked, expiresAt > now; newest by
     * issuedAt, then by insertion) and revokes the older live ones. Returns how many it revoked.
     */
    pruneAccessTokens(refreshTokenHash: string, keep: number, now: number): Promise<number>;
    /**
     * Keeps the `keep` newest unrevoked refresh tokens of one user of one client (newest by createdAt, then by
     * insertion) and revokes the older ones together with their access tokens. Returns how many refresh tokens it revoked.
     */
    pruneRefreshTokens(clientId: string, userId: string, keep: number, now: number): Promise<number>;
  };

  files: {
    create(file: UploadedFile): Promise<void>;
    get(orgId: string, fileId: string): Promise<UploadedFile | undefined>;
  };

  /** A job that is COMPLETED or FAILED never changes again: every write below requires ADDED or INPROGRESS. */
  jobs: {
    create(job: Job): Promise<void>;
    get(orgId: string, jobId: string): Promise<Job | undefined>;
    list(orgId: string, limit: number): Promise<Job[]>;
    /**
     * Takes the oldest ADDED job, or an INPROGRESS one whose lease expired, and leases it to the worker
     * (`now`: the lease clock, real time). The first claim sets `startedAt` to `startedAt` (the emulator
     * clock; default `now`); a takeover keeps it.
     */
    claimNext(workerId: string, leaseMs: number, now: number, startedAt?: number): Promise<Job | undefined>;
    renewLease(jobId: string, workerId: string, leaseMs: number, now: number): Promise<boolean>;
    /** Hands a job back on a graceful stop, so the next worker takes it at once. */
    releaseLease(jobId: string, workerId: string): Promise<void>;
    /**
     * Writes the chunk in one transaction: key removals first, then records, keys, results, counters and
     * checkpoint. Throws LeaseLostError when the job is no longer this worker's (or the checkpoint does not
     * advance), ChunkConflictError when a unique key is taken; either way nothing is written.
     */
    commitChunk(chunk: ChunkCommit): Promise<void>;
    /**
     * Finishes the job; in the same transaction its callback (if it has one) enters the outbox, due at
     * `now`, so a crash right after cannot lose it. Throws LeaseLostError when the job is not this worker's.
     */
    complete(jobId: string, workerId: string, now: number): Promise<void>;
    /** As complete, for a bulk read job: its result zip is in place and holds `result.count` records. */
    completeRead(jobId: string, workerId: string, result: ReadResult, now: number): Promise<void>;
    /**
     * As complete, with the job's failure code and message; `resultReady` when a result zip was stored for
     * the rows done before the failure.
     */
    fail(
      jobId: string,
      workerId: string,
      failure: { code: string; message: string; resultReady?: boolean },
      now: number,
    ): Promise<void>;
    /** Row outcomes in input order, from `fromRow` on. */
    results(jobId: string, fromRow: number, limit: number): Promise<RowResult[]>;
    /**
     * What each committed chunk of outcomes holds (its rows, how many were skipped, the rows per error
     * group), in row order from the chunk that holds `fromRow`; at most `limit` chunks. Chunks committed
     * before bulkwrite kept these are missing (a gap in the rows), and their outcomes must be read instead.
     */
    resultSummaries(jobId: string, fromRow: number, limit: number): Promise<ResultSummary[]>;
    /** How many of the org's jobs are ADDED or INPROGRESS (the per-org concurrent-job limit). */
    countActive(orgId: string): Promise<number>;
    /**
     * Calls `wake` soon after a job may have become claimable through any process (created, or handed
     * back), so an idle worker need not wait for its next poll; the answer stops the watch. Absent where
     * the store cannot tell (SQLite: a worker in another process polls). A wake may be spurious, and one
     * may be missed while the store is unreachable: polling stays the fallback.
     */
    watchQueue?(wake: () => void): Promise<() => Promise<void>>;
  };

  /** The callback outbox and journal; any worker of any process delivers (jobs/callback-delivery.ts). */
  callbacks: {
    /**
     * Leases the pending entry due first (due_at <= now, no live lease) to the worker until now + leaseMs
     * and counts the attempt it is leased for (`attempts` of the answer is that attempt's number);
     * undefined when none is due. An entry whose sender died is leased again once its lease expires.
     */
    claimDue(workerId: string, leaseMs: number, now: number): Promise<OutboxEntry | undefined>;
    /**
     * Journals an attempt about to be made (status and error null: in flight), and marks the job's
     * earlier attempts that never got an outcome INTERRUPTED_ATTEMPT. Returns the attempt's id.
     */
    beginAttempt(attempt: AttemptStart): Promise<number>;
    /**
     * Adds the attempt's outcome and, in the same transaction, what becomes of the entry: delivered, failed
     * for good, or pending again until `dueAt`. The entry changes only while the worker holds its lease.
     */
    settle(
      workerId: string,
      attempt: { id: number; jobId: string; statusCode: number | null; error: string | null; endedAt: number },
      next: { state: OutboxEntry['state']; dueAt: number },
    ): Promise<void>;
    get(orgId: string, jobId: string): Promise<OutboxEntry | undefined>;
    /** When the earliest pending entry is due; undefined when none is pending. */
    nextDue(): Promise<number | undefined>;
    /** Journal entries with id > afterId, oldest first, of one org and/or one job when given. */
    attempts(filter: { orgId?: string; jobId?: string; afterId?: number; limit: number }): Promise<CallbackAttempt[]>;
  };

  schemas: {
    /** The org's custom modules and fields (a JSON document), or undefined when it has none. */
    get(orgId: string): Promise<StoredOrgSchema | undefined>;
    /** Replaces the org's document; the version grows by one with every put (1 for the first). */
    put(orgId: string, document: string, now: number): Promise<StoredOrgSchema>;
  };

  records: {
    /** Record ids for unique keys of one field: normalised value → record id. */
    idsByKey(orgId: string, module: string, field: string, keys: string[]): Promise<Map<string, string>>;
    byIds(orgId: string, module: string, ids: string[]): Promise<Map<string, StoredRecord>>;
    /**
     * Lookups by a display field that need not be unique (Product_Name, Full_Name): for each value, the
     * id of the first record (the lowest id, the one created first) whose text equals it without case.
     * The text is the `fields` joined by one space and trimmed (Full_Name is First_Name and Last_Name).
     * Values with no match are absent. Case folds fully on PostgreSQL and for A–Z only on SQLite.
     */
    firstIdsByText(orgId: string, module: string, fields: string[], values: string[]): Promise<Map<string, string>>;
    /**
     * The ids (in id order) of the records whose e-mail field `field` may equal `value` without case,
     * read from an index, never the module: a superset the caller checks against each record. Null
     * when the store keeps no such index for this module and field (today: Secondary_Email of Leads and
     * Contacts, see INDEXED_EMAIL_FIELDS) or the value is not plain ASCII; then only reading the module
     * answers.
     */
    idsByEmail(orgId: string, module: string, field: string, value: string): Promise<string[] | null>;
    get(orgId: string, module: string, id: string): Promise<StoredRecord | undefined>;
    /**
     * A module's records in id order (why: core/sql-storage.ts), `limit` of them from `offset` on. Costs
     * the same at any offset (core/record-pages.ts).
     */
    list(orgId: string, module: string, offset: number, limit: number): Promise<StoredRecord[]>;
    /** A module's records with an id above `afterId` (which need not exist), in id order: keyset paging. */
    listAfter(orgId: string, module: string, afterId: string, limit: number): Promise<StoredRecord[]>;
    /**
     * A module's records with an id above `afterId`, in id order, `batchSize` at a time, read lazily: one
     * batch is held at a time, whatever the module's size (bulk read jobs stream through it).
     */
    scan(orgId: string, module: string, afterId: string, batchSize: number): AsyncIterable<StoredRecord[]>;
    /** How many records a module holds, without reading them (kept by the chunk commits). */
    count(orgId: string, module: string): Promise<number>;
  };

  /** What the emulator controls keep (docs/admin-api.md), shared by every process on the store. */
  emulator: {
    /** The emulator clock's offset from real time, in milliseconds (0: real time). */
    clockOffset(): Promise<number>;
    setClockOffset(offsetMs: number): Promise<void>;
    /** The org's limits document (JSON text), or undefined when it has none (no limits). */
    limits(orgId: string): Promise<string | undefined>;
    /** Every org's limits document, by org id (empty when no org has limits: the usual case). */
    allLimits(): Promise<Map<string, string>>;
    /** Replaces the org's limits document; null removes it. */
    putLimits(orgId: string, settings: string | null, now: number): Promise<void>;
    /** Adds `credits` to the org's use in minute `minute` (epoch minutes of the emulator clock). */
    spendCredits(orgId: string, minute: number, credits: number): Promise<void>;
    /** The credits the org spent in minutes after `sinceMinute`. */
    creditsSpent(orgId: string, sinceMinute: number): Promise<number>;
    /** Counts one bulk read download of the org at `atMs` (emulator clock), forgetting those at or before `forgetMs`. */
    addReadDownload(orgId: string, atMs: number, forgetMs: number): Promise<void>;
    /** The org's bulk read downloads after `sinceMs` and at or before `untilMs`. */
    readDownloads(orgId: string, sinceMs: number, untilMs: number): Promise<number>;
    /**
     * With an org: removes its jobs, their results, its files, records and credit use, and keeps the
     * org, its users, clients, tokens, schema and limits. Without: removes everything (orgs included)
     * and puts the clock back to real time. One transaction; the org's job rows are locked first, so a
     * chunk being written either commits before (and is removed) or finds its job gone (LeaseLostError).
     */
    reset(orgId?: string): Promise<void>;
  };

  /**
   * The emulator's fault rules (domain/faults.ts), shared by every process of the store. A job is not
   * claimed while a binding with `hold` holds it.
   */
  faults: {
    add(rule: FaultRule): Promise<void>;
    /** Every rule, in the order they were added (the order they are tried in). */
    list(): Promise<FaultRule[]>;
    /** Removes a rule and the bindings it made (a job it held is held no more). False when there was none. */
    remove(id: string): Promise<boolean>;
    /** Removes every rule and every binding; how many rules there were. */
    clear(): Promise<number>;
    /**
     * Counts one firing of a rule (hits + 1, one fewer remaining), atomically across processes. False, and
     * nothing changed, when the rule has no firing left or is gone.
     */
    fire(id: string): Promise<boolean>;
    /** Binds a job effect to a job; a second binding of the same rule to the same job is ignored. */
    bindJob(binding: JobFaultBinding): Promise<void>;
    /** The effects bound to a job, in the order they were bound. */
    jobEffects(jobId: string): Promise<JobEffect[]>;
    /** Lets a held job be claimed. False when nothing held it. */
    release(jobId: string): Promise<boolean>;
  };

  /** The operator's view of the whole store: readiness, gauges read at scrape time, retention. */
  ops: OpsStorage;

  close(): Promise<void>;
}

/**
 * What operating a store needs (api/admin/ready.ts, api/admin/metrics.ts, jobs/janitor.ts). Not
 * org-scoped on purpose: it answers the operator, never a client. Times are epoch milliseconds.
 */
export interface OpsStorage {
  /** This build's migrations the store has not applied (empty when up to date); throws when the store does not answer. */
  pendingMigrations(): Promise<string[]>;
  /** Jobs per status, when the oldest queued (ADDED) job was created, how many INPROGRESS jobs have an expired lease. */
  jobStats(
    now: number,
  ): Promise<{ byStatus: Record<string, number>; oldestQueuedAt: number | null; leasesExpired: number }>;
  /** The PostgreSQL pool's connections (all, idle, callers waiting for one); null on SQLite. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  /** Up to `limit` uploaded files created before `before`, oldest first, leaving out those an unfinished job uses. */
  expiredFiles(before: number, limit: number): Promise<Array<{ orgId: string; fileId: string; blobKey: string }>>;
  deleteFile(orgId: string, fileId: string): Promise<void>;
  /** Up to `limit` jobs finished before `before` whose row outcomes are still kept, oldest first. */
  expiredResults(before: number, limit: number): Promise<Array<{ orgId: string; jobId: string }>>;
  /** Drops a finished job's row outcomes and marks its result removed (the caller removes the zip). */
  purgeResults(jobId: string, now: number): Promise<void>;
  /** Up to `limit` jobs finished before `before`, oldest first. */
  expiredJobs(before: number, limit: number): Promise<Array<{ orgId: string; jobId: string }>>;
  /** Deletes a finished job and its row outcomes; an unfinished job is never deleted. */
  deleteJob(jobId: string): Promise<void>;
  /**
   * Up to `limit` jobs of one org (or every org), of one status (or any), newest first (created_at, then
   * id, both descending), strictly after `after` in that order: the console's keyset-paged job list.
   */
  jobsPage(
    filter: { orgId?: string; status?: string; after?: { createdAt: number; id: string } },
    limit: number,
  ): Promise<Job[]>;
}
