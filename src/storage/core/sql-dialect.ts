import type { Storage } from '../storage.js';

/** One row as a dialect hands it to the core, column name → value. */
export type Row = Record<string, unknown>;

/** A statement's parameters, in the order the core's builders give them; each is used once. */
export type Params = readonly unknown[];

/** The statements the core runs by name; each dialect writes their SQL text. */
export type SharedStatement =
  | 'reserve'
  | 'orgInsert'
  | 'userInsert'
  | 'orgGet'
  | 'orgDefault'
  | 'orgList'
  | 'userById'
  | 'userByEmail'
  | 'clientInsert'
  | 'clientGet'
  | 'clientsOf'
  | 'clientSecretInsert'
  | 'clientSecretsOf'
  | 'grantInsert'
  | 'grantUse'
  | 'refreshInsert'
  | 'refreshGet'
  | 'accessInsert'
  | 'accessGet'
  | 'accessRevoke'
  | 'accessCountSince'
  | 'accessPrune'
  | 'fileInsert'
  | 'fileGet'
  | 'jobInsert'
  | 'jobGet'
  | 'jobStateGet'
  | 'jobList'
  | 'jobClaim'
  | 'jobRenew'
  | 'jobRelease'
  | 'jobComplete'
  | 'jobCompleteRead'
  | 'jobFail'
  | 'results'
  | 'resultSummaries'
  | 'recordCount'
  | 'schemaGet'
  | 'schemaPut'
  | 'jobsActive'
  | 'clockGet'
  | 'clockSet'
  | 'limitsGet'
  | 'limitsAll'
  | 'limitsPut'
  | 'limitsDelete'
  | 'creditsSpend'
  | 'creditsSpent'
  | 'readDownloadAdd'
  | 'readDownloadsCount'
  | 'readDownloadsForget'
  | 'outboxFromJob'
  | 'outboxClaim'
  | 'outboxSettle'
  | 'outboxGet'
  | 'outboxNextDue'
  | 'attemptInsert'
  | 'attemptsInterrupted'
  | 'attemptFinish'
  | 'attemptList'
  | 'faultInsert'
  | 'faultList'
  | 'faultDelete'
  | 'faultJobsOfRuleDelete'
  | 'faultClear'
  | 'faultJobsClear'
  | 'faultFire'
  | 'faultBind'
  | 'faultJobEffects'
  | 'faultRelease';

/**
 * The statements on one module's records table (core/record-tables.ts), run by name; parameters:
 * list [limit, offset], listAfter [afterId, limit, offset], countAfter [afterId] (a row with n),
 * marks [afterId, span] (rows with id), bySecondaryEmail [key] (rows with id, in id order).
 */
export type RecordStatement = 'list' | 'listAfter' | 'countAfter' | 'marks' | 'bySecondaryEmail';

/**
 * What a store supplies for the core (sql-storage.ts) to implement Storage on it: the shared statements
 * run by name, and the operations whose mechanics differ between SQLite and PostgreSQL (transactions
 * that branch, the chunk write, bulk lookups by key and id). SQLite answers at once, PostgreSQL later.
 *
 * Rows have one shape in both: JSON columns and scope lists as text (scopes space-separated), ids as
 * decimal text, integers as numbers or decimal text, flags as 1/0 or true/false.
 */
export interface SqlDialect {
  rows(name: SharedStatement, params: Params): Row[] | Promise<Row[]>;
  row(name: SharedStatement, params: Params): Row | undefined | Promise<Row | undefined>;
  /** Runs a statement; how many rows it changed. */
  changes(name: SharedStatement, params: Params): number | Promise<number>;
  /** Runs the statements in order, in one transaction; how many rows each changed. */
  inTransaction(steps: ReadonlyArray<readonly [SharedStatement, Params]>): Promise<number[]>;
  revokeRefreshToken: Storage['oauth']['revokeRefreshToken'];
  pruneRefreshTokens: Storage['oauth']['pruneRefreshTokens'];
  /**
   * Runs a statement on the records table of (org, module): no rows when the module has no table yet
   * (or it was dropped by a reset meanwhile). Record rows have id, data, created_at and modified_at.
   */
  recordRows(orgId: string, module: string, name: RecordStatement, params: Params): Row[] | Promise<Row[]>;
  commitChunk: Storage['jobs']['commitChunk'];
  idsByKey: Storage['records']['idsByKey'];
  byIds: Storage['records']['byIds'];
  reset: Storage['emulator']['reset'];
  firstIdsByText: Storage['records']['firstIdsByText'];
  watchQueue?: Storage['jobs']['watchQueue'];
  /** The operator's statements (ops-storage.ts implements Storage.ops on them). */
  ops: OpsDialect;
  close(): Promise<void>;
}

/** The statements of the operator's view of a store (health, gauges, retention), run by name. */
export type OpsStatement =
  | 'migrationsApplied'
  | 'jobCounts'
  | 'oldestQueued'
  | 'leasesExpired'
  | 'filesCreatedBefore'
  | 'unfinishedSpecs'
  | 'fileDelete'
  | 'resultsFinishedBefore'
  | 'resultChunksDelete'
  | 'resultSummariesDelete'
  | 'resultsPurged'
  | 'jobsFinishedBefore'
  | 'jobDelete'
  | 'callbackAttemptsOfJobDelete'
  | 'callbackOutboxSettledDelete'
  | 'jobsPage';

/** What a store supplies for its operator's view: the statements above, its migrations, its pool. */
export interface OpsDialect {
  rows(name: OpsStatement, params: Params): Row[] | Promise<Row[]>;
  changes(name: OpsStatement, params: Params): number | Promise<number>;
  /** The file names of this build's migrations for this store. */
  migrationNames: readonly string[];
  poolStats(): { total: number; idle: number; waiting: number } | null;
}
