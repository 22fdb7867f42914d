import { resolve } from 'node:path';
import { DATA_CENTRE_NAMES, isDataCentreName, type DataCentreName } from './data-centres.js';
import { parseLogLevel } from './log.js';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** A postgres:// URL: share one PostgreSQL between processes. Empty: SQLite in dataDir. */
  databaseUrl: string;
  /** The URL clients reach this server at; download_url and api_domain are built from it. Empty: derived from host and port. */
  publicUrl: string;
  /** The Zoho data centre to present as (api_domain, accounts URL, download host) when publicUrl is empty. '': this server's own address. */
  dc: DataCentreName | '';
  /** Runs the job worker inside `serve`. */
  worker: boolean;
  limits: {
    maxUploadBytes: number;
    maxRows: number;
    maxColumns: number;
  };
  /** Rows per transaction while processing a job. Memory is bounded by this, not by the file. */
  batchSize: number;
  tokenTtlSeconds: number;
  /** Access tokens one refresh token may get per 10 minutes (Zoho: 10); 0 turns the limit off. */
  tokenRateLimit: number;
  callback: { attempts: number; timeoutMs: number; backoffMs: number };
  /** 'documented': upload errors answer 400/413 as Zoho's docs say; 'observed': 200 with status "error", as recorded from Zoho. */
  uploadErrorStatus: 'documented' | 'observed';
  /** How often an idle worker looks for new jobs, in milliseconds (it is also woken directly when a job is created). */
  pollIntervalMs: number;
  /** How long a claimed job stays leased to a worker without renewal. */
  leaseMs: number;
  /**
   * How long the API serves an access token or an org from memory once read (storage/read-cache.ts): a
   * token revoked or an org changed by another process is seen within this time. 0 turns it off.
   */
  cacheTtlMs: number;
  logLevel: string;
  /** A custom modules and fields document applied to the default org at start (docs/modules.md). Empty: none. */
  schemaFile: string;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: 'data',
  databaseUrl: '',
  publicUrl: '',
  dc: '',
  worker: true,
  limits: { maxUploadBytes: 25 * 1024 * 1024, maxRows: 25_000, maxColumns: 200 },
  batchSize: 5_000,
  tokenTtlSeconds: 3600,
  tokenRateLimit: 10,
  callback: { attempts: 3, timeoutMs: 5_000, backoffMs: 500 },
  uploadErrorStatus: 'documented',
  pollIntervalMs: 500,
  leaseMs: 30_000,
  cacheTtlMs: 5_000,
  logLevel: 'info',
  schemaFile: '',
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

/** The only reader of process.env. Every setting is BULKWRITE_-prefixed; `overrides` come from command-line flags. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const uploadErrorStatus = env.BULKWRITE_UPLOAD_ERROR_STATUS ?? DEFAULTS.uploadErrorStatus;
  if (uploadErrorStatus !== 'documented' && uploadErrorStatus !== 'observed') {
    throw new Error(`BULKWRITE_UPLOAD_ERROR_STATUS must be "documented" or "observed", got "${uploadErrorStatus}"`);
  }
  const dc = (env.BULKWRITE_DC ?? '').trim().toLowerCase();
  if (dc !== '' && !isDataCentreName(dc)) {
    throw new Error(`BULKWRITE_DC must be one of ${DATA_CENTRE_NAMES.join(', ')} (or empty), got "${dc}"`);
  }
  const config: Config = {
    host: env.BULKWRITE_HOST || DEFAULTS.host,
    port: int(env, 'BULKWRITE_PORT', DEFAULTS.port),
    dataDir: env.BULKWRITE_DATA_DIR || DEFAULTS.dataDir,
    databaseUrl: env.BULKWRITE_DATABASE_URL || DEFAULTS.databaseUrl,
    publicUrl: env.BULKWRITE_PUBLIC_URL || DEFAULTS.publicUrl,
    dc: dc as DataCentreName | '',
    worker: bool(env, 'BULKWRITE_WORKER', DEFAULTS.worker),
    limits: {
      maxUploadBytes: int(env, 'BULKWRITE_MAX_UPLOAD_BYTES', DEFAULTS.limits.maxUploadBytes, 1),
      maxRows: int(env, 'BULKWRITE_MAX_ROWS', DEFAULTS.limits.maxRows, 1),
      maxColumns: int(env, 'BULKWRITE_MAX_COLUMNS', DEFAULTS.limits.maxColumns, 1),
    },
    batchSize: int(env, 'BULKWRITE_BATCH_SIZE', DEFAULTS.batchSize, 1),
    tokenTtlSeconds: int(env, 'BULKWRITE_TOKEN_TTL_SECONDS', DEFAULTS.tokenTtlSeconds, 1),
    tokenRateLimit: int(env, 'BULKWRITE_TOKEN_RATE_LIMIT', DEFAULTS.tokenRateLimit, 0),
    callback: {
      attempts: int(env, 'BULKWRITE_CALLBACK_ATTEMPTS', DEFAULTS.callback.attempts, 1),
      timeoutMs: int(env, 'BULKWRITE_CALLBACK_TIMEOUT_MS', DEFAULTS.callback.timeoutMs, 1),
      backoffMs: int(env, 'BULKWRITE_CALLBACK_BACKOFF_MS', DEFAULTS.callback.backoffMs, 0),
    },
    uploadErrorStatus,
    pollIntervalMs: int(env, 'BULKWRITE_POLL_INTERVAL_MS', DEFAULTS.pollIntervalMs, 10),
    leaseMs: int(env, 'BULKWRITE_LEASE_MS', DEFAULTS.leaseMs, 1000),
    cacheTtlMs: int(env, 'BULKWRITE_CACHE_TTL_MS', DEFAULTS.cacheTtlMs, 0),
    logLevel: parseLogLevel('BULKWRITE_LOG_LEVEL', env.BULKWRITE_LOG_LEVEL || DEFAULTS.logLevel),
    schemaFile: env.BULKWRITE_SCHEMA_FILE || DEFAULTS.schemaFile,
    ...overrides,
  };
  config.dataDir = resolve(config.dataDir);
  return config;
}

/** The base URL of this server as clients see it. */
export function publicBaseUrl(config: Config, boundPort?: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort ?? config.port}`;
}
